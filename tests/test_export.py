"""`studykit export`: Moodle XML and GIFT parsed back, each answer and tolerance checked against compute()."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from studykit import bank as bank_module
from studykit.answers import numbers_match
from studykit.export import export_variants, numeric_answer, round_down, shape_texts
from studykit.export_formats import gift_escape
from studykit.model import AnswerSpec

WS = DATA / "quiz" / "workspace"
ALL = "qz.conv,qz.bce,qz.bce-sig,qz.bce-dec,qz.pool,qz.grad,qz.rules"
CLOZE = re.compile(r"\{(\d+):(NUMERICAL|SHORTANSWER|MULTICHOICE|MULTIRESPONSE):((?:\\.|[^}])*)\}")


@pytest.fixture(autouse=True)
def isolated_bank(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    empty = tmp_path_factory.mktemp("no-builtin")
    monkeypatch.setattr(bank_module, "load_bank",
                        functools.partial(bank_module.load_bank, builtin_dir=empty))


def variants(n: int, seed: int):
    bank = bank_module.load_bank(WS)
    return {q.id: vs for q, vs in export_variants([bank.get(i) for i in ALL.split(",")], n, seed)}


def assert_safe(spec: AnswerSpec, value_text: str, tol_text: str, expected: float) -> None:
    """Everything the LMS accepts, the grader accepts; and the interval is tight on at least one side."""
    value, tol = float(value_text), float(tol_text)
    assert_accepted_inside(value, tol, expected, spec.tolerance)
    if spec.kind == "number" and tol > 0:
        assert not (numbers_match(value + 1.001 * tol, expected, spec.tolerance)
                    and numbers_match(value - 1.001 * tol, expected, spec.tolerance))
    if spec.kind == "integer":
        assert tol == 0 and value_text == str(int(expected))


def assert_accepted_inside(value: float, tol: float, expected: float, rule) -> None:
    """Every submission the LMS takes (|s - value| <= tol, in floats as Moodle computes it) is right."""
    for k in (-1, -0.999, -0.5, 0, 0.5, 0.999, 1):
        submitted = value + k * tol
        if abs(submitted - value) <= tol:
            assert numbers_match(submitted, expected, rule), (value, tol, k, rule)


def run_export(cli, tmp_path: Path, fmt: str, n: int = 3, seed: int = 2) -> tuple[str, str]:
    out = tmp_path / f"x.{fmt}"
    result = cli("-C", WS, "export", "--ids", ALL, "--format", fmt, "--variants", n, "--seed", seed,
                 "--out", out)
    assert result.code == 0, result.stderr
    return out.read_text(encoding="utf-8"), result.stderr


def test_moodle_xml_parses_back_to_the_computed_answers(cli, tmp_path: Path) -> None:
    text, stderr = run_export(cli, tmp_path, "moodle")
    root = ET.fromstring(text)
    expected = variants(3, 2)
    category, seen, checked = None, set(), 0
    for q in root.findall("question"):
        if q.get("type") == "category":
            category = q.findtext("category/text")
            continue
        qid, k = q.findtext("idnumber").rsplit("-v", 1)
        assert category == f"$course$/studykit/{qid}"
        variant = expected[qid][int(k) - 1]
        seen.add((qid, int(k)))
        checked += _check_question(q, variant)
    assert seen == {(qid, k + 1) for qid, vs in expected.items() for k in range(len(vs))}
    assert len(expected["qz.rules"]) == 1 and len(expected["qz.conv"]) == 3  # no params: one variant
    assert checked >= 20
    assert_warnings(stderr, "Moodle XML")


def _check_question(q: ET.Element, variant) -> int:
    question, answers = variant.question, variant.result.answers
    kind = q.get("type")
    text = q.findtext("questiontext/text")
    assert "$" not in text and "$" not in q.findtext("generalfeedback/text")  # math went to \\(…\\)
    if question.id == "qz.conv":
        assert "\\(W_2\\)" in text
    assert q.findtext("defaultgrade") == format(question.points, "g")
    if kind == "numerical":
        (spec,) = question.answers
        (ans,) = q.findall("answer")
        assert_safe(spec, ans.findtext("text"), ans.findtext("tolerance"), answers[spec.name])
        return 1
    if kind == "shortanswer":
        (spec,) = question.answers
        texts = [a.findtext("text") for a in q.findall("answer")]
        assert texts == ([answers[spec.name]] if spec.kind == "symbolic" else shape_texts(answers[spec.name]))
        return 1
    assert kind == "cloze", kind
    fields = CLOZE.findall(text)
    checked = 0
    for spec in question.answers:
        value = answers[spec.name]
        if spec.kind in ("integer", "number"):
            weight, sub, body = fields.pop(0)
            assert sub == "NUMERICAL" and body.startswith("=")
            assert_safe(spec, *body[1:].split(":"), value)
        elif spec.kind == "shape":
            weight, sub, body = fields.pop(0)
            assert sub == "SHORTANSWER" and body.split("~")[0] == "=" + shape_texts(value)[0]
        elif spec.kind == "choice":
            weight, sub, body = fields.pop(0)
            assert sub == ("MULTIRESPONSE" if spec.multiple else "MULTICHOICE")
            picks = dict(reversed(re.fullmatch(r"%(-?[\d.]+)%(.+)", b).groups()) for b in body.split("~"))
            right = value if spec.multiple else [value]
            assert {o for o, f in picks.items() if float(f) > 0} == set(right)
            assert abs(sum(float(f) for f in picks.values() if float(f) > 0) - 100) < 1e-3
        checked += 1
    assert not fields
    return checked


def assert_warnings(stderr: str, fmt: str) -> None:
    lines = stderr.splitlines()
    assert all(line.startswith("studykit: warning: ") for line in lines)
    named = {line.split()[2] for line in lines}
    assert named == {"qz.bce-sig", "qz.bce-dec", "qz.grad"}  # rtol/atol and integers are exact
    assert all(fmt in line for line in lines)
    assert any("sigfig 3" in line for line in lines) and any("decimals 2" in line for line in lines)


def test_gift_numeric_answers_parse_back(cli, tmp_path: Path) -> None:
    text, stderr = run_export(cli, tmp_path, "gift")
    expected = variants(3, 2)
    categories = re.findall(r"^\$CATEGORY: \$course\$/studykit/(\S+)$", text, re.M)
    assert categories == ALL.split(",")
    checked = 0
    for match in re.finditer(r"^::(.+?)::\[html\].*\{#([^:\s]+):(\S+) ####", text, re.M):
        name = match.group(1).replace("\\", "")
        qid, rest = name.split(" v", 1)
        k, _, letter = rest.partition(" ")
        variant = expected[qid][int(k) - 1]
        index = "abcdefgh".index(letter[1]) if letter else 0
        spec = variant.question.answers[index]
        assert_safe(spec, match.group(2), match.group(3), variant.result.answers[spec.name])
        checked += 1
    numeric_parts = sum(len(vs) * sum(a.kind in ("integer", "number") for a in vs[0].question.answers)
                        for vs in expected.values())
    assert checked == numeric_parts
    assert_warnings(stderr, "GIFT")


def test_gift_text_has_no_unescaped_specials_outside_answers(cli, tmp_path: Path) -> None:
    text, _ = run_export(cli, tmp_path, "gift", n=1)
    for line in text.splitlines():
        if line.startswith("::"):
            body = line.split("::[html]", 1)[1].rsplit(" {", 1)[0]
            assert not re.search(r"(?<!\\)[{}=~#]", body.replace("\\\\", "")), body


def _moodle_unescape(text: str) -> str:
    """What Moodle's GIFT importer does (qformat_gift escapedchar_pre/post)."""
    specials = {"\\:": ":", "\\#": "#", "\\=": "=", "\\{": "{", "\\}": "}", "\\~": "~"}
    text = text.replace("\\\\", "\x00")
    for escaped, plain in specials.items():
        text = text.replace(escaped, plain)
    return text.replace("\x00", "\\")


