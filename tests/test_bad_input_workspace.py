"""Hostile input for the workspace and `report`: every case is one line per problem, exit 2, no traceback.

The corpus under tests/data/bad_input/workspaces/<case>/ is laid over tests/data/workspaces/base
(like tests/data/workspaces/bad/); each case says in a comment what used to crash.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import DATA
from test_workspace import build_case, run_case

from studykit import render

BASE = DATA / "workspaces" / "base"
CASES_DIR = DATA / "bad_input" / "workspaces"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())


def build(case: Path | None, into: Path) -> Path:
    """The base workspace with the case's files laid over it (test_workspace's helper), or plain."""
    if case is not None:
        return build_case(case, into)
    shutil.copytree(BASE, into / "ws")
    return into / "ws"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_workspace_input_is_one_line_exit_2(case: Path, tmp_path: Path, cli, monkeypatch) -> None:
    root, result = run_case(case, tmp_path, cli, monkeypatch)
    assert result.code == 2, result.stderr
    assert result.stderr == (case / "expected.txt").read_text(encoding="utf-8")
    assert not (root / "out").exists()


def test_every_case_has_an_expected_line() -> None:
    assert len(CASES) >= 10
    for case in CASES:
        text = (case / "expected.txt").read_text(encoding="utf-8")
        assert text.startswith("studykit: error: ") and text.count("\n") == 1, case.name


@pytest.mark.parametrize("depth", [3000, 100_000])
def test_very_deep_yaml_is_refused_not_a_recursion_error(depth: int, tmp_path: Path, cli) -> None:
    root = build(None, tmp_path)
    deep = "작성일: " + "[" * depth + "]" * depth + "\n"
    (root / "weeks" / "week02.yaml").write_text(deep, encoding="utf-8")
    result = cli("-C", root, "report", "week02", "--format", "md")
    assert result.code == 2
    assert result.stderr.startswith(f"studykit: error: {root / 'weeks' / 'week02.yaml'}:1: YAML nests deeper")


def test_init_refuses_a_file_and_an_impossible_folder(tmp_path: Path, cli) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n", encoding="utf-8")
    result = cli("init", a_file)
    assert (result.code, result.stderr) == (2, f"studykit: error: {a_file} is a file, not a folder; "
                                                "pass a new or existing folder to init\n")
    assert a_file.read_text(encoding="utf-8") == "mine\n"
    below = a_file / "ws"  # a folder under a file can never be created
    result = cli("init", below)
    assert result.code == 2
    assert result.stderr.startswith(f"studykit: error: cannot create {a_file}")
    assert result.stderr.count("\n") == 1


def test_init_with_an_empty_name_does_not_scaffold_the_current_folder(tmp_path: Path, cli, monkeypatch,
                                                                       capsys) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:  # argparse exits on its own
        cli("init", "")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("studykit: error: init: argument dir: expected a folder name")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_init_into_a_non_empty_folder_keeps_what_is_there(tmp_path: Path, cli) -> None:
    (tmp_path / "weeks").mkdir()
    mine = tmp_path / "weeks" / "week01.yaml"
    mine.write_text("mine\n", encoding="utf-8")
    assert cli("init", tmp_path).code == 0
    assert mine.read_text(encoding="utf-8") == "mine\n"
    assert (tmp_path / "studykit.yaml").is_file()
    again = cli("init", tmp_path)
    assert again.code == 2 and "already exists" in again.stderr


@pytest.mark.parametrize("command", [["bank", "list"], ["report", "week02"], ["verify", "--seeds", "0"]])
def test_workspace_option_naming_a_file_or_a_missing_folder(command: list[str], tmp_path: Path, cli) -> None:
    root = build(None, tmp_path)
    result = cli("-C", root / "studykit.yaml", *command)
    assert (result.code, result.stderr) == (
        2, f"studykit: error: --workspace {root / 'studykit.yaml'} is a file, not a folder; expected a "
           "workspace folder with studykit.yaml\n")
    if command[0] == "bank":  # a typo inside a workspace must not silently use the parent workspace
        result = cli("-C", root / "weeks" / "typo", *command)
        assert result.code == 2 and "does not exist" in result.stderr


def test_a_failing_conversion_leaves_the_existing_report_untouched(tmp_path: Path, cli, monkeypatch) -> None:
    root = build(None, tmp_path)
    out = root / "out" / "week02"
    out.mkdir(parents=True)
    (out / "report.md").write_text("old report\n", encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> str:
        raise render.StudykitError("pandoc failed (html): disk full")

    monkeypatch.setattr(render, "markdown_to_html", broken)
    result = cli("-C", root, "report", "week02", "--format", "md,html")
    assert result.code == 2
    assert (out / "report.md").read_text(encoding="utf-8") == "old report\n"
    assert sorted(p.name for p in out.iterdir()) == ["report.md"]  # no temporary file left behind


def test_write_file_replaces_whole_or_not_at_all(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "x.md"
    target.write_text("old\n", encoding="utf-8")

    def full_disk(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render.os, "replace", full_disk)
    with pytest.raises(render.UsageError, match=r"cannot write .*x\.md: No space left on device"):
        render.write_file(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.md"]


def test_aliases_cannot_nest_past_the_depth_limit() -> None:
    # each anchor nests the previous one 60 deep: 2,400 levels once expanded, which recursive
    # validators (plain(), json.dumps) would hit as RecursionError
    from studykit.errors import InputError
    from studykit.yamlio import load_yaml_text

    lines = ["a0: &a0 x"] + [f"a{i}: &a{i} " + "[" * 60 + f"*a{i - 1}" + "]" * 60 for i in range(1, 40)]
    with pytest.raises(InputError, match=r"amp\.yaml:3: YAML nests deeper than 64 levels"):
        load_yaml_text("\n".join(lines), "amp.yaml")
    assert load_yaml_text("a: &x [1, 2]\nb: *x\n", "ok.yaml") == {"a": [1, 2], "b": [1, 2]}


def swap(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_a_member_named_by_a_yaml_number(tmp_path: Path, cli) -> None:
    # `name: 12` is the int 12: its 출결 entry `12: 출석` was "no entry for 12" (the key is no string)
    root = build(None, tmp_path)
    swap(root / "studykit.yaml", "name: 라마바", "name: 12")
    swap(root / "studykit.yaml", "[라마바,", "[12,")
    for week in ("week01", "week02"):
        swap(root / "weeks" / f"{week}.yaml", "라마바:", "12:")
    for report in (root / "weeks").glob("week*/*.md"):
        swap(report, "name: 라마바", "name: 12")
    result = cli("-C", root, "report", "week02", "--format", "md")
    assert (result.code, result.stderr) == (0, "")
    written = (root / "out" / "week02" / "report.md").read_text(encoding="utf-8")
    assert "| **조원** | 가나다, 12, 사아자 |" in written
    swap(root / "weeks" / "week02.yaml", "  12: 결석", "  12: 결석\n  '12': 출석")
    result = cli("-C", root, "report", "week02", "--format", "md")
    assert result.code == 2
    assert result.stderr.endswith("week02.yaml:8: 출결: 12 is given twice\n"), result.stderr
