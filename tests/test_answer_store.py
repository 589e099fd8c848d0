"""The answer store and the HTML chunk store: warm runs equal cold ones, no verifier or pandoc on a hit,
damaged or foreign files ignored and rewritten, changed questions recomputed, grade without torch."""

from __future__ import annotations

import csv
import functools
import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA, run_subprocess

from studykit import bank as bank_module
from studykit import compute as cmp
from studykit import quizdocs
from studykit.stores import ANSWERS_FORMAT, AnswerStore, ChunkStore, answer_key

WS = DATA / "quiz" / "workspace"
QUICK = "qz.conv,qz.bce,qz.pool"


@pytest.fixture(autouse=True)
def isolated_bank(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Only the fixture workspace's questions: the built-in bank may change under these tests."""
    empty = tmp_path_factory.mktemp("no-builtin")
    monkeypatch.setattr(bank_module, "load_bank", functools.partial(bank_module.load_bank, builtin_dir=empty))
    cmp.clear_memo()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    shutil.copytree(WS, tmp_path / "ws")
    return tmp_path / "ws"


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def no_verifier(name: str):
    raise AssertionError(f"verifier {name} ran although the store holds its result")


def no_pandoc(*args, **kwargs):
    raise AssertionError("pandoc ran although the HTML store holds every chunk")


def make_quiz(cli, ws: Path, out: Path, *args: str) -> None:
    result = cli("-C", ws, "quiz", "--ids", QUICK, "--students", "4", "--seed", "5", "--out", out, *args)
    assert result.code == 0, result.stderr


def test_a_warm_quiz_runs_no_verifier_and_no_pandoc_and_is_byte_identical(
        cli, ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_quiz(cli, ws, tmp_path / "cold")
    entries = json.loads((ws / ".studykit" / "answers-cache.json").read_text(encoding="utf-8"))["entries"]
    assert entries and {e["question"] for e in entries.values()} == set(QUICK.split(","))
    assert {e["bank_hash"] for e in entries.values()} == {bank_module.load_bank(ws).hash}
    assert (ws / ".studykit" / "html-cache.json").is_file()
    cmp.clear_memo()
    monkeypatch.setattr(cmp, "get_verifier", no_verifier)
    monkeypatch.setattr(quizdocs, "_pandoc", no_pandoc)
    make_quiz(cli, ws, tmp_path / "warm")
    assert files(tmp_path / "warm") == files(tmp_path / "cold")


def test_a_damaged_or_foreign_store_is_ignored_and_rewritten(cli, ws: Path, tmp_path: Path) -> None:
    make_quiz(cli, ws, tmp_path / "cold", "--format", "md")
    store = ws / ".studykit" / "answers-cache.json"
    for bad in ("{not json", json.dumps({"format": "someone-else/1", "entries": {}}), "[]"):
        store.write_text(bad, encoding="utf-8")
        cmp.clear_memo()
        make_quiz(cli, ws, tmp_path / "again", "--format", "md")
        assert files(tmp_path / "again") == files(tmp_path / "cold")
        data = json.loads(store.read_text(encoding="utf-8"))
        assert data["format"] == ANSWERS_FORMAT and data["entries"]


def test_an_entry_is_never_used_for_another_question_content(cli, ws: Path, tmp_path: Path) -> None:
    make_quiz(cli, ws, tmp_path / "q", "--format", "md")
    store = ws / ".studykit" / "answers-cache.json"
    data = json.loads(store.read_text(encoding="utf-8"))
    for entry in data["entries"].values():  # poison every recorded value
        if entry["question"] == "qz.bce":
            entry["result"]["answers"]["e"] = 12345.0
    store.write_text(json.dumps(data), encoding="utf-8")
    path = ws / "questions" / "qz.yaml"
    text = path.read_text(encoding="utf-8")
    assert "목표값이" in text
    path.write_text(text.replace("목표값이", "목표값(레이블)이"), encoding="utf-8")
    cmp.clear_memo()
    make_quiz(cli, ws, tmp_path / "q", "--format", "md")  # the edited question has a new content hash
    rows = list(csv.DictReader((tmp_path / "q" / "key" / "answers.csv").open(encoding="utf-8")))
    assert rows and all(float(r["Q2"]) != 12345.0 for r in rows)


def test_an_entry_that_does_not_fit_the_question_is_recomputed(ws: Path) -> None:
    question = bank_module.load_bank(ws).get("qz.bce")
    params = question.default_params()
    store = AnswerStore.at(ws)
    store.entries[answer_key(question, params, "cpu")] = {
        "question": "qz.bce", "result": {"answers": {"nope": 1}, "valid": True}}
    assert store.get(question, params, "cpu") is None
    store.entries[answer_key(question, params, "cpu")]["question"] = "qz.other"
    assert store.get(question, params, "cpu") is None
    fresh = cmp.compute(question, params, store=store)
    assert store.get(question, params, "cpu") == fresh


def test_an_ad_hoc_verifier_never_touches_the_store(ws: Path) -> None:
    question = bank_module.load_bank(ws).get("qz.bce")
    store = AnswerStore.at(ws)
    verifier = cmp.get_verifier(question.verifier)
    result = cmp.compute(question, question.default_params(), store=store, verifier=verifier)
    assert result.valid and len(store) == 0 and not store.dirty


def test_the_chunk_store_replaces_pandoc_and_changes_nothing(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [f"# 문서 {i}\n\n$x^{i}$ 와 표\n\n| a | b |\n|---|---|\n| 1 | {i} |\n" for i in range(4)]
    store = ChunkStore.at(tmp_path)
    first = quizdocs.html_bodies(docs, store=store)
    assert first == quizdocs.html_bodies(docs) and len(store) > 0
    store.save()
    monkeypatch.setattr(quizdocs, "_pandoc", no_pandoc)
    assert quizdocs.html_bodies(docs, store=ChunkStore.at(tmp_path)) == first


def test_grade_outside_a_workspace_reads_the_quiz_folders_store_without_torch(tmp_path: Path) -> None:
    """`quiz` outside a workspace keeps the store in the quiz folder; `grade` there imports no torch."""
    shutil.copytree(WS / "questions", tmp_path / "bank")
    make = ("import sys, functools, pathlib; from studykit import bank;"
            "bank.load_bank = functools.partial(bank.load_bank, "
            f"builtin_dir=pathlib.Path({str(tmp_path / 'bank')!r}));"
            "from studykit.cli import main; code = main(sys.argv[1:]);"
            "print('TORCH', 'torch' in sys.modules); sys.exit(code)")
    quiz = run_subprocess(code=make, cwd=tmp_path)
    assert quiz.returncode == 2  # no args: usage error, proves the runner works
    args = ["quiz", "--ids", "qz.conv,qz.pool", "--students", "3", "--format", "md", "--out", "q"]
    made = run_subprocess(code=make.replace("sys.argv[1:]", repr(args)), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "q" / ".studykit" / "answers-cache.json").is_file()
    grade = ["grade", "q/manifest.json", "q/key/answers.csv", "--out", "graded", "--format", "md"]
    graded = run_subprocess(code=make.replace("sys.argv[1:]", repr(grade)), cwd=tmp_path)
    assert graded.returncode == 0, graded.stderr
    assert "TORCH False" in graded.stdout
    rows = list(csv.DictReader((tmp_path / "graded" / "scores.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 3 and all(float(r["score"]) == float(r["max_score"]) for r in rows)
