"""`studykit init`: the scaffold is a working workspace and is never written over."""

from __future__ import annotations

from pathlib import Path


def test_init_scaffolds_a_workspace_that_reports(tmp_path: Path, cli) -> None:
    target = tmp_path / "my-study"
    result = cli("init", target)
    assert result.code == 0, result.stderr
    for name in ("studykit.yaml", "weeks/week01.yaml", "questions", "templates"):
        assert (target / name).exists(), name
    assert f"created {target / 'studykit.yaml'}" in result.stdout
    report = cli("-C", target, "report", "week01", "--format", "md")
    assert report.code == 0, report.stderr
    markdown = (target / "out" / "week01" / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("# 1주차 조별보고서")
    # the scaffold's own rules at work: 김철수 is late and sent no report
    assert "지각: 김철수" in markdown and "개별 레포트 미제출: 김철수" in markdown


def test_init_refuses_an_existing_workspace(tmp_path: Path, cli) -> None:
    cli("init", tmp_path)
    config = tmp_path / "studykit.yaml"
    config.write_text("group: mine\n", encoding="utf-8")
    result = cli("init", tmp_path)
    assert result.code == 2
    assert "already exists" in result.stderr
    assert config.read_text(encoding="utf-8") == "group: mine\n"


def test_init_keeps_files_already_there(tmp_path: Path, cli) -> None:
    (tmp_path / "weeks").mkdir()
    (tmp_path / "weeks" / "week01.yaml").write_text("# mine\n", encoding="utf-8")
    assert cli("init", tmp_path).code == 0
    assert (tmp_path / "weeks" / "week01.yaml").read_text(encoding="utf-8") == "# mine\n"
