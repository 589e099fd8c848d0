"""Benchmark: PDF and DOCX of a week-10 report, cold (new process) and warm (in-process), against pandoc HTML.

Run: /work/venv/bin/python bench/bench_documents.py [--repeat N] [--markdown FILE]
The report is the example workspace's week 10 (examples/study-group) when it renders, else the test
fixture tests/data/documents/week10.md. The baseline is the HTML page from the same Markdown, measured
in the same run the same ways; ratios are PDF (or DOCX) time / HTML time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURE = ROOT / "tests" / "data" / "documents" / "week10.md"
EXAMPLE = ROOT / "examples" / "study-group"
TITLE = "10주차 조별보고서"
_COLD = """
import sys, time
start = time.perf_counter()
from pathlib import Path
from studykit import documents, render
markdown = Path(sys.argv[2]).read_text(encoding="utf-8")
call = {{"html": render.markdown_to_html, "pdf": documents.markdown_to_pdf,
        "docx": documents.markdown_to_docx}}[sys.argv[1]]
call(markdown, {title!r}, "ko")
print(time.perf_counter() - start)
"""


def report_markdown(explicit: Path | None) -> tuple[str, str]:
    """The Markdown to convert and where it came from."""
    if explicit is not None:
        return explicit.read_text(encoding="utf-8"), str(explicit)
    if (EXAMPLE / "studykit.yaml").is_file():
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-m", "studykit", "report", "week10", "--format", "md", "--out", out]
            proc = subprocess.run(cmd, cwd=EXAMPLE, capture_output=True, text=True)
            found = sorted(Path(out).rglob("*.md"))
            if proc.returncode == 0 and found:
                return found[0].read_text(encoding="utf-8"), "examples/study-group week10"
    return FIXTURE.read_text(encoding="utf-8"), str(FIXTURE.relative_to(ROOT))


def cold(fmt: str, path: Path, repeat: int) -> tuple[float, float]:
    """Median (whole process wall time, time inside the process from first import) over repeat runs."""
    walls, insides = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _COLD.format(title=TITLE), fmt, str(path)],
                              cwd=ROOT, capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - start)
        insides.append(float(proc.stdout.strip()))
    return statistics.median(walls), statistics.median(insides)


def warm(fmt: str, markdown: str, repeat: int) -> float:
    """Median in-process time after one untimed run (caches, font discovery and imports done)."""
    from studykit import documents, render

    call = {"html": render.markdown_to_html, "pdf": documents.markdown_to_pdf,
            "docx": documents.markdown_to_docx}[fmt]
    call(markdown, TITLE, "ko")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call(markdown, TITLE, "ko")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stages(markdown: str, repeat: int) -> dict[str, float]:
    """Warm PDF split into its steps: glyph check, pandoc -> Typst, Typst -> PDF."""
    from studykit import documents

    source = documents.markdown_to_typst(markdown)
    steps = {"glyph check": lambda: documents.check_glyphs(markdown),
             "pandoc -> typst": lambda: documents.markdown_to_typst(markdown),
             "typst -> pdf": lambda: documents.compile_typst(source, {"title": TITLE, "lang": "ko"})}
    out = {}
    for name, step in steps.items():
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        out[name] = statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    markdown, origin = report_markdown(args.markdown)
    with tempfile.NamedTemporaryFile("w", suffix=".md", encoding="utf-8", delete=False) as handle:
        handle.write(markdown)
        md_path = Path(handle.name)
    print(f"report: {origin} ({len(markdown)} characters), median of {args.repeat} runs")
    results = {}
    for fmt in ("html", "pdf", "docx"):
        results[fmt] = (*cold(fmt, md_path, args.repeat), warm(fmt, markdown, args.repeat))
    print(f"{'format':8}{'cold process':>14}{'cold in-proc':>14}{'warm':>10}{'warm / html':>13}")
    for fmt, (wall, inside, hot) in results.items():
        print(f"{fmt:8}{wall:13.3f}s{inside:13.3f}s{hot:9.3f}s{hot / results['html'][2]:12.1f}x")
    for name, seconds in stages(markdown, args.repeat).items():
        print(f"  pdf step {name:16}{seconds:8.3f}s")
    md_path.unlink()


if __name__ == "__main__":
    main()
