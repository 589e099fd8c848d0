"""Rendering: the sandboxed Jinja environment and Markdown -> HTML (MathML) through pandoc.

Markdown is the canonical output; every other format is converted from the same text.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from studykit.errors import InputError, Location, StudykitError, UsageError
from studykit.paths import builtin_templates_dir
from studykit.yamlio import read_text

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


# Bounds on what a template (a workspace's own, or a question's prompt) may build: 'x' * 10**10 or a
# loop printing forever must fail with a message, not exhaust the memory of the machine.
MAX_BUILT = 1_000_000          # characters or items one operation may make
MAX_EXPONENT = 10_000
MAX_OUTPUT = 50_000_000        # characters one rendered template may produce
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing huge repetitions, exponents and paddings, and mutating data it was given."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) \
                        and len(seq) * times > MAX_BUILT:
                    raise SecurityError(f"repeating a {type(seq).__name__} {times} times is too large")
        elif isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        padding = getattr(__obj, "__name__", "") in _WIDTH_METHODS \
            and isinstance(getattr(__obj, "__self__", None), str)
        if padding and any(isinstance(a, int) and a > MAX_BUILT for a in (*args, *kwargs.values())):
            raise SecurityError(f"{__obj.__name__} wider than {MAX_BUILT} characters")
        return super().call(__context, __obj, *args, **kwargs)


# Chunks joined per length check: the loop over them runs in C (one Python step per chunk cost ~30 µs on
# a 250-chunk page, ~0.3 s over 10,000 feedback pages); a refusal comes at most 127 chunks late.
_CAP_BATCH = 128


def _capped_concat(chunks: Iterable[str]) -> str:
    """Jinja's concat, refusing output over MAX_OUTPUT characters (the running length checked per batch)."""
    stream = iter(chunks)
    parts, total = [], 0
    while batch := list(islice(stream, _CAP_BATCH)):
        text = "".join(batch)
        total += len(text)
        if total > MAX_OUTPUT:
            raise SecurityError(f"the template writes more than {MAX_OUTPUT} characters")
        parts.append(text)
        if len(batch) < _CAP_BATCH:
            break
    return parts[0] if len(parts) == 1 else "".join(parts)


class _Loader(jinja2.FileSystemLoader):
    """Template files are user files too: UTF-8, else cp949 (yamlio.read_text), else one-line error."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError:
            for folder in self.searchpath:
                path = Path(folder, *jinja2.loaders.split_template_path(template))
                if path.is_file():
                    mtime = path.stat().st_mtime
                    return read_text(path), str(path), lambda p=path, m=mtime: p.stat().st_mtime == m
            raise


def template_env(workspace: Path | None = None) -> SandboxedEnvironment:
    """Jinja environment: workspace templates/ first, then the built-in ones; StrictUndefined."""
    folders = []
    if workspace is not None and (workspace / "templates").is_dir():
        folders.append(str(workspace / "templates"))
    folders.append(str(builtin_templates_dir()))
    env = _Sandbox(
        loader=_Loader(folders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(_filters())
    env.concat = _capped_concat  # type: ignore[method-assign]
    return env


@lru_cache(maxsize=16)
def shared_template_env(workspace: Path | None = None) -> SandboxedEnvironment:
    """template_env(workspace) built once per process, so compiled templates are reused (don't mutate it)."""
    return template_env(workspace)


@lru_cache(maxsize=4096)
def _compiled_string(source: str) -> jinja2.Template:
    # Building an environment and compiling costs ~1.4 ms; a quiz renders thousands of prompts.
    return shared_template_env(None).from_string(source)


# What a user's template can raise while rendering ({{ 1/0 }}, a macro calling itself, {{ 1 + 'a' }}).
_RUNTIME_ERRORS = (ArithmeticError, RecursionError, TypeError, ValueError, LookupError)


def template_line(exc: BaseException, fallback: Location) -> Location:
    """template:line of the innermost template frame of a rendering error (Jinja rewrites tracebacks so
    that template frames carry the template's file name and line)."""
    found = fallback
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            found = Location(filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def render_template(name: str, context: Mapping[str, Any], workspace: Path | None = None) -> str:
    """Render one template; template mistakes become one-line errors with file:line."""
    env = shared_template_env(workspace)
    where = Location(name)
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        if exc.name == name:
            raise UsageError(f"template {name!r} not found") from None
        raise InputError(f"template {exc.name!r} not found (only templates/ files can be included)",
                         template_line(exc, where)) from None
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"template syntax error: {exc.message}",
                         Location(exc.filename or name, exc.lineno)) from None
    except jinja2.UndefinedError as exc:
        raise InputError(f"template uses an undefined value: {exc.message}",
                         template_line(exc, where)) from None
    except SecurityError as exc:
        raise InputError(f"template tried an unsafe operation: {exc}", template_line(exc, where)) from None
    except _RUNTIME_ERRORS as exc:
        raise InputError(f"template failed: {type(exc).__name__}: {exc}", template_line(exc, where)) from exc


def render_string(source: str, context: Mapping[str, Any], where: Location) -> str:
    """Render a short Jinja string from a data file (a prompt, a solution) in the sandbox."""
    try:
        return _compiled_string(source).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"template syntax error: {exc.message}", where) from None
    except jinja2.UndefinedError as exc:
        raise InputError(f"undefined value in template: {exc.message}", where) from None
    except SecurityError as exc:
        raise InputError(f"unsafe template operation: {exc}", where) from None
    except _RUNTIME_ERRORS as exc:
        raise InputError(f"template failed: {type(exc).__name__}: {exc}", where) from exc


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


def prepare_folder(folder: Path) -> None:
    """Create an output folder (and its parents); a file in the way or no permission is a one-line error."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder; expected an output folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create folder {exc.filename or folder}: {exc.strerror}") from None


def write_file(path: Path, data: str | bytes) -> None:
    """Write through a temporary file in the same folder, then rename: an existing file is replaced whole
    or left as it was (an interrupted run or a full disk never leaves half a file)."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder; expected a file to write")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:  # KeyboardInterrupt while writing: leave no temporary file behind
        tmp.unlink(missing_ok=True)
        raise


def write_documents(markdown: str, stem: Path, formats: Iterable[str], title: str,
                    lang: str = "ko") -> list[Path]:
    """Write stem.md/.html/.pdf/.docx for the requested formats; returns the paths written.

    Every format is converted before any file is written, so a failing conversion changes nothing.
    """
    formats = list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UsageError(f"unknown format {unknown[0]!r}; expected some of {', '.join(FORMATS)}")
    prepare_folder(stem.parent)
    contents: list[tuple[Path, str | bytes]] = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        if fmt == "md":
            contents.append((path, markdown))
        elif fmt == "html":
            contents.append((path, markdown_to_html(markdown, title, lang)))
        elif fmt == "pdf":
            from studykit.documents import markdown_to_pdf

            contents.append((path, markdown_to_pdf(markdown, title, lang)))
        else:
            from studykit.documents import markdown_to_docx

            contents.append((path, markdown_to_docx(markdown, title, lang)))
    for path, data in contents:
        write_file(path, data)
    return [path for path, _ in contents]
