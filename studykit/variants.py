"""Per-student variants: a stable seed from (quiz seed, student, question) and seeded parameter draws."""

from __future__ import annotations

import copy
import hashlib
import math
import random
from typing import Any

from studykit.model import ParamSpec, Question

SEED_BITS = 63  # seeds stay non-negative and fit a signed 64-bit column (SQLite INTEGER)


def variant_seed(quiz_seed: int, student_id: str, question_id: str) -> int:
    """sha256 of the three inputs: the same on every run and machine (unlike hash())."""
    text = f"studykit-variant/1\x1f{int(quiz_seed)}\x1f{student_id}\x1f{question_id}"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - SEED_BITS)


def draw_params(question: Question, seed: int) -> dict[str, Any]:
    """The question's defaults with every `params` spec drawn by random.Random(seed), in name order."""
    rng = random.Random(seed)
    params = question.default_params()
    for spec in sorted(question.params, key=lambda s: s.name):
        params[spec.name] = draw_value(spec, rng)
    return params


def draw_value(spec: ParamSpec, rng: random.Random) -> Any:
    """One value inside the spec (fixed specs consume no randomness)."""
    if spec.kind == "fixed":
        return copy.deepcopy(spec.value)
    if spec.kind == "choice":
        return copy.deepcopy(spec.choices[rng.randrange(len(spec.choices))])
    assert spec.lo is not None and spec.hi is not None
    if spec.kind == "int":
        count = (int(spec.hi) - int(spec.lo)) // spec.step + 1
        return int(spec.lo) + spec.step * rng.randrange(count)
    if spec.decimals is None:
        value = rng.uniform(spec.lo, spec.hi)
    else:
        # draw on the decimal grid inside [lo, hi] so rounding never leaves the range
        scale = 10**spec.decimals
        value = round(rng.randint(math.ceil(spec.lo * scale), math.floor(spec.hi * scale)) / scale,
                      spec.decimals)
    return min(max(value, spec.lo), spec.hi)
