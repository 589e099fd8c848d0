"""Time `studykit report week10` on the example, cold (a whole new process each run), against the
cost of starting Python with jinja2 and yaml (`python -c "import jinja2, yaml"`), in the same run.

    /work/venv/bin/python bench/bench_report.py [--runs 7] [--format md,html]

The example is copied to a temporary folder first. Its week 10 cites a bank question: the first
(untimed) run fills the answer cache, as a user's first run does; the timed runs are the everyday
case (warm cache, so no torch). --no-cache clears the cache before every run to time the cold
computation as well.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "study-group"


def wall(cmd: list[str], before: callable = None) -> float:
    if before:
        before()
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--format", default="md,html")
    parser.add_argument("--no-cache", action="store_true", help="clear the answer cache before each run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "study-group"
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("out", ".studykit"))
        report = [sys.executable, "-m", "studykit", "-C", str(root), "report", "week10",
                  "--format", args.format]
        baseline = [sys.executable, "-c", "import jinja2, yaml"]
        clear = (lambda: shutil.rmtree(root / ".studykit", ignore_errors=True)) if args.no_cache else None
        wall(report)  # warm the OS file cache and fill the answer cache
        base_times, report_times = [], []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            base_times.append(wall(baseline))
            report_times.append(wall(report, clear))
    base, rep = statistics.median(base_times), statistics.median(report_times)
    cache = "cleared each run" if args.no_cache else "warm"
    print(f"python -c 'import jinja2, yaml'      median {base * 1000:7.1f} ms  ({args.runs} runs)")
    print(f"studykit report week10 --format {args.format}  median {rep * 1000:7.1f} ms  "
          f"({args.runs} runs, answer cache {cache})")
    print(f"ratio report / baseline: {rep / base:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
