"""Print-ready documents: Markdown -> PDF (pandoc -> Typst, bundled Korean font) and DOCX (OMML math).

Both come from the same Markdown as the .md and .html outputs (render.run_pandoc, same reader options
and Lua filter). See docs/documents.md for the fonts, their license and how missing glyphs are caught.
"""

from __future__ import annotations

import io
import os
import re
import struct
import threading
import unicodedata
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from studykit.errors import StudykitError
from studykit.render import run_pandoc

_HERE = Path(__file__).resolve().parent
FONTS_DIR = _HERE / "fonts"
TEXT_FONT_FILE = FONTS_DIR / "NanumGothic.ttf"
TYPST_TEMPLATE = _HERE / "data" / "document.typ"
REFERENCE_DOCX = _HERE / "data" / "reference.docx"
# PDF tables never get pandoc's relative widths (taken from the dash counts when a line is long): Typst
# sizes label columns (구분, 이름) to their text and _shape_tables lets the last column fill the line.
_NO_RELATIVE_WIDTHS = "--columns=100000"
_TABLE_START = re.compile(r"align\(center\)\[#table\(\n(\s*)columns: ([^\n]*),\n(\s*align: [^\n]*,\n)"
                          r"(?!\s*table\.header)")
_AUTO_COLUMNS = re.compile(r"(#table\(\n\s*columns: )(\d+),")
# Characters Typst's embedded New Computer Modern Math covers and our text font may lack; math
# source is TeX (ASCII), so these only appear when a note types math symbols directly.
_MATH_FONT_BLOCKS = ((0x2190, 0x21FF), (0x2200, 0x22FF), (0x27C0, 0x27EF), (0x2980, 0x2AFF),
                     (0x1D400, 0x1D7FF))


def markdown_to_typst(markdown: str) -> str:
    """The Typst source for a Markdown document, in our template (A4, bordered tables, Korean font)."""
    source = run_pandoc(markdown, "typst", ["--standalone", f"--template={TYPST_TEMPLATE}",
                                            "--wrap=none", _NO_RELATIVE_WIDTHS]).decode("utf-8")
    return _shape_tables(source)


def _shape_tables(source: str) -> str:
    """Tables as in the documents: left-aligned, narrow leading columns and a last one that fills the line;
    a table without a header row gets no shaded first row (the template shades row 0 as a header)."""
    def widths(match: re.Match[str]) -> str:
        count = int(match.group(2))
        return f"{match.group(1)}({'auto, ' * (count - 1)}1fr),"

    def headerless(match: re.Match[str]) -> str:
        indent = match.group(1)
        return f"{match.group(0)}{indent}fill: (x, y) => if x == 0 {{ luma(247) }},\n"

    source = _TABLE_START.sub(headerless, source)
    # pandoc centres every table; cells with "auto" alignment would inherit that
    source = source.replace("align(center)[#table(", "align(left)[#table(")
    return _AUTO_COLUMNS.sub(widths, source)


def markdown_to_pdf(markdown: str, title: str, lang: str = "ko") -> bytes:
    """A4 PDF with typeset math and Hangul in the bundled Nanum Gothic; missing glyphs are an error."""
    check_glyphs(markdown)
    source = markdown_to_typst(markdown)
    return compile_typst(source, {"title": title, "lang": lang})


def compile_typst(source: str, inputs: dict[str, str]) -> bytes:
    """Compile Typst source to PDF with only the bundled and embedded fonts; font warnings are errors."""
    import typst

    options: dict[str, Any] = {"format": "pdf", "sys_inputs": inputs}
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        options["timestamp"] = int(epoch)  # reproducible builds: a fixed creation date
    try:
        # The compiler object is not re-entrant ("Already borrowed"); documents written from a
        # thread pool (feedback, quiz) take turns on the one font-loaded compiler.
        with _COMPILE_LOCK:
            pdf, warnings = _typst_compiler().compile_with_warnings(source.encode("utf-8"), **options)
    except typst.TypstError as exc:
        raise StudykitError(f"PDF typesetting failed: {exc.message}") from None
    font_warnings = [w.message for w in warnings if "font" in w.message or "glyph" in w.message]
    if font_warnings:
        raise StudykitError("PDF font problem: " + "; ".join(font_warnings))
    if not isinstance(pdf, bytes):
        raise StudykitError("PDF typesetting returned no document")
    return pdf


