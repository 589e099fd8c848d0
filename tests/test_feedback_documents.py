"""Grading feedback and the class report as PDF and DOCX: every glyph they use is in the bundled font."""

from __future__ import annotations

import zipfile
from types import SimpleNamespace

from pypdf import PdfReader

from tests.test_grading import quiz, read_rows, write_rows  # noqa: F401  (quiz is a fixture)


def test_feedback_and_class_report_render_as_pdf_and_docx(quiz: SimpleNamespace) -> None:  # noqa: F811
    rows = read_rows(quiz.key)
    first_answer = next(column for column in rows[0] if column.startswith("Q"))
    rows[0][first_answer] = "not a number"  # a format error, so the feedback has a [문제 N] entry
    submissions = write_rows(quiz.ws / "responses.csv", rows)
    out = quiz.ws / "graded-docs"
    result = quiz.cli("-C", quiz.ws, "grade", quiz.manifest, submissions, "--out", out,
                      "--format", "md,pdf,docx")
    assert result.code == 0, result.stderr
    student = rows[0]["student_id"]
    text = "".join(page.extract_text() for page in PdfReader(out / "feedback" / f"{student}.pdf").pages)
    assert "오답노트" in text and "[문제 1]" in text
    class_pdf = out / "class_report.pdf"
    assert class_pdf.is_file() and class_pdf.stat().st_size > 0
    with zipfile.ZipFile(out / "feedback" / f"{student}.docx") as docx:
        assert "오답노트" in docx.read("word/document.xml").decode("utf-8")