@given(st.text(alphabet=st.sampled_from(list("ab:#={}~\\n $()")), max_size=30))
def test_gift_escape_round_trips_through_moodles_unescape(text: str) -> None:
    escaped = gift_escape(text)
    assert _moodle_unescape(escaped) == text
    assert not re.search(r"(?<!\\)[{}=~#:]", escaped.replace("\\\\", ""))


@settings(max_examples=300, deadline=None)
@given(value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-6),
       rule=st.one_of(
           st.fixed_dictionaries({"rtol": st.sampled_from([0.0, 1e-6, 1e-3, 0.05]),
                                  "atol": st.sampled_from([0.0, 1e-9, 1e-4, 0.5])}),
           st.builds(lambda n: {"sigfig": n}, st.integers(1, 6)),
           st.builds(lambda n: {"decimals": n}, st.integers(0, 4))))
def test_exported_interval_is_never_wider_than_the_graders_rule(value: float, rule: dict) -> None:
    spec = AnswerSpec(name="e", kind="number", tolerance=rule)
    ans = numeric_answer(spec, value)
    assert_accepted_inside(float(ans.value), ans.tolerance, value, rule)
    assert bool(ans.note) == ("rtol" not in rule)  # only the rounding rules are approximations


@given(st.floats(min_value=1e-12, max_value=1e12))
def test_round_down_never_rounds_up(x: float) -> None:
    assert x * (1 - 1e-8) <= round_down(x) <= x


def test_sigfig_at_a_power_of_ten_takes_the_narrow_side() -> None:
    spec = AnswerSpec(name="e", kind="number", tolerance={"sigfig": 3})
    ans = numeric_answer(spec, 0.99951)  # rounds to 1.00: the rule accepts [0.9995, 1.005)
    assert ans.value == "1" and 0.000499 < ans.tolerance < 0.0005 and "narrower" in ans.note


def test_bad_variants_count_is_exit_2(cli, tmp_path: Path) -> None:
    result = cli("-C", WS, "export", "--topic", "qz", "--format", "gift", "--variants", "0",
                 "--out", tmp_path / "x")
    assert result.code == 2 and "--variants" in result.stderr and not (tmp_path / "x").exists()