_COMPILE_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _typst_compiler() -> Any:
    """One compiler per process: font discovery happens once, later documents reuse it (warm runs)."""
    import typst

    return typst.Compiler(font_paths=[str(FONTS_DIR)], ignore_system_fonts=True)


def check_glyphs(markdown: str) -> None:
    """Fail when the text uses a character the bundled font cannot print (it would come out as a box)."""
    covered = font_coverage(TEXT_FONT_FILE)
    missing: dict[str, int] = {}
    for number, line in enumerate(markdown.splitlines(), start=1):
        for char in line:
            code = ord(char)
            if code < 0x80 or code in covered or char in missing or _in_math_font(code):
                continue
            if unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Mn"):
                continue  # controls, joiners and spaces are not drawn as glyphs
            missing[char] = number
    if missing:
        listed = ", ".join(f"{c!r} (U+{ord(c):04X}, line {n})" for c, n in missing.items())
        raise StudykitError(f"no bundled font has a glyph for {listed}; "
                            f"the PDF would show empty boxes (fonts in {FONTS_DIR})")


def _in_math_font(code: int) -> bool:
    return any(lo <= code <= hi for lo, hi in _MATH_FONT_BLOCKS)


@lru_cache(maxsize=4)
def font_coverage(path: Path) -> frozenset[int]:
    """The code points a TrueType/OpenType font maps to glyphs (its Unicode cmap, formats 4 and 12)."""
    data = path.read_bytes()
    offset = _table_offset(data, b"cmap")
    _, count = struct.unpack_from(">HH", data, offset)
    codes: set[int] = set()
    for i in range(count):
        platform, encoding, sub = struct.unpack_from(">HHI", data, offset + 4 + 8 * i)
        if (platform, encoding) in ((3, 1), (3, 10), (0, 3), (0, 4)):
            codes |= _cmap_subtable(data, offset + sub)
    if not codes:
        raise StudykitError(f"font {path.name} has no Unicode character map")
    return frozenset(codes)


def _table_offset(data: bytes, tag: bytes) -> int:
    (count,) = struct.unpack_from(">H", data, 4)
    for i in range(count):
        name, _, table_offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if name == tag:
            return table_offset
    raise StudykitError(f"font has no {tag.decode()} table")


def _cmap_subtable(data: bytes, at: int) -> set[int]:
    (fmt,) = struct.unpack_from(">H", data, at)
    codes: set[int] = set()
    if fmt == 4:
        (seg2,) = struct.unpack_from(">H", data, at + 6)
        ends = struct.unpack_from(f">{seg2 // 2}H", data, at + 14)
        starts = struct.unpack_from(f">{seg2 // 2}H", data, at + 16 + seg2)
        deltas = struct.unpack_from(f">{seg2 // 2}h", data, at + 16 + 2 * seg2)
        ranges_at = at + 16 + 3 * seg2
        for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
            (range_offset,) = struct.unpack_from(">H", data, ranges_at + 2 * i)
            for code in range(start, min(end, 0xFFFE) + 1):
                if range_offset == 0:
                    glyph = (code + deltas[i]) & 0xFFFF
                else:
                    pos = ranges_at + 2 * i + range_offset + 2 * (code - start)
                    (glyph,) = struct.unpack_from(">H", data, pos)
                    glyph = (glyph + deltas[i]) & 0xFFFF if glyph else 0
                if glyph:
                    codes.add(code)
    elif fmt == 12:
        (groups,) = struct.unpack_from(">I", data, at + 12)
        for i in range(groups):
            start, end, glyph = struct.unpack_from(">III", data, at + 16 + 12 * i)
            codes.update(c for c in range(start, end + 1) if glyph + (c - start))
    return codes


def markdown_to_docx(markdown: str, title: str, lang: str = "ko") -> bytes:
    """A Word document: styles from our reference.docx (East Asian font set, bordered tables), OMML math."""
    # column widths as the Markdown's dashes give them: Word's own autofit of long cells is unpredictable
    extra = ["--reference-doc", str(REFERENCE_DOCX), "-o", "-"]
    return _set_docx_title(run_pandoc(markdown, "docx", extra), title)


def _set_docx_title(docx: bytes, title: str) -> bytes:
    """Put the title in the file's properties (pandoc's metadata title would add a second title line)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = data.replace(b"<dc:title></dc:title>",
                                    f"<dc:title>{xml_escape(title)}</dc:title>".encode(), 1)
            dst.writestr(info, data)
    return out.getvalue()
