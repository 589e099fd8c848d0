"""Benchmark: `studykit grade` of 10,000 students × 20 answer parts from one CSV, against csv.reader alone.

Run: /work/venv/bin/python bench/bench_grade.py [--students N] [--variants few|realistic] [--pool K]

The quiz uses six built-in questions with 20 answer parts between them (integers, numbers, a vector,
shapes, a symbolic derivative). --variants few (default) gives every question K distinct variants
(students share them round-robin, like a class handed a few versions of a sheet); --variants realistic
draws every student's own variant as `studykit quiz` does (variant_seed per student and question),
so there are as many distinct (question, params) pairs as the parameter specs allow.
Answers: 70 % correct, 10 % a verifier-named misconception, 10 % wrong, 5 % format errors, 5 % blank.
The setup computes the expected answers through the workspace's answer store, as `studykit quiz` in
that workspace does. Timed: `python -m studykit grade` in a fresh process three times — cold (the answer
store moved away: torch imported, every expected answer recomputed per distinct variant) and warm (the
store `quiz` left: no torch at all; the first grade of the quiz) and once more (the parsed-manifest
index that first grade left, too) — then run_grade() in-process twice (in-process memo cleared; the
first writes new files, the second overwrites them and upserts the same gradebook rows). Each run reads
the CSV, grades, imports into SQLite (executemany, one transaction) and writes scores.csv,
class_report.md and one Markdown feedback file per student. The baseline parses the same CSV with the
csv module alone. Stages are timed separately (warm process).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTION_IDS = ["cnn.conv-output", "backprop.sigmoid-gate", "alexnet.layer-shapes", "loss.cross-entropy",
                "fld.direction", "backprop.midterm-symbolic"]


def build_quiz(folder: Path, students: int, mode: str, pool: int, rng: random.Random
               ) -> tuple[Path, Path, int]:
    """manifest.json and a responses CSV in the contract layout; returns their paths and #variants."""
    from studykit import compute as compute_module
    from studykit.bank import load_bank
    from studykit.quiz import answer_columns
    from studykit.stores import AnswerStore
    from studykit.values import format_exact
    from studykit.variants import variant_seed

    bank = load_bank(None)
    store = AnswerStore.at(folder)  # what `studykit quiz` in this workspace fills
    store.bank_hash = bank.hash
    questions = [bank.get(qid) for qid in QUESTION_IDS]
    columns = answer_columns(questions)
    ids = [f"S{i:05d}" for i in range(1, students + 1)]
    pools = {q.id: [compute_module.draw_variant(q, 1000 + k, store=store)[0] for k in range(pool)]
             for q in questions}
    roster, rows, distinct = [], [], set()
    for i, sid in enumerate(ids):
        variants = {}
        for q in questions:
            if mode == "few":
                params = pools[q.id][i % pool]
            else:
                params = compute_module.draw_variant(q, variant_seed(0, sid, q.id), store=store)[0]
            variants[q.id] = {"seed": 0, "params": params}
            distinct.add((q.id, compute_module.params_json(params)))
        roster.append({"student_id": sid, "name": f"학생{i}", "variants": variants})
        row = [sid, f"학생{i}"]
        for _, q, part, _ in columns:
            result = compute_module.compute(q, variants[q.id]["params"])
            row.append(_answer(q.answer(part).kind, result, part, format_exact, rng))
        rows.append(row)
    parts = {q.id: [{"name": a.name, "kind": a.kind, "column": col, "weight": a.weight}
                    for n, qq, a_name, col in columns if qq.id == q.id for a in [q.answer(a_name)]]
             for q in questions}
    manifest = {"format": "studykit-quiz/1", "quiz_id": f"bench-{mode}", "title": "채점 벤치마크",
                "date": "2026-12-01", "course": "", "seed": 0, "bank_hash": bank.hash, "studykit_version": "",
                "questions": [{"n": n, "id": q.id, "points": q.points, "parts": parts[q.id]}
                              for n, q in enumerate(questions, 1)],
                "students": roster}
    manifest_path = folder / "quizzes" / f"bench-{mode}" / "manifest.json"
    manifest_path.parent.mkdir(parents=True)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    responses = folder / "responses.csv"
    with responses.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "name", *(col for *_, col in columns)])
        writer.writerows(rows)
    store.save()
    compute_module._MEMO.clear()  # in-process runs start as a fresh `grade` process would
    return manifest_path, responses, len(distinct)


def _answer(kind: str, result: Any, part: str, format_exact: Any, rng: random.Random) -> str:
    value = result.answers[part]
    roll = rng.random()
    if roll < 0.70:
        return format_exact(kind, value)
    if roll < 0.80 and result.misconceptions.get(part):
        return format_exact(kind, next(iter(result.misconceptions[part].values())))
    if roll < 0.90:
        if kind == "symbolic":
            return "x1*w11"
        if kind in ("shape",) or isinstance(value, list):
            return format_exact(kind, [v + 1 for v in value])
        return format_exact(kind, value * 2 + 1)
    if roll < 0.95:
        return "모름"
    return ""


