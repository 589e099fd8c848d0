"""Which discussion item (논의 내용 Q) answers a question raised in an individual report."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence

# The rule (docs/workspace.md): compare texts with case, whitespace, punctuation and symbols
# removed (NFKC first); a question matches a Q item when one contains the other (both at least
# MIN_CONTAINED characters long) or their difflib ratio is at least MIN_RATIO. The best ratio wins.
MIN_RATIO = 0.6
MIN_CONTAINED = 8


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c)[0] not in "PSC")


def similarity(a: str, b: str) -> float:
    """1.0 for containment, else difflib's ratio, on normalised texts."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return 0.0
    if min(len(na), len(nb)) >= MIN_CONTAINED and (na in nb or nb in na):
        return 1.0
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()


def match_questions(questions: Sequence[str], items: Sequence[str]) -> list[int | None]:
    """For each question, the index of the best-matching item, or None below the threshold."""
    result: list[int | None] = []
    for question in questions:
        scores = [similarity(question, item) for item in items]
        best = max(range(len(scores)), key=scores.__getitem__, default=None)
        result.append(best if best is not None and scores[best] >= MIN_RATIO else None)
    return result
