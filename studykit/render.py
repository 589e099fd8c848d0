"""Rendering: the sandboxed Jinja environment and Markdown -> HTML (MathML) through pandoc.

Markdown is the canonical output; every other format is converted from the same text.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from studykit.errors import InputError, Location, StudykitError, UsageError
from studykit.paths import builtin_templates_dir

FORMATS = ("md", "html", "pdf", "docx")
_DATA = Path(__file__).resolve().parent / "data"
# Markdown as our templates write it: TeX math in $...$; no raw TeX or HTML reaches the output
# (the filter turns the literal <br> our templates write into a line break).
PANDOC_FROM = "markdown-raw_html-raw_tex-raw_attribute-citations"


# $$display$$ or $inline$ math as pandoc reads it: an opening $ not followed by a space, a closing
# $ not preceded by a space nor followed by a digit; \$ is a literal dollar.
_MATH = re.compile(r"\$\$(?:\\.|[^$\\])+?\$\$|(?<![\\$])\$(?=[^\s$])(?:\\.|[^$\\])+?(?<!\s)\$(?!\d)", re.S)
_TEX_TOKEN = re.compile(r"\\.|\||\n", re.S)
_TEXT_TOKEN = re.compile(r"\\.|[|$\n]", re.S)
# Characters that can start Markdown syntax inside a line (emphasis, code, links, math, entities,
# smart quotes, sub/superscript); "--" and "..." would become dashes and ellipses.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~^&\"'#{}@!])|(?<=-)-|(?<=\.)\.")


def _cell_math(tex: str) -> str:
    r"""Math inside a table cell: | would end the cell and \| would turn into a double bar, so
    spell them \vert / \Vert; newlines become spaces (a <br> inside TeX would break it)."""
    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "\n":
            return " "
        if token not in ("|", "\\|"):
            return token
        word = "\\vert" if token == "|" else "\\Vert"
        following = tex[match.end():match.end() + 1]
        return word + " " if following.isalpha() else word

    return _TEX_TOKEN.sub(swap, tex)


def _cell_text(text: str) -> str:
    r"""Text between math in a cell: escape | and every bare $ (so pandoc finds no math we did
    not find), newlines become <br>; backslash escapes the user wrote stay as they are."""
    table = {"|": "\\|", "$": "\\$", "\n": "<br>"}
    return _TEXT_TOKEN.sub(lambda m: table.get(m.group(0), m.group(0)), text)


def md_escape(text: Any) -> str:
    """Escape Markdown text for a pipe-table cell: keep $math$, break lines with <br>."""
    value = str(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    parts: list[str] = []
    last = 0
    for match in _MATH.finditer(value):
        parts.append(_cell_text(value[last:match.start()]))
        parts.append(_cell_math(match.group(0)))
        last = match.end()
    parts.append(_cell_text(value[last:]))
    return "".join(parts)


def md_plain(text: Any) -> str:
    """Escape literal text (a name, a place) so Markdown reads every character as itself."""
    value = " ".join(str(text).split())
    escaped = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), value)
    # The pandoc filter turns every literal <br> into a line break; an empty span splits a
    # <br> the user typed so that it stays text.
    return escaped.replace("\\<br\\>", "\\<[]{}br\\>")


def md_inline(text: Any) -> str:
    """Escape plain text for a Markdown paragraph (not a table cell)."""
    return str(text).replace("\r\n", "\n").strip()


def _filters() -> dict[str, Any]:
    return {"cell": md_escape, "inline": md_inline, "plain": md_plain}


def template_env(workspace: Path | None = None) -> SandboxedEnvironment:
    """Jinja environment: workspace templates/ first, then the built-in ones; StrictUndefined."""
    folders = []
    if workspace is not None and (workspace / "templates").is_dir():
        folders.append(str(workspace / "templates"))
    folders.append(str(builtin_templates_dir()))
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(_filters())
    return env


@lru_cache(maxsize=16)
def shared_template_env(workspace: Path | None = None) -> SandboxedEnvironment:
    """template_env(workspace) built once per process, so compiled templates are reused (don't mutate it)."""
    return template_env(workspace)


@lru_cache(maxsize=4096)
def _compiled_string(source: str) -> jinja2.Template:
    # Building an environment and compiling costs ~1.4 ms; a quiz renders thousands of prompts.
    return shared_template_env(None).from_string(source)


def render_template(name: str, context: Mapping[str, Any], workspace: Path | None = None) -> str:
    """Render one template; template mistakes become one-line errors with file:line."""
    env = shared_template_env(workspace)
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound:
        raise UsageError(f"template {name!r} not found") from None
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"template syntax error: {exc.message}",
                         Location(exc.filename or name, exc.lineno)) from None
    except jinja2.UndefinedError as exc:
        raise InputError(f"template uses an undefined value: {exc.message}",
                         Location(name)) from None
    except jinja2.exceptions.SecurityError as exc:
        raise InputError(f"template tried an unsafe operation: {exc}", Location(name)) from None


def render_string(source: str, context: Mapping[str, Any], where: Location) -> str:
    """Render a short Jinja string from a data file (a prompt, a solution) in the sandbox."""
    try:
        return _compiled_string(source).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"template syntax error: {exc.message}", where) from None
    except jinja2.UndefinedError as exc:
        raise InputError(f"undefined value in template: {exc.message}", where) from None
    except jinja2.exceptions.SecurityError as exc:
        raise InputError(f"unsafe template operation: {exc}", where) from None


@lru_cache(maxsize=1)
def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary, found without importing pypandoc."""
    spec = importlib.util.find_spec("pypandoc")
    if spec and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "files" / "pandoc"
        if candidate.is_file():
            return str(candidate)
    raise StudykitError("pandoc not found: install the pypandoc-binary package")


def run_pandoc(markdown: str, to: str, extra: Iterable[str] = ()) -> bytes:
    """Convert Markdown with pandoc; returns the output bytes (stdout)."""
    cmd = [pandoc_path(), "-f", PANDOC_FROM, "-t", to,
           "--lua-filter", str(_DATA / "pandoc-filter.lua"), *extra]
    proc = subprocess.run(cmd, input=markdown.encode("utf-8"), capture_output=True, check=False)
    if proc.returncode != 0:
        raise StudykitError(f"pandoc failed ({to}): {proc.stderr.decode('utf-8', 'replace')}")
    return proc.stdout


def markdown_to_html(markdown: str, title: str, lang: str = "ko") -> str:
    """A self-contained HTML page (inline CSS, A4 print) with MathML math."""
    body = run_pandoc(markdown, "html5", ["--mathml", "--wrap=none"]).decode("utf-8")
    return render_template("page.html.j2", {"title": title, "body": body, "lang": lang})


def write_documents(markdown: str, stem: Path, formats: Iterable[str], title: str,
                    lang: str = "ko") -> list[Path]:
    """Write stem.md/.html/.pdf/.docx for the requested formats; returns the paths written."""
    formats = list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UsageError(f"unknown format {unknown[0]!r}; expected some of {', '.join(FORMATS)}")
    stem.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        if fmt == "md":
            path.write_text(markdown, encoding="utf-8")
        elif fmt == "html":
            path.write_text(markdown_to_html(markdown, title, lang), encoding="utf-8")
        elif fmt == "pdf":
            from studykit.documents import markdown_to_pdf

            path.write_bytes(markdown_to_pdf(markdown, title, lang))
        else:
            from studykit.documents import markdown_to_docx

            path.write_bytes(markdown_to_docx(markdown, title, lang))
        written.append(path)
    return written
