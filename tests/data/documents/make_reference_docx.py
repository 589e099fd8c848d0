"""Build studykit/data/reference.docx from pandoc's default reference document (run once; tested).

Run: /work/venv/bin/python tests/data/documents/make_reference_docx.py
Edits to word/styles.xml only: the East Asian font (맑은 고딕, which every Korean Word has; Word
substitutes a Hangul font elsewhere) replaces the theme's East Asian font in every style, the East
Asian language is ko-KR, body text is 11 pt, and the "Table" style pandoc uses gets borders on every
cell and a shaded, bold header row, like the documents' 구분 | 내용 tables.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EAST_ASIAN_FONT = "맑은 고딕"
_BORDER = '<w:{side} w:val="single" w:sz="4" w:space="0" w:color="595959" />'
_BORDERS = "<w:tblBorders>" + "".join(
    _BORDER.format(side=s) for s in ("top", "left", "bottom", "right", "insideH", "insideV")
) + "</w:tblBorders>"
_HEADER_ROW = ('<w:tblStylePr w:type="firstRow"><w:rPr><w:b /></w:rPr><w:tcPr>'
               '<w:shd w:val="clear" w:color="auto" w:fill="EEEEEE" /><w:vAlign w:val="bottom" />'
               "</w:tcPr></w:tblStylePr>")


def edit_styles(styles: str) -> str:
    """The reference styles with the Korean East Asian font, ko-KR and bordered tables."""
    styles = re.sub(r'w:eastAsiaTheme="[^"]*"', f'w:eastAsia="{EAST_ASIAN_FONT}"', styles)
    styles = styles.replace('w:eastAsia="zh-CN"', 'w:eastAsia="ko-KR"')
    styles = styles.replace('<w:sz w:val="24" />\n        <w:szCs w:val="24" />',
                            '<w:sz w:val="22" />\n        <w:szCs w:val="22" />', 1)
    table = re.search(r'<w:style w:type="table" w:default="1" w:styleId="Table">.*?</w:style>', styles, re.S)
    if table is None:
        raise SystemExit("pandoc's reference.docx has no Table style")
    block = table.group(0)
    block = block.replace('<w:tblInd w:w="0" w:type="dxa" />',
                          '<w:tblInd w:w="0" w:type="dxa" />' + _BORDERS, 1)
    block = re.sub(r'<w:tblStylePr w:type="firstRow">.*?</w:tblStylePr>', _HEADER_ROW, block, flags=re.S)
    return styles.replace(table.group(0), block)


def build(default_docx: bytes) -> bytes:
    """Copy pandoc's default reference.docx with edited styles.xml (other parts unchanged)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(default_docx)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/styles.xml":
                data = edit_styles(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def default_reference() -> bytes:
    """pandoc's own reference.docx (the one it uses without --reference-doc)."""
    sys.path.insert(0, str(ROOT))
    from studykit.render import pandoc_path

    return subprocess.run([pandoc_path(), "--print-default-data-file", "reference.docx"],
                          capture_output=True, check=True).stdout


if __name__ == "__main__":
    target = ROOT / "studykit" / "data" / "reference.docx"
    target.write_bytes(build(default_reference()))
    print(f"wrote {target} ({target.stat().st_size} bytes)")
