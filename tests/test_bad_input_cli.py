"""Hostile command lines: one line `studykit: error: …`, exit 2, no traceback, existing outputs kept whole."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import DATA

sys.path.insert(0, str(DATA / "grading"))
import gradingfakes  # noqa: E402

FAKE_WS = DATA / "grading" / "ws"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The grading tests' fixture bank (plain-arithmetic verifiers: no torch, fast)."""
    gradingfakes.register(monkeypatch.setitem)
    root = tmp_path / "ws"
    shutil.copytree(FAKE_WS, root)
    return root


def one_line(err: str) -> bool:
    return err.startswith("studykit: error: ") and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["verify", "--seeds", "x"], "studykit: error: verify: argument --seeds: invalid int value: 'x' "
                                 "(see `studykit verify --help`)\n"),
    (["report", "week1", "--lang", "fr"], "studykit: error: report: argument --lang: invalid choice: 'fr' "
                                          "(choose from 'ko', 'en') (see `studykit report --help`)\n"),
    (["quiz", "--roster", "r.csv", "--students", "3"],
     "studykit: error: quiz: argument --students: not allowed with argument --roster "
     "(see `studykit quiz --help`)\n"),
    (["bogus"], None),
    (["export", "--format", "qti", "--out", "x"], None),
])
def test_argparse_errors_are_one_line(args: list[str], message: str | None, cli, capsys) -> None:
    # argparse printed its usage block (several lines) before `studykit X: error:`
    with pytest.raises(SystemExit) as info:
        cli(*args)
    err = capsys.readouterr().err
    assert info.value.code == 2 and one_line(err), err
    if message:
        assert err == message


def test_quiz_out_naming_a_file_is_one_line(ws: Path, cli) -> None:
    # NotADirectoryError traceback from quizdocs (caught now by the CLI's OSError net; see the xfail test
    # in test_bad_input_others.py for the check quiz itself should make before computing)
    blocker = ws / "taken.txt"
    blocker.write_text("mine\n", encoding="utf-8")
    result = cli("-C", ws, "quiz", "--topic", "fix", "--students", "2", "--format", "md", "--out", blocker)
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert str(blocker) in result.stderr
    assert blocker.read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("count", ["0", "-1", str(10**22)])
def test_student_counts_out_of_range(ws: Path, cli, count: str) -> None:
    result = cli("-C", ws, "quiz", "--topic", "fix", "--students", count, "--format", "md")
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert "--students must be at" in result.stderr


def test_export_out_is_a_folder_or_below_a_file(ws: Path, cli) -> None:
    # IsADirectoryError / FileExistsError tracebacks
    result = cli("-C", ws, "export", "--topic", "fix", "--format", "gift", "--out", ws)
    assert (result.code, result.stderr) == (
        2, f"studykit: error: --out {ws} is a folder; expected a file name such as {ws / 'quiz.xml'}\n")
    blocker = ws / "taken.txt"
    blocker.write_text("mine\n", encoding="utf-8")
    result = cli("-C", ws, "export", "--topic", "fix", "--format", "gift", "--out", blocker / "x.gift")
    assert (result.code, result.stderr) == (2, f"studykit: error: {blocker} is a file, not a folder; "
                                               "expected an output folder\n")
    assert blocker.read_text(encoding="utf-8") == "mine\n"


def test_export_replaces_an_existing_file_whole(ws: Path, cli) -> None:
    out = ws / "fix.gift"
    out.write_text("old export\n", encoding="utf-8")
    result = cli("-C", ws, "export", "--topic", "fix", "--format", "gift", "--out", out)
    assert result.code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "old export" not in text and "::fix." in text
    assert sorted(p.name for p in ws.iterdir() if p.name.startswith(".")) == []  # no temporary left


@pytest.mark.parametrize(("param", "message"), [
    ("W=" + "[" * 3000 + "]" * 3000, "YAML nests deeper than 64 levels"),  # was RecursionError
    ("W", "--param expects K=V, got 'W'"),
    ("=3", "--param expects K=V, got '=3'"),
    ("W=[1,", "cannot read '[1,'"),
    ("W=!!python/object/apply:os.system [id]", "could not determine a constructor"),
])
def test_bad_param_text(ws: Path, cli, param: str, message: str) -> None:
    result = cli("-C", ws, "answer", "fix.conv", "--param", param)
    assert result.code == 2 and one_line(result.stderr), result.stderr
    assert message in result.stderr


def test_os_error_net_names_the_path(monkeypatch, cli, capsys) -> None:
    """The last line of defence in cli.main: an OSError with a file name is one line, exit 2."""
    from studykit import cli as cli_module

    def denied(args: object) -> int:
        raise PermissionError(13, "Permission denied", "/srv/locked/report.md")

    monkeypatch.setattr(cli_module, "dispatch", denied)
    result = cli("report", "week01")
    assert (result.code, result.stderr) == (2, "studykit: error: /srv/locked/report.md: Permission denied\n")
    with pytest.raises(PermissionError):  # --debug still shows the traceback
        cli("--debug", "report", "week01")


@pytest.mark.parametrize(("args", "message"), [
    # 10**9 seeds or variants ran for days (and export kept every variant in memory)
    (["verify", "--seeds", str(10**9)], "--seeds must be 0 to 1000, not 1000000000"),
    (["verify", "--seeds", "-1"], "--seeds must be 0 to 1000, not -1"),
    (["export", "--topic", "fix", "--format", "gift", "--variants", str(10**9), "--out", "x.gift"],
     "--variants must be 1 to 1000, not 1000000000"),
])
def test_run_length_options_are_bounded(ws: Path, cli, args: list[str], message: str) -> None:
    result = cli("-C", ws, *args)
    assert (result.code, result.stderr) == (2, f"studykit: error: {message}\n")
    assert not (ws / "x.gift").exists()
