"""Benchmark `studykit quiz`: a 20-question quiz for 200 students (sheets and keys, Markdown and HTML).

First `python -m studykit quiz` twice in fresh interpreters into one folder: cold (no answer or HTML
store yet: torch, every verifier, every pandoc chunk) and warm (the answer and HTML stores the first
run left in <quiz>/.studykit/ — or the workspace's .studykit/ with --workspace, copied to a scratch
folder); the two folders must be byte-identical. Then the cold job in-process, stage by stage, and,
measured in the same run, two baselines: every answer computed one by one with no cache and no
sharing between students, and HTML made one pandoc process per document (timed on a sample, scaled).

    /work/venv/bin/python bench/bench_quiz.py [--students 200] [--questions 20] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def timed(label: str, rows: list[tuple[str, float]], func, *args, **kwargs):
    start = time.perf_counter()
    value = func(*args, **kwargs)
    rows.append((label, time.perf_counter() - start))
    return value


def compute_one_by_one(quiz) -> dict[str, float]:
    """The baseline: each student's every answer by its own verifier call (no memo, no dedupe)."""
    from studykit.compute import check_result
    from studykit.verifiers.registry import Context, get_verifier

    seconds: dict[str, float] = {}
    for paper in quiz.papers:
        for variant in paper.variants:
            start = time.perf_counter()
            raw = get_verifier(variant.question.verifier)(dict(variant.params), Context())
            check_result(variant.question, raw)
            qid = variant.question.id
            seconds[qid] = seconds.get(qid, 0.0) + time.perf_counter() - start
    return seconds


def html_one_per_document(docs: list[str], sample: int) -> float:
    """Seconds for one pandoc process per document (markdown_to_html) on a sample, two at a time."""
    from studykit.render import markdown_to_html

    chosen = docs[:: max(1, len(docs) // sample)][:sample]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda md: markdown_to_html(md, "bench"), chosen))
    return (time.perf_counter() - start) * len(docs) / len(chosen)


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a quiz folder except the stores (which only make later runs faster)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".studykit" not in p.relative_to(folder).parts}


def cli_cold_and_warm(args: argparse.Namespace) -> tuple[float, float, bool]:
    """Seconds of a cold and a warm `studykit quiz` (fresh processes), and whether outputs are identical."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    with tempfile.TemporaryDirectory() as tmp:
        where: list[str] = []
        if args.workspace is not None:
            shutil.copytree(args.workspace, Path(tmp) / "ws", ignore=shutil.ignore_patterns(".studykit"))
            where = ["-C", str(Path(tmp) / "ws")]
        out = Path(tmp) / "quiz"
        cmd = [sys.executable, "-m", "studykit", *where, "quiz", "--count", str(args.questions),
               "--seed", str(args.seed), "--students", str(args.students), "--format", "md,html",
               "--out", str(out)]
        seconds = []
        snapshots = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL)
            seconds.append(time.perf_counter() - start)
            snapshots.append(_folder_bytes(out))
    return seconds[0], seconds[1], snapshots[0] == snapshots[1] and len(snapshots[0]) > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workspace", type=Path, default=None, help="default: the built-in bank only")
    parser.add_argument("--html-sample", type=int, default=40, help="documents timed for the HTML baseline")
    args = parser.parse_args()

    cold, warm, same = cli_cold_and_warm(args)
    print(f"studykit quiz, fresh process: cold (empty stores) {cold:6.2f} s; warm (answer + HTML stores "
          f"of that run) {warm:6.2f} s, ratio {cold / warm:4.1f}×; outputs byte-identical: {same}")

    rows: list[tuple[str, float]] = []
    start = time.perf_counter()
    from studykit.bank import load_bank
    from studykit.compute import params_json
    from studykit.quiz import build_quiz, select_questions
    from studykit.quizdocs import DocumentRenderer, chunks, write_quiz
    from studykit.roster import anonymous_students

    bank = timed("load bank", rows, load_bank, args.workspace)
    questions = select_questions(bank, count=args.questions, seed=args.seed)
    timed("import torch + sympy", rows, lambda: (__import__("torch"), __import__("sympy")))
    students = anonymous_students(args.students)
    quiz = timed("compute variants (cache + shared)", rows, build_quiz, bank, questions, students,
                 seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        timed("render md + html + write files", rows, write_quiz, quiz, Path(tmp) / "q", ["md", "html"],
              args.workspace)
        written = sum(1 for p in (Path(tmp) / "q").rglob("*") if p.is_file())
    job = time.perf_counter() - start

    renderer = DocumentRenderer(quiz, args.workspace)
    docs = [d for paper in quiz.papers for d in (renderer.sheet(paper), renderer.key(paper))]
    pieces = [c for d in docs for c in chunks(d)]
    unique = len({(v.question.id, params_json(v.params)) for paper in quiz.papers for v in paper.variants})

    print(f"studykit quiz: {len(questions)} questions × {len(students)} students → {written} files "
          f"({len(docs)} documents, md + html)")
    distinct_mb = sum(len(c.encode()) for c in set(pieces)) / 1e6
    print(f"  distinct variants {unique} of {len(questions) * len(students)}; "
          f"markdown {sum(len(d.encode()) for d in docs) / 1e6:.2f} MB in {len(pieces)} chunks, "
          f"{len(set(pieces))} distinct ({distinct_mb:.2f} MB) go to pandoc")
    for label, seconds in rows:
        print(f"  {label:38s} {seconds:7.2f} s")
    print(f"  {'job wall time (everything above, cold)':38s} {job:7.2f} s")

    compute_job = dict(rows)["compute variants (cache + shared)"]
    html_job = dict(rows)["render md + html + write files"]
    base_start = time.perf_counter()
    per_question = compute_one_by_one(quiz)
    base_compute = time.perf_counter() - base_start
    base_html = html_one_per_document(docs, args.html_sample)
    print("baselines (same run):")
    answers = len(questions) * len(students)
    print(f"  compute {answers} answers one by one, no cache   {base_compute:7.2f} s   "
          f"ratio {base_compute / compute_job:5.1f}×")
    slowest = sorted(per_question.items(), key=lambda kv: -kv[1])[:3]
    print("    slowest verifiers (one by one): " + ", ".join(f"{q} {s:.2f} s" for q, s in slowest))
    print(f"  html, one pandoc per document (sampled)   {base_html:7.2f} s   "
          f"ratio {base_html / html_job:5.1f}× (vs render + html + write)")
    total_base = job - compute_job - html_job + base_compute + base_html
    print(f"  job with both baselines                    {total_base:7.2f} s   "
          f"ratio {total_base / job:5.1f}×")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_quiz(quiz, Path(tmp) / "q", ["md"], args.workspace)
        print(f"for reference: render + write Markdown only   {time.perf_counter() - start:7.2f} s")


if __name__ == "__main__":
    main()