def timed(work: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = work()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--variants", choices=["few", "realistic"], default="few")
    parser.add_argument("--pool", type=int, default=8, help="distinct variants per question (few)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "studykit.yaml").write_text("group: bench\nmembers: [{name: a, student_id: '1'}]\n",
                                              encoding="utf-8")
        setup, (manifest, responses, distinct) = timed(
            lambda: build_quiz(folder, args.students, args.variants, args.pool, random.Random(7)))
        header = next(csv.reader(responses.open(encoding="utf-8")))
        answers = args.students * (len(header) - 2)
        baseline, _ = timed(lambda: list(csv.reader(responses.open(encoding="utf-8", newline=""))))
        store = folder / ".studykit" / "answers-cache.json"
        kept = store.read_bytes()
        store.unlink()  # cold: nothing recorded, every expected answer recomputed (torch imported)
        cold, cold_code = timed(lambda: _fresh_process(manifest, responses, folder))
        store.write_bytes(kept)  # warm: the answers `quiz` recorded
        (folder / ".studykit" / "manifest-index.json").unlink(missing_ok=True)  # first grade of this quiz
        fresh, code = timed(lambda: _fresh_process(manifest, responses, folder))
        again_fresh, again_code = timed(lambda: _fresh_process(manifest, responses, folder))
        first, _ = timed(lambda: _in_process(manifest, responses, folder, "graded-1"))
        again, _ = timed(lambda: _in_process(manifest, responses, folder, "graded-1"))
        stages = stage_times(manifest, responses, folder)
    print(f"students {args.students:,} × answer parts {len(header) - 2} = {answers:,} answers; "
          f"variants={args.variants}: {distinct} distinct (question, params); setup {setup:.1f} s")
    print(f"baseline: csv.reader only              {baseline:7.3f} s {answers / baseline:12,.0f} answers/s")
    for label, seconds in ((f"grade, fresh process, cold (exit {cold_code})", cold),
                           (f"grade, fresh process, warm (exit {code})", fresh),
                           (f"grade, fresh, warm + manifest index ({again_code})", again_fresh),
                           ("grade in-process, new files", first), ("grade in-process, again", again)):
        print(f"{label:<39}{seconds:7.3f} s {answers / seconds:12,.0f} answers/s "
              f"{args.students / seconds:8,.0f} students/s  {seconds / baseline:6.1f}× baseline")
    for name, seconds in stages:
        print(f"  stage {name:<32}{seconds:7.3f} s")


def _fresh_process(manifest: Path, responses: Path, folder: Path) -> int:
    """`python -m studykit grade` in a new interpreter (torch only if the answer store misses)."""
    cmd = [sys.executable, "-m", "studykit", "-C", str(folder), "grade", str(manifest), str(responses),
           "--out", str(folder / "graded-0"), "--gradebook", str(folder / "gradebook-0.sqlite"),
           "--format", "md", "--force"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return done.returncode


def _in_process(manifest: Path, responses: Path, folder: Path, out: str) -> int:
    """run_grade() with the in-process memo cleared (reads the answer store; torch already imported)."""
    from studykit.compute import _MEMO
    from studykit.grading import run_grade

    _MEMO.clear()
    # force=True: in a shared checkout the bank may change while the bench runs.
    return run_grade(manifest, [responses], out_dir=folder / out, gradebook=folder / f"{out}.sqlite",
                     force=True, formats=["md"], workspace=folder, out=io.StringIO(), err=io.StringIO())


def stage_times(manifest: Path, responses: Path, folder: Path) -> list[tuple[str, float]]:
    """The same work split by stage (warm process: torch loaded, compute cache cleared)."""
    from studykit import classreport, feedback, gradebook
    from studykit.bank import load_bank
    from studykit.compute import _MEMO
    from studykit.grading import Expectations, grade_files
    from studykit.manifest import load_manifest
    from studykit.stores import AnswerStore

    _MEMO.clear()
    t_manifest, loaded = timed(lambda: load_manifest(manifest))
    t_bank, bank = timed(lambda: load_bank(folder))
    store = AnswerStore.at(folder)
    t_grade, run = timed(lambda: grade_files(loaded, [responses], Expectations(bank, store=store)))
    t_db, _ = timed(lambda: gradebook.import_run(folder / "stage.sqlite", run))
    t_feedback, _ = timed(lambda: feedback.write_feedback(run, folder / "stage-feedback", ["md"], folder))
    t_report, _ = timed(lambda: classreport.write_class_report(classreport.analyse(run), run,
                                                               folder / "stage-report", ["md"], folder))
    return [("load manifest", t_manifest), ("load bank", t_bank), ("read + answers (store) + grade", t_grade),
            ("gradebook import", t_db), ("feedback .md files", t_feedback), ("class report", t_report)]


if __name__ == "__main__":
    main()
