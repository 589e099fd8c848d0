"""Bad input that still misbehaves in modules other engineers own (compute.py, grading.py, quiz.py).

Each test states the behaviour the house rule asks for and is marked xfail(strict=True) until the owner
applies the fix named in its reason; strict, so the test fails loudly (XPASS) once it is fixed and the
marker must then be removed.
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


@pytest.mark.xfail(strict=True, reason=(
    "compute.py resolve_params (line ~143) checks only names: add a type check against the default "
    "(int default → int, not bool; float → finite int/float; str → str; list → list of the same depth), "
    "raising InputError(where)/UsageError naming the parameter, so `answer --param W=abc` is exit 2, "
    "not VerifierFailed exit 1 'verifier raised TypeError'"))
@pytest.mark.parametrize("value", ["abc", "[1, 2]", "{a: 1}", "true", ".nan"])
def test_answer_param_of_the_wrong_type_is_exit_2(quiz: SimpleNamespace, value: str) -> None:
    result = quiz.cli("-C", quiz.ws, "answer", "fix.conv", "--param", f"W={value}")
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert "W" in result.stderr


@pytest.mark.xfail(strict=True, reason=(
    "compute.py compute() line ~51: the VerifierFailed message embeds str(exc), which for torch errors "
    "(`--param W=99999999999999999999999`) is a C++ stack trace of many lines; keep its first line: "
    "`detail = (str(exc).splitlines() or [''])[0]`"))
def test_a_verifier_error_is_reported_on_one_line(quiz: SimpleNamespace, monkeypatch) -> None:
    def torch_like(params, ctx):
        raise TypeError("Overflow when unpacking long\nException raised from THPUtils_unpackLong\n"
                        "frame #0: …")

    monkeypatch.setattr(gradingfakes, "conv", torch_like)
    result = quiz.cli("-C", quiz.ws, "answer", "fix.conv", "--param", "W=29")
    assert one_line(result.stderr), result.stderr


@pytest.mark.xfail(strict=True, reason=(
    "grading.py load_manifest line ~113: `except (KeyError, TypeError, ValueError)` misses AttributeError "
    "(variants or params written as a list/str → `'list' object has no attribute 'items'` traceback); "
    "add AttributeError there, and in _manifest_from require `isinstance(v['params'], dict)`"))
@pytest.mark.parametrize("change", [
    lambda d: d["students"][0].update(variants=[1]),
    lambda d: d["students"][0]["variants"]["fix.conv"].update(params=[1]),
    lambda d: d["students"][0]["variants"]["fix.conv"].update(params="W=3"),
], ids=["variants-list", "params-list", "params-str"])
def test_hand_edited_manifest_with_wrong_containers(quiz: SimpleNamespace, change) -> None:
    result = grade(quiz, edit_manifest(quiz, change))
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert "edited.json" in result.stderr


@pytest.mark.xfail(strict=True, reason=(
    "grading.py _manifest_from line ~126: points/weight are float()-ed but not checked; NaN or 1e309 "
    "crash classreport.py:75 (ValueError: cannot convert float NaN to integer) or fail the gradebook "
    "NOT NULL constraint. Require math.isfinite(x) and x >= 0, else ValueError('questions[n].points')"))
@pytest.mark.parametrize("points", [float("nan"), float("inf"), -5])
def test_manifest_points_must_be_finite_and_not_negative(quiz: SimpleNamespace, points: float) -> None:
    result = grade(quiz, edit_manifest(quiz, lambda d: d["questions"][0].update(points=points)))
    assert result.code == 2 and one_line(result.stderr), result.stderr


@pytest.mark.xfail(strict=True, reason=(
    "grading.py Expectations.get / check_bank: recorded params go to the verifier unchecked, so a hand-"
    "edited manifest (W: 'abc', a missing W, an unknown name) is VerifierFailed exit 1; validate each "
    "student's params against question.param_names() and the defaults' types (the same check as "
    "compute.resolve_params should get) and raise InputError(Location(manifest.path))"))
@pytest.mark.parametrize("change", [
    lambda d: d["students"][0]["variants"]["fix.conv"]["params"].update(W="abc"),
    lambda d: d["students"][0]["variants"]["fix.conv"]["params"].pop("W"),
], ids=["wrong-type", "missing"])
def test_manifest_with_bad_recorded_params_is_exit_2(quiz: SimpleNamespace, change) -> None:
    result = grade(quiz, edit_manifest(quiz, change))
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert "edited.json" in result.stderr


@pytest.mark.xfail(strict=True, reason=(
    "grading.py run_grade line ~331: the gradebook import runs before out_dir is created, so "
    "`grade --out <a file>` writes the gradebook and then fails; call "
    "render.prepare_folder(out_dir or loaded.path.parent / 'graded') before grade_files()"))
def test_grade_out_naming_a_file_writes_nothing(quiz: SimpleNamespace) -> None:
    blocker = quiz.ws / "taken.txt"
    blocker.write_text("mine\n", encoding="utf-8")
    result = quiz.cli("-C", quiz.ws, "grade", quiz.manifest, quiz.answers, "--format", "md", "--out", blocker,
                      "--gradebook", quiz.ws / "gb.sqlite")
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert not (quiz.ws / "gb.sqlite").exists()


@pytest.mark.xfail(strict=True, reason=(
    "quiz.py run_quiz line ~245: --out is first used by quizdocs.write_quiz after every variant was "
    "computed, and a file there is a NotADirectoryError (now one line only through cli.main's OSError "
    "net). Check before build_quiz: `if args.out is not None: render.prepare_folder(Path(args.out))` "
    "(UsageError '--out X is a file, not a folder')"))
def test_quiz_out_naming_a_file_is_refused_before_any_work(quiz: SimpleNamespace) -> None:
    blocker = quiz.ws / "taken.txt"
    blocker.write_text("mine\n", encoding="utf-8")
    result = quiz.cli("-C", quiz.ws, "quiz", "--ids", "fix.conv", "--students", "2", "--format", "md",
                      "--out", blocker)
    assert (result.code, result.stderr) == (
        2, f"studykit: error: {blocker} is a file, not a folder; expected an output folder\n")


@pytest.mark.xfail(strict=True, reason=(
    "stores.py JsonStore._load line ~44: `except (OSError, ValueError)` misses RecursionError, which "
    "json.loads raises on a deeply nested file: a damaged .studykit/answers-cache.json crashes `report` and "
    "`bank show` instead of being ignored as the docstring says; add RecursionError to that except"))
def test_a_deeply_nested_answers_cache_is_ignored(tmp_path: Path) -> None:
    from studykit.stores import JsonStore

    damaged = tmp_path / "answers-cache.json"
    damaged.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert JsonStore(damaged).entries == {}
