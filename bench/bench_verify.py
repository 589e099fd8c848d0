"""Benchmark: full `studykit verify` on CPU (and CUDA when present) against `python -c "import torch"`.

Run: /work/venv/bin/python bench/bench_verify.py [--seeds N] [--repeat R]
Prints wall times, the per-run cost ((verify - baseline) / runs) and ratios against the baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"(\d+) questions, (\d+) runs, (\d+) failed, (\d+) printed values disagree")


def timed(cmd: list[str]) -> tuple[float, str, int]:
    """Wall time of one fresh interpreter running `cmd`, its stdout and exit code."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc.stdout, proc.returncode


def best_of(cmd: list[str], repeat: int) -> tuple[float, str, int]:
    runs = [timed(cmd) for _ in range(repeat)]
    wall = min(r[0] for r in runs)  # the least disturbed run on a shared machine
    return wall, runs[-1][1], runs[-1][2]


def cuda_available() -> bool:
    _, out, _ = timed([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"])
    return out.strip() == "True"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="variants per question (verify's default: 5)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    args = parser.parse_args()

    baseline, _, _ = best_of([sys.executable, "-c", "import torch"], args.repeat)
    startup, _, _ = best_of([sys.executable, "-m", "studykit", "bank", "list"], args.repeat)
    print(f"baseline  python -c 'import torch'        {baseline:7.2f} s  (1.00x)")
    print(f"startup   studykit bank list (no torch)     {startup:7.2f} s  ({startup / baseline:.2f}x)")
    devices = ["cpu"] + (["cuda"] if cuda_available() else [])
    for device in devices:
        cmd = [sys.executable, "-m", "studykit", "verify", "--seeds", str(args.seeds), "--device", device]
        wall, out, code = best_of(cmd, args.repeat)
        match = SUMMARY.search(out)
        if match is None:
            print(f"verify --device {device}: no summary line (exit {code})\n{out[-2000:]}")
            return 1
        questions, runs = int(match.group(1)), int(match.group(2))
        per_run = (wall - baseline) / runs * 1000 if runs else float("nan")
        label = "cpu+cuda" if device == "cuda" else "cpu"
        print(f"verify    --device {device:4} --seeds {args.seeds}     {wall:7.2f} s  "
              f"({wall / baseline:.2f}x)  "
              f"{questions} questions, {runs} runs ({label}), {per_run:.1f} ms per run beyond the baseline, "
              f"exit {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
