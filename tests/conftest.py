"""Shared test fixtures: the repository paths, a CLI runner, and GPU-test skipping."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
EXAMPLE = REPO / "examples" / "study-group"
UPDATE_GOLDENS = os.environ.get("STUDYKIT_UPDATE_GOLDENS") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    import torch  # only when GPU tests were collected

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="CUDA is not available")
    for item in gpu_items:
        item.add_marker(skip)


@pytest.fixture(autouse=True)
def derived_data_beside_fixtures(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
                                 ) -> None:
    """Answer/HTML stores of workspaces checked in under tests/data go to a scratch folder instead."""
    from studykit import stores

    scratch, real = tmp_path_factory.mktemp("stores"), stores.store_path

    def store_path(root: Path | None, name: str) -> Path | None:
        inside = root is not None and Path(root).resolve().is_relative_to(DATA)
        return real(scratch, name) if inside else real(root, name)

    monkeypatch.setattr(stores, "store_path", store_path)


class CliResult:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run `studykit ARGS` in-process; returns CliResult(code, stdout, stderr)."""
    from studykit.cli import main

    def run(*args: str) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def run_subprocess(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                   code: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m studykit ARGS` (or `python -c CODE`) in a fresh interpreter."""
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "studykit", *args]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, check=False)


def assert_golden(actual: str, golden: Path) -> None:
    """Compare exact text with a golden file; STUDYKIT_UPDATE_GOLDENS=1 rewrites it deliberately."""
    if UPDATE_GOLDENS:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {golden} (STUDYKIT_UPDATE_GOLDENS=1 to update)"


