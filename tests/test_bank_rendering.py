"""The bank as it goes on paper: every formula converts to MathML (no pandoc warning, no leftover $ TeX),
sheets never say 정답, English prompts are English, and hand-typed prompt tables match the verifiers."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from studykit import render
from studykit.render import PANDOC_FROM, pandoc_path

SEPARATOR = "QCHUNKSEP{n}QCHUNKEND"
_SPLIT = re.compile(r"<p>QCHUNKSEP(\d+)QCHUNKEND</p>")
# what pandoc leaves of math it did not read as math: a $ followed by TeX-looking text up to the next $
_LEFTOVER_TEX = re.compile(r"\$[^$<>\n]*[\\^_{}][^$<>\n]*\$|\$\$")
# MathML keeps the TeX source in <annotation>; outside it the bank's HTML has no reason to show a $ at all
_ANNOTATION = re.compile(r"<annotation\b.*?</annotation>", re.S)
_WARNING = "Could not convert TeX math"


def _cases(question: Any) -> list[dict[str, Any]]:
    """The default parameters and each textbook instance's, without repeats."""
    cases: list[dict[str, Any]] = []
    for params in [question.default_params(), *(inst.params for inst in question.textbook)]:
        if params not in cases:
            cases.append(params)
    return cases


@pytest.fixture(scope="module")
def rendered_bank() -> list[tuple[str, str]]:
    """(where, Markdown) for every prompt, English prompt and solution of every textbook case."""
    from studykit.bank import load_bank
    from studykit.compute import compute, render_prompt, render_solution

    chunks = []
    for question in load_bank(None).questions:
        for i, params in enumerate(_cases(question)):
            result = compute(question, params)
            chunks.append((f"{question.id} case {i} prompt", render_prompt(question, params)))
            if question.prompt_en:
                chunks.append((f"{question.id} case {i} prompt_en", render_prompt(question, params, "en")))
            chunks.append((f"{question.id} case {i} solution", render_solution(question, params, result)))
    return chunks


def _to_html(markdown: str) -> subprocess.CompletedProcess[bytes]:
    """pandoc exactly as render.run_pandoc calls it for HTML, but keeping stderr (the warnings)."""
    cmd = [pandoc_path(), "-f", PANDOC_FROM, "-t", "html5", "--mathml",
           "--lua-filter", str(render._DATA / "pandoc-filter.lua")]
    return subprocess.run(cmd, input=markdown.encode("utf-8"), capture_output=True, check=True)


def test_the_bank_renders_at_least_every_question(rendered_bank: list[tuple[str, str]]) -> None:
    from studykit.bank import load_bank

    ids = {where.split()[0] for where, _ in rendered_bank}
    assert ids == {q.id for q in load_bank(None).questions} and len(ids) >= 50
    assert all(text.strip() for _, text in rendered_bank)


def test_every_formula_converts_to_mathml(rendered_bank: list[tuple[str, str]]) -> None:
    chunks = (f"\n\n{SEPARATOR.format(n=n)}\n\n{text}\n" for n, (_, text) in enumerate(rendered_bank))
    proc = _to_html("".join(chunks))
    warnings = [line for line in proc.stderr.decode("utf-8", "replace").splitlines() if _WARNING in line]
    assert warnings == []
    pieces = _SPLIT.split(proc.stdout.decode("utf-8"))
    html = dict(zip((int(n) for n in pieces[1::2]), pieces[2::2], strict=True))
    assert sorted(html) == list(range(len(rendered_bank))), "every chunk came back"
    leftovers = {rendered_bank[n][0]: _LEFTOVER_TEX.findall(part) for n, part in html.items()
                 if _LEFTOVER_TEX.search(part)}
    assert leftovers == {}
    stray = {rendered_bank[n][0] for n, part in html.items() if "$" in _ANNOTATION.sub("", part)}
    assert stray == set(), "a $ pandoc did not read as math"
    assert all("<math" in part for n, part in html.items() if "$" in rendered_bank[n][1]), \
        "every chunk that writes $ math got MathML"


def test_the_checks_catch_what_pandoc_cannot_convert() -> None:
    """The failure modes the bank test looks for really show up (so a clean pass means something)."""
    unconvertible = _to_html("$\\frac{1}{2$ and $x^$")
    assert unconvertible.stderr.decode("utf-8", "replace").count(_WARNING) == 2
    unread = _to_html("$ \\alpha_1$ text and 5$ more").stdout.decode("utf-8")
    assert _LEFTOVER_TEX.search(unread) and "<math" not in unread
    fine = _to_html("$\\sum_{i=1}^{c}\\left(y_i\\log_2 o_i\\right)$")
    assert _WARNING not in fine.stderr.decode("utf-8")
    assert "$" not in _ANNOTATION.sub("", fine.stdout.decode("utf-8"))


def test_sheet_text_never_says_the_key_word(rendered_bank: list[tuple[str, str]]) -> None:
    """Prompts, titles and part labels go on the students' sheets; 정답 belongs only to the key."""
    from studykit.bank import load_bank

    shown = [(where, text) for where, text in rendered_bank if not where.endswith("solution")]
    for question in load_bank(None).questions:
        shown.append((f"{question.id} title", question.title))
        shown += [(f"{question.id} label {a.name}", a.display_label()) for a in question.answers]
    assert [where for where, text in shown if "정답" in text] == []
    assert any("목표" in text or "레이블" in text for _, text in shown)  # the target is still named


@pytest.mark.parametrize("qid", ["googlenet.inception-params", "googlenet.inception-flops"])
def test_inception_prompts_state_the_verifiers_table(qid: str) -> None:
    """The prompts type the paper's table 1 by hand; it must be the table the verifier builds."""
    from studykit.bank import load_bank
    from studykit.compute import render_prompt
    from studykit.verifiers.googlenet import INCEPTION_TABLE

    question = load_bank(None).get(qid)
    for module, (cin, size, *branches) in INCEPTION_TABLE.items():
        text = render_prompt(question, {**question.default_params(), "module": module})
        assert f"입력 {cin}×{size}×{size}" in text and "/".join(map(str, branches)) in text, module


REQUIRED_IDS = ("cnn.conv-output", "cnn.tensor-conv", "alexnet.layer-shapes", "alexnet.param-counts",
                "loss.cross-entropy", "backprop.sigmoid-gate", "gan.optimal-discriminator",
                "gan.equilibrium-value", "genmodel.example-4-1", "fld.direction")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_required_ids_have_an_english_prompt() -> None:
    """English is secondary but every required id has one, and every English prompt renders without Hangul."""
    from studykit.bank import load_bank
    from studykit.compute import render_prompt

    bank = load_bank(None)
    assert all(bank.get(qid).prompt_en for qid in REQUIRED_IDS)
    for question in (q for q in bank.questions if q.prompt_en):
        qid, params = question.id, question.default_params()
        english = render_prompt(question, params, "en")
        assert english != render_prompt(question, params) and not _HANGUL.search(english), qid
