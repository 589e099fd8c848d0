"""`studykit report`, `init` and `--help` never import torch (nor sympy): checked in a fresh interpreter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE, run_subprocess

HEAVY = ("torch", "sympy")
# Run the CLI in-process inside a fresh interpreter, then report which heavy modules got imported.
PROBE = """
import sys
from studykit.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help exits through argparse
    code = exc.code
print("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules))
sys.exit(code)
"""


def run_probe(*args: str, cwd: Path | None = None):
    code = f"import sys; sys.argv[1:] = {list(args)!r}\n" + PROBE.format(heavy=HEAVY)
    return run_subprocess(code=code, cwd=cwd)


def heavy_modules(result) -> str:
    line = next(line for line in result.stdout.splitlines() if line.startswith("HEAVY:"))
    return line.removeprefix("HEAVY:")


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "study-group"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("out", ".studykit"))
    return root


def test_help_does_not_import_torch() -> None:
    result = run_probe("--help")
    assert result.returncode == 0, result.stderr
    assert "report" in result.stdout
    assert heavy_modules(result) == ""


def test_init_does_not_import_torch(tmp_path: Path) -> None:
    result = run_probe("init", str(tmp_path / "ws"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ws" / "studykit.yaml").is_file()
    assert heavy_modules(result) == ""


def test_report_without_citations_does_not_import_torch(example: Path) -> None:
    result = run_probe("-C", str(example), "report", "week09")
    assert result.returncode == 0, result.stderr
    assert (example / "out" / "week09" / "report.html").is_file()
    assert heavy_modules(result) == ""


def test_report_with_a_citation_uses_the_cache_on_its_second_run(example: Path) -> None:
    first = run_probe("-C", str(example), "report", "week10", "--format", "md")
    assert first.returncode == 0, first.stderr
    assert (example / ".studykit" / "answers-cache.json").is_file()
    assert "torch" in heavy_modules(first)  # the cold run computed with torch: the probe can see it
    second = run_probe("-C", str(example), "report", "week10", "--format", "md")
    assert second.returncode == 0, second.stderr
    assert heavy_modules(second) == ""
