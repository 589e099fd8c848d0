"""PDF (pandoc -> Typst) and DOCX (pandoc, OMML) output: text, fonts, math, tables, missing glyphs."""

from __future__ import annotations

import importlib.util
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from studykit import documents
from studykit.errors import StudykitError
from studykit.render import write_documents

DATA = Path(__file__).parent / "data" / "documents"
ROOT = Path(__file__).resolve().parents[1]
TITLE = "10주차 조별보고서"
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def markdown() -> str:
    return (DATA / "week10.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf(markdown: str) -> bytes:
    return documents.markdown_to_pdf(markdown, TITLE, "ko")


@pytest.fixture(scope="module")
def docx(markdown: str) -> bytes:
    return documents.markdown_to_docx(markdown, TITLE, "ko")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _text_runs(pdf: bytes) -> list[tuple[str, float, float, str]]:
    """(text, x, y, font) of every text run on page 1, y growing upward as PDF draws it."""
    runs: list[tuple[str, float, float, str]] = []

    def visit(text, cm, tm, font, size) -> None:  # noqa: ANN001 - pypdf's visitor signature
        if text.strip():
            runs.append((text, cm[4] + tm[4], cm[5] - tm[5], str(font.get("/BaseFont")) if font else ""))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return runs


def _notdef_glyphs(pdf: bytes) -> int:
    """How many glyphs the PDF draws as .notdef (code 0 of a Type0 font): an independent oracle."""
    reader = PdfReader(io.BytesIO(pdf))
    count = 0
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        font = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                font = fonts[operands[0]].get_object()
            elif operator in (b"Tj", b"TJ") and font is not None and font["/Subtype"] == "/Type0":
                items = operands if operator == b"Tj" else list(operands[0])
                for item in items:
                    raw = getattr(item, "original_bytes", item)
                    if isinstance(raw, bytes):
                        codes = [raw[i:i + 2] for i in range(0, len(raw), 2)]
                        count += codes.count(b"\x00\x00")
    return count


# --- PDF -------------------------------------------------------------------------------------------

def test_pdf_text_holds_headings_and_members(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    text = _squash("".join(page.extract_text() for page in reader.pages))
    for expected in (_squash(TITLE), "구분", "내용", "학습범위와내용", "논의내용", "첨부개별레포트",
                     "김영연", "201500629", "이충현", "201600412", "Q1", "A1"):
        assert expected in text, expected
    assert "\\mathbb" not in text and "\\min" not in text  # math was typeset, not printed as TeX


def test_pdf_is_a4_with_page_numbers_and_title(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert "1 / 1" in reader.pages[0].extract_text()
    assert reader.metadata.title == TITLE


def test_pdf_uses_bundled_korean_font_and_math_font(pdf: bytes) -> None:
    fonts = {font for *_, font in _text_runs(pdf)}
    names = {re.sub(r"^/[A-Z]{6}\+", "", f) for f in fonts}
    assert "NanumGothic" in names and "NanumGothicBold" in names
    assert any(n.startswith("NewCMMath") for n in names)
    assert names <= {"NanumGothic", "NanumGothicBold"} | {n for n in names if n.startswith("NewCMMath")}
    hangul_fonts = {font for text, *_, font in _text_runs(pdf) if re.search("[가-힣]", text)}
    assert hangul_fonts and all("NanumGothic" in f for f in hangul_fonts)


def test_pdf_math_has_limits_under_min_and_max(pdf: bytes) -> None:
    runs = _text_runs(pdf)
    for operator, limit in (("min", "𝐺"), ("max", "𝐷")):
        at = next(i for i, run in enumerate(runs) if run[0] == operator)
        _, x, y, _ = runs[at]
        under = runs[at + 1]
        assert under[0] == limit
        assert y - under[2] > 4, "the limit sits below the operator's baseline"
        assert x - 1 <= under[1] <= x + 15, "and horizontally under it"
    texts = [run[0] for run in runs]
    assert "𝔼" in texts  # \mathbb{E}, blackboard bold from the math font


def test_pdf_has_no_missing_glyphs_and_no_typst_warnings(markdown: str, pdf: bytes) -> None:
    assert _notdef_glyphs(pdf) == 0
    source = documents.markdown_to_typst(markdown).encode("utf-8")
    _, warnings = documents._typst_compiler().compile_with_warnings(source, format="pdf", sys_inputs={})
    assert [w.message for w in warnings] == []


def test_notdef_oracle_sees_a_box() -> None:
    # bypass check_glyphs: Typst itself prints U+16A0 as an empty box without a word of warning
    boxed = documents.compile_typst('#set text(font: "NanumGothic")\n가 ᚠ 나', {})
    assert _notdef_glyphs(boxed) == 1


def test_missing_glyph_is_an_error_naming_char_and_line() -> None:
    with pytest.raises(StudykitError) as caught:
        documents.markdown_to_pdf("# 제목\n\n룬 문자 ᚠ 와 😀\n", TITLE, "ko")
    message = str(caught.value)
    assert "U+16A0, line 3" in message and "U+1F600, line 3" in message


def test_hanja_greek_and_symbols_are_covered() -> None:
    documents.check_glyphs("漢字 αβθ → × ① ≤ ∑ ㄱㅏ “인용” … ½ 𝔼 ∀")  # no error


def test_unknown_font_family_is_an_error() -> None:
    with pytest.raises(StudykitError, match="unknown font family"):
        documents.compile_typst('#set text(font: "NoSuchFont")\nabc', {})


def test_typst_error_becomes_studykit_error() -> None:
    with pytest.raises(StudykitError, match="PDF typesetting failed"):
        documents.compile_typst("#let x = (", {})


def test_font_cmap_covers_every_hangul_syllable() -> None:
    covered = documents.font_coverage(documents.TEXT_FONT_FILE)
    assert all(code in covered for code in range(0xAC00, 0xD7A4))  # 가..힣, all 11,172
    assert all(code in covered for code in range(0x21, 0x7F))
    assert 0x16A0 not in covered


def test_tables_get_a_label_column_and_a_filling_column() -> None:
    table = "| 이름 | 학번 | 비고 |\n|---|---|---|\n| 김영연 | 201500629 | 조장 |\n"
    typ = documents.markdown_to_typst(table)
    assert "columns: (auto, auto, 1fr)," in typ
    assert "align(left)[#table(" in typ and "align(center)[#table(" not in typ


def test_literal_html_and_typst_markup_stay_text(pdf: bytes) -> None:
    hostile = '# 제목\n\n<script>alert(1)</script> #set page(fill: red) $x$ <br>다음\n'
    out = documents.markdown_to_pdf(hostile, TITLE, "ko")
    text = _squash(PdfReader(io.BytesIO(out)).pages[0].extract_text())
    assert "<script>alert(1)</script>" in text and "#setpage(fill:red)" in text


# --- DOCX ------------------------------------------------------------------------------------------

def test_docx_tables_hold_the_report_cells(docx: bytes) -> None:
    import docx as python_docx

    document = python_docx.Document(io.BytesIO(docx))
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["구분", "내용"] in rows
    assert ["이름", "학번"] in rows and ["김영연", "201500629"] in rows and ["이충현", "201600412"] in rows
    scope = next(r for r in rows if r[0] == "학습 범위와 내용")
    assert scope[1] == "4.5 생성 모델\n4.6 딥러닝은 왜 강력한가?"  # <br> became a line break
    assert all(table.style.name == "Table" for table in document.tables)
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert ("Heading 1", TITLE) in headings and ("Heading 2", "첨부 개별 레포트") in headings


def test_docx_math_is_omml_with_limits_and_fractions(docx: bytes) -> None:
    body = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode("utf-8")
    assert body.count("<m:oMath>") >= 4 and "<m:oMathPara>" in body
    assert re.search(r"<m:limLow><m:e><m:r><m:rPr><m:sty m:val=\"p\" /></m:rPr><m:t>min</m:t>", body)
    assert "<m:f>" in body and 'm:val="double-struck"' in body
    assert "\\mathbb" not in body


def test_docx_styles_set_the_korean_east_asian_font(docx: bytes) -> None:
    package = zipfile.ZipFile(io.BytesIO(docx))
    styles = package.read("word/styles.xml").decode("utf-8")
    defaults = re.search(r"<w:rPrDefault>.*?</w:rPrDefault>", styles, re.S).group(0)
    assert 'w:eastAsia="맑은 고딕"' in defaults and 'w:eastAsia="ko-KR"' in defaults
    assert "eastAsiaTheme" not in styles  # an explicit font, not the theme's (which Word would prefer)
    table = re.search(r'w:styleId="Table"[^>]*>.*?</w:style>', styles, re.S).group(0)
    assert table.count('w:val="single"') == 6  # top, left, bottom, right, inside borders
    assert f"<dc:title>{TITLE}</dc:title>" in package.read("docProps/core.xml").decode("utf-8")


def test_docx_title_is_xml_escaped(markdown: str) -> None:
    out = documents.markdown_to_docx("# a\n", "A & <B>", "ko")
    core = zipfile.ZipFile(io.BytesIO(out)).read("docProps/core.xml").decode("utf-8")
    assert "<dc:title>A &amp; &lt;B&gt;</dc:title>" in core


def test_reference_docx_is_what_the_script_builds() -> None:
    spec = importlib.util.spec_from_file_location("make_reference_docx", DATA / "make_reference_docx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = zipfile.ZipFile(io.BytesIO(module.build(module.default_reference())))
    committed = zipfile.ZipFile(documents.REFERENCE_DOCX)
    assert built.namelist() == committed.namelist()
    for name in committed.namelist():
        assert built.read(name) == committed.read(name), name


# --- through render.write_documents and the CLI ------------------------------------------------------

def test_write_documents_writes_pdf_and_docx(markdown: str, tmp_path: Path) -> None:
    paths = write_documents(markdown, tmp_path / "week10", ["pdf", "docx"], TITLE)
    assert [p.name for p in paths] == ["week10.pdf", "week10.docx"]
    assert paths[0].read_bytes().startswith(b"%PDF-")
    assert "word/document.xml" in zipfile.ZipFile(paths[1]).namelist()


EXAMPLE = ROOT / "examples" / "study-group"


@pytest.mark.skipif(not (EXAMPLE / "studykit.yaml").is_file(), reason="example workspace not built yet")
def test_example_week10_report_as_pdf_and_docx(tmp_path: Path) -> None:
    def report(formats: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "studykit", "report", "week10", "--format", formats,
               "--out", str(tmp_path)]
        return subprocess.run(cmd, cwd=EXAMPLE, capture_output=True, text=True)

    markdown_only = report("md")
    if markdown_only.returncode != 0:  # the report itself (not this module) is still being built
        pytest.skip(f"example week10 report does not render yet: {markdown_only.stderr.strip()[:200]}")
    proc = report("pdf,docx")
    assert proc.returncode == 0, proc.stderr
    pdf_path = next(tmp_path.rglob("*.pdf"))
    text = _squash("".join(p.extract_text() for p in PdfReader(pdf_path).pages))
    assert "조별보고서" in text and "첨부개별레포트" in text
    assert _notdef_glyphs(pdf_path.read_bytes()) == 0
    assert "<m:oMath>" in zipfile.ZipFile(next(tmp_path.rglob("*.docx"))).read("word/document.xml").decode()


def test_fonts_ship_with_their_license() -> None:
    license_text = (documents.FONTS_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in license_text and "NAVER Corporation" in license_text
    shipped = sorted(p.name for p in documents.FONTS_DIR.glob("*.ttf"))
    assert shipped == ["NanumGothic.ttf", "NanumGothicBold.ttf"]
    assert all(name in license_text for name in shipped)
    assert sum(p.stat().st_size for p in documents.FONTS_DIR.iterdir()) < 10_000_000


def test_pdfs_from_several_threads_at_once() -> None:
    """Feedback and quiz documents are written from a thread pool; the one compiler must cope."""
    from concurrent.futures import ThreadPoolExecutor

    from studykit.documents import markdown_to_pdf

    texts = [f"# 오답노트 {i}\n\n| 구분 | 내용 |\n|---|---|\n| 이름 | 김영연 {i} |\n" for i in range(6)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        pdfs = list(pool.map(lambda md: markdown_to_pdf(md, "t", "ko"), texts))
    assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
