"""Regression tests for bad input that once misbehaved (compute.py, grading.py, quiz.py, stores.py).

Each test states the behaviour the house rule asks for: one-line errors with exit 2 (no traceback, no
verifier failure), output folders checked before any work, damaged derived data ignored.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import DATA

sys.path.insert(0, str(DATA / "grading"))
import gradingfakes  # noqa: E402


def one_line(err: str) -> bool:
    return err.startswith("studykit: error: ") and err.count("\n") == 1 and "Traceback" not in err


@pytest.fixture
def quiz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> SimpleNamespace:
    """The grading fixture bank and a two-student quiz of fix.conv, with a submission file."""
    gradingfakes.register(monkeypatch.setitem)
    ws = tmp_path / "ws"
    shutil.copytree(DATA / "grading" / "ws", ws)
    made = cli("-C", ws, "quiz", "--ids", "fix.conv", "--students", "2", "--format", "md", "--out", ws / "q")
    assert made.code == 0, made.stderr
    answers = ws / "answers.csv"
    answers.write_text("student_id,name,Q1.W2,Q1.params\nS001,a,1,2\n", encoding="utf-8")
    return SimpleNamespace(ws=ws, manifest=ws / "q" / "manifest.json", answers=answers, cli=cli)


def edit_manifest(q: SimpleNamespace, change) -> Path:
    data = json.loads(q.manifest.read_text(encoding="utf-8"))
    change(data)
    path = q.ws / "edited.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def grade(q: SimpleNamespace, manifest: Path, *extra: str):
    return q.cli("-C", q.ws, "grade", manifest, q.answers, "--format", "md", "--out", q.ws / "graded",
                 "--gradebook", q.ws / "gb.sqlite", *extra)


@pytest.mark.parametrize("value", ["abc", "[1, 2]", "{a: 1}", "true", ".nan"])
def test_answer_param_of_the_wrong_type_is_exit_2(quiz: SimpleNamespace, value: str) -> None:
    result = quiz.cli("-C", quiz.ws, "answer", "fix.conv", "--param", f"W={value}")
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert "W" in result.stderr


def test_a_verifier_error_is_reported_on_one_line(quiz: SimpleNamespace, monkeypatch) -> None:
    def torch_like(params, ctx):
        raise TypeError("Overflow when unpacking long\nException raised from THPUtils_unpackLong\n"
                        "frame #0: …")

    monkeypatch.setattr(gradingfakes, "conv", torch_like)
    result = quiz.cli("-C", quiz.ws, "answer", "fix.conv", "--param", "W=29")
    assert one_line(result.stderr), result.stderr


@pytest.mark.parametrize("change", [
    lambda d: d["students"][0].update(variants=[1]),
    lambda d: d["students"][0]["variants"]["fix.conv"].update(params=[1]),
    lambda d: d["students"][0]["variants"]["fix.conv"].update(params="W=3"),
], ids=["variants-list", "params-list", "params-str"])
def test_hand_edited_manifest_with_wrong_containers(quiz: SimpleNamespace, change) -> None:
    result = grade(quiz, edit_manifest(quiz, change))
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert "edited.json" in result.stderr


@pytest.mark.parametrize("points", [float("nan"), float("inf"), -5])
def test_manifest_points_must_be_finite_and_not_negative(quiz: SimpleNamespace, points: float) -> None:
    result = grade(quiz, edit_manifest(quiz, lambda d: d["questions"][0].update(points=points)))
    assert result.code == 2 and one_line(result.stderr), result.stderr


@pytest.mark.parametrize("change", [
    lambda d: d["students"][0]["variants"]["fix.conv"]["params"].update(W="abc"),
    lambda d: d["students"][0]["variants"]["fix.conv"]["params"].pop("W"),
], ids=["wrong-type", "missing"])
def test_manifest_with_bad_recorded_params_is_exit_2(quiz: SimpleNamespace, change) -> None:
    result = grade(quiz, edit_manifest(quiz, change))
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert "edited.json" in result.stderr


def test_grade_out_naming_a_file_writes_nothing(quiz: SimpleNamespace) -> None:
    blocker = quiz.ws / "taken.txt"
    blocker.write_text("mine\n", encoding="utf-8")
    result = quiz.cli("-C", quiz.ws, "grade", quiz.manifest, quiz.answers, "--format", "md", "--out", blocker,
                      "--gradebook", quiz.ws / "gb.sqlite")
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert not (quiz.ws / "gb.sqlite").exists()


def test_quiz_out_naming_a_file_is_refused_before_any_work(quiz: SimpleNamespace) -> None:
    blocker = quiz.ws / "taken.txt"
    blocker.write_text("mine\n", encoding="utf-8")
    result = quiz.cli("-C", quiz.ws, "quiz", "--ids", "fix.conv", "--students", "2", "--format", "md",
                      "--out", blocker)
    assert (result.code, result.stderr) == (
        2, f"studykit: error: {blocker} is a file, not a folder; expected an output folder\n")


def test_a_deeply_nested_answers_cache_is_ignored(tmp_path: Path) -> None:
    from studykit.stores import JsonStore

    damaged = tmp_path / "answers-cache.json"
    damaged.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert JsonStore(damaged).entries == {}


def test_every_value_the_bank_itself_uses_passes_the_parameter_check() -> None:
    """The shared check (answer --param, week files, grade) must accept every variant quiz records:
    each built-in question's defaults, textbook instances and seeded draws."""
    from studykit.bank import load_bank
    from studykit.compute import check_params
    from studykit.variants import draw_params

    for question in load_bank(None).questions:
        candidates = [question.default_params(), *(dict(t.params) for t in question.textbook),
                      *(draw_params(question, seed) for seed in range(5))]
        for params in candidates:
            check_params(question, params, complete=True)  # raises on a false refusal


def test_parameter_check_kinds() -> None:
    """int is not bool or float; a float default takes a finite int; lists keep their depth."""
    from studykit.compute import check_params
    from studykit.errors import InputError, Location, UsageError
    from studykit.model import Question

    question = Question(id="t.q", topic="t", title="", section="", source="", difficulty=1, tags=(), points=1,
                        params=(), prompt="", prompt_en="", answers=(), verifier="", solution="", textbook=(),
                        loc=Location("q.yaml"), defaults={"n": 3, "x": 0.5, "s": "a", "m": [[1.0, 2.0]]})
    for good in ({"n": 7}, {"x": 2}, {"x": -1.5}, {"s": "b"}, {"m": [[1, 2], [3, 4.5]]}, {"m": []}):
        check_params(question, good)
    bad = [({"n": True}, "'n' must be an integer"), ({"n": 2.0}, "'n' must be an integer"),
           ({"x": float("inf")}, "'x' must be a finite number"), ({"x": "1"}, "'x' must be a finite number"),
           ({"s": 1}, "'s' must be a string"), ({"m": [1.0, 2.0]}, "'m' must be a list like [[1.0, 2.0]]"),
           ({"m": [[1.0, float("nan")]]}, "'m' must be a list"), ({"m": [["a"]]}, "'m' must be a list")]
    for params, message in bad:
        with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
            check_params(question, params)
    with pytest.raises(InputError, match=r"^m\.json: student 1's t\.q: parameter 'm' is missing$"):
        check_params(question, {"n": 1, "x": 1.0, "s": ""}, Location("m.json"), complete=True,
                     context="student 1's ")
