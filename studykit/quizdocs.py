"""A quiz's documents: sheets and keys rendered from Markdown templates, HTML through batched pandoc runs.

One Jinja environment renders every document; prompts and solutions are rendered once per distinct
(question, parameters). HTML: every distinct chunk of every document goes through pandoc once, in two
batched runs side by side (see html_bodies), byte-identical to converting each document alone.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studykit import render
from studykit.errors import StudykitError, UsageError
from studykit.quiz import MANIFEST_FORMAT, Paper, Quiz, Variant, answers_csv, manifest_text
from studykit.roster import CLASS_ID
from studykit.stores import ChunkStore, write_text_files
from studykit.values import format_display

SHEET_TEMPLATE, KEY_TEMPLATE = "sheet.md.j2", "key.md.j2"
BLANK = "\\_" * 8
LETTERS = "abcdefghijklmnopqrstuvwxyz"
PANDOC_WORKERS = 2  # pandoc runs side by side; the target machine has two cores
# Header ids would differ between a document converted alone and inside a batch, so none are made.
HTML_READER = render.PANDOC_FROM + "-auto_identifiers"
HTML_OPTIONS = ("--mathml", "--wrap=none")
# Markdown whose meaning reaches across the whole input (footnotes, reference links, example lists,
# TeX macros): such a document is converted on its own, never inside a batch.
_GLOBAL_SYNTAX = re.compile(r"\[\^|^ {0,3}\[[^\]\n]+\]:|\(@|\\(?:re)?newcommand|\\def\b", re.M)


def check_formats(formats: Iterable[str]) -> list[str]:
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in render.FORMATS]
    if unknown or not formats:
        raise UsageError(f"unknown format {(unknown or [''])[0]!r}; "
                         f"expected some of {', '.join(render.FORMATS)}")
    return formats


# --- template contexts -------------------------------------------------------------------------

def code_span(text: str) -> str:
    """Literal text as inline code, with a longer fence when the text holds a backtick."""
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def _param_text(params: Mapping[str, Any]) -> str:
    def value(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
    return ", ".join(code_span(f"{k} = {value(v)}") for k, v in params.items())


def _tolerance_note(spec: Any) -> str:
    """How closely the key's number must be matched, in the key only."""
    tol = spec.tolerance or {}
    if spec.kind != "number":
        return ""
    if "sigfig" in tol:
        return f"유효숫자 {int(tol['sigfig'])}자리"
    if "decimals" in tol:
        return f"소수점 아래 {int(tol['decimals'])}자리"
    return ""


def _part_base(question: Any) -> list[dict[str, Any]]:
    """What sheet and key show of each part, without its value."""
    many = len(question.answers) > 1
    return [{"letter": LETTERS[i % 26] if many else "", "label": spec.display_label(), "name": spec.name,
             "show_name": bool(spec.label) and spec.label != spec.name, "kind": spec.kind,
             "unit": spec.unit, "options": list(spec.options), "multiple": spec.multiple,
             "symbols": list(spec.symbols)} for i, spec in enumerate(question.answers)]


def _key_value(spec: Any, value: Any) -> str:
    """The computed value as the key shows it (Markdown)."""
    if spec.kind == "symbolic":
        return code_span(str(value))
    if spec.kind == "text":
        return render.md_inline(value)
    shown = format_display(spec.kind, value, spec.tolerance)
    return "**" + shown.replace("*", "\\*") + "**"


class DocumentRenderer:
    """Renders sheet and key Markdown; prompts and solutions are memoised by (question, params)."""

    def __init__(self, quiz: Quiz, workspace: Path | None) -> None:
        self.quiz, self.workspace = quiz, workspace
        self.env = render.shared_template_env(workspace)
        self._prompts: dict[tuple[str, str], str] = {}
        self._solutions: dict[tuple[str, str], str] = {}

    def _memo_key(self, variant: Variant) -> tuple[str, str]:
        from studykit.compute import params_json

        return variant.question.id, params_json(variant.params)

    def prompt(self, variant: Variant) -> str:
        from studykit.compute import render_prompt

        key = self._memo_key(variant)
        if key not in self._prompts:
            self._prompts[key] = render_prompt(variant.question, variant.params).strip()
        return self._prompts[key]

    def solution(self, variant: Variant) -> str:
        from studykit.compute import render_solution

        key = self._memo_key(variant)
        if key not in self._solutions:
            self._solutions[key] = render_solution(variant.question, variant.params, variant.result).strip()
        return self._solutions[key]

    def _header(self, paper: Paper) -> dict[str, Any]:
        student = paper.student
        return {"title": self.quiz.title, "course": self.quiz.course, "date": self.quiz.date,
                "blank": BLANK, "quiz_id": self.quiz.quiz_id,
                "student": {"id": student.student_id, "name": student.name,
                            "class_wide": student.student_id == CLASS_ID and self.quiz.textbook,
                            "named": bool(student.name)}}

    def sheet(self, paper: Paper) -> str:
        questions = [{"n": n, "points": f"{v.question.points:g}", "prompt": self.prompt(v),
                      "parts": _part_base(v.question)} for n, v in enumerate(paper.variants, 1)]
        return self._render(SHEET_TEMPLATE, {**self._header(paper), "questions": questions})

    def key(self, paper: Paper) -> str:
        questions = []
        for n, variant in enumerate(paper.variants, 1):
            parts = _part_base(variant.question)
            for part, spec in zip(parts, variant.question.answers, strict=True):
                value = variant.result.answers[spec.name]
                part.update(value=_key_value(spec, value), note=_tolerance_note(spec))
            questions.append({"n": n, "points": f"{variant.question.points:g}", "id": variant.question.id,
                              "title": variant.question.title, "params": _param_text(variant.params),
                              "parts": parts, "solution": self.solution(variant)})
        return self._render(KEY_TEMPLATE, {**self._header(paper), "questions": questions})

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        # render_template maps template mistakes to one-line errors; it uses the same shared env.
        return render.render_template(name, context, self.workspace)


# --- HTML --------------------------------------------------------------------------------------

# A larger allocation area for pandoc's garbage collector: ~10 % less CPU on a quiz's batches
# (measured on pandoc 3.9); dropped for a pandoc built without RTS options. Output is unaffected.
_RTS = ["+RTS", "-A64m", "-RTS"]


def _pandoc(markdown: str, reader: str, to: str, extra: Sequence[str]) -> str:
    cmd = [render.pandoc_path(), *_RTS, "-f", reader, "-t", to,
           "--lua-filter", str(Path(render.__file__).with_name("data") / "pandoc-filter.lua"), *extra]
    proc = subprocess.run(cmd, input=markdown.encode("utf-8"), capture_output=True, check=False)
    if proc.returncode != 0 and _RTS and b"RTS" in proc.stderr:
        _RTS.clear()
        return _pandoc(markdown, reader, to, extra)
    if proc.returncode != 0:
        raise StudykitError(f"pandoc failed ({to}): {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8")


def _tidy(body: str) -> str:
    body = body.strip("\n")
    return body + "\n" if body else ""


def _split_token(docs: Sequence[str]) -> str:
    digest = hashlib.sha256("\x00".join(docs).encode("utf-8")).hexdigest()
    salt = 0
    while True:
        token = f"STUDYKITDOCSPLIT{digest[:16]}{salt}"
        if not any(token in doc for doc in docs):
            return token
        salt += 1


def _convert_group(docs: Sequence[str], reader: str, to: str, extra: Sequence[str]) -> list[str]:
    """Several documents through one pandoc run, split at a marker paragraph; alone if that fails."""
    if len(docs) == 1:
        return [_tidy(_pandoc(docs[0], reader, to, extra))]
    token = _split_token(docs)
    joined = f"\n\n{token}\n\n".join(doc.rstrip("\n") for doc in docs) + "\n"
    pieces = _pandoc(joined, reader, to, extra).split(f"<p>{token}</p>")
    if len(pieces) != len(docs):  # a document left a block open (e.g. an unclosed code fence)
        return [_tidy(_pandoc(doc, reader, to, extra)) for doc in docs]
    return [_tidy(piece) for piece in pieces]


# A piece may start a new top-level block only if it cannot continue the one before it: no
# indentation (list continuation, code), no list marker (a loose list), no definition or caption.
_CONTINUES = re.compile(r"^(?:\s|[-+*](?:\s|$)|\d+[.)](?:\s|$)|#[.)]|\(?[A-Za-z]{1,4}[.)](?:\s|$)"
                        r"|\(|:|~|Table:|\|)")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def chunks(doc: str) -> list[str]:
    """A document cut at blank lines where each piece is a whole run of top-level blocks.

    pandoc(doc) equals the pieces converted alone and joined with a newline: the cuts avoid fenced
    code, fenced divs, loose lists, continuations, captions and definition lists (tested).
    """
    if ":::" in doc:  # fenced divs nest across blank lines; not worth tracking
        return [doc]
    pieces: list[list[str]] = [[]]
    fence: str | None = None
    for line in doc.split("\n"):
        match = _FENCE.match(line)
        marks = match.group(1) if match else ""
        if fence is None and marks:
            fence = marks
        elif fence is not None and marks[:1] == fence[0] and len(marks) >= len(fence) \
                and not line.strip()[len(marks):].strip():  # a closing fence has nothing after the marks
            fence = None
        if fence is None and not line.strip():
            if pieces[-1]:
                pieces.append([])
            continue
        pieces[-1].append(line)
    if fence is not None:
        return [doc]
    merged: list[list[str]] = []
    for piece in filter(None, pieces):
        if merged and (_CONTINUES.match(piece[0]) or _CONTINUES.match(merged[-1][0])):
            merged[-1] += ["", *piece]
        else:
            merged.append(piece)
    return ["\n".join(piece) + "\n" for piece in merged] or [doc]


def converter_fingerprint(reader: str, to: str, extra: Sequence[str]) -> str:
    """What a stored chunk was converted with: pandoc binary (path, size, mtime), Lua filter, options."""
    pandoc = Path(render.pandoc_path())
    try:
        info = pandoc.stat()
        binary = f"{pandoc.resolve()}:{info.st_size}:{info.st_mtime_ns}"
    except OSError:
        binary = str(pandoc)
    lua = Path(render.__file__).with_name("data") / "pandoc-filter.lua"
    filter_digest = hashlib.sha256(lua.read_bytes()).hexdigest()
    return "\x1f".join(["studykit-html/1", binary, filter_digest, reader, to, *extra])


def _convert_unique(texts: Sequence[str], reader: str, to: str, extra: Sequence[str], workers: int,
                    store: ChunkStore | None = None) -> dict[str, str]:
    """Each distinct text converted once, in `workers` batches run side by side; a `store` holds
    the conversions of earlier runs (same pandoc, filter and options) and keeps the new ones."""
    unique = list(dict.fromkeys(texts))
    done: dict[str, str] = {}
    converter = converter_fingerprint(reader, to, extra) if store is not None else ""
    if store is not None:
        for text in unique:
            found = store.get(converter, text)
            if found is not None:
                done[text] = found
        unique = [t for t in unique if t not in done]
    alone = [[t] for t in unique if _GLOBAL_SYNTAX.search(t)]  # their meaning spans the whole input
    batched = [t for t in unique if not _GLOBAL_SYNTAX.search(t)]
    groups = [g for g in (batched[k::workers] for k in range(workers)) if g] + alone
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outputs = pool.map(lambda g: _convert_group(g, reader, to, extra), groups)
        for group, bodies in zip(groups, outputs, strict=True):
            for text, body in zip(group, bodies, strict=True):
                done[text] = body
                if store is not None:
                    store.put(converter, text, body)
    return done


def html_bodies(docs: Sequence[str], reader: str = HTML_READER, to: str = "html5",
                extra: Sequence[str] = HTML_OPTIONS, workers: int = PANDOC_WORKERS,
                store: ChunkStore | None = None) -> list[str]:
    """HTML bodies for many Markdown documents with few pandoc processes and no repeated work.

    Pandoc reads ~300 KB of Markdown a second, and a quiz repeats most of its paragraphs (labels,
    blanks, shared variants), so each document is cut into independent chunks (see chunks()), every
    distinct chunk is converted once, and the chunks go through `workers` pandoc runs side by side.
    Documents using footnotes, reference links, example lists or TeX macros are converted whole.
    The result is byte-identical to converting each document alone (tested).
    """
    split = [[doc] if _GLOBAL_SYNTAX.search(doc) else chunks(doc) for doc in docs]
    converted = _convert_unique([c for parts in split for c in parts], reader, to, extra, workers, store)
    return [_tidy("\n".join(converted[c].rstrip("\n") for c in parts if converted[c].strip()))
            for parts in split]


def html_page(body: str, title: str, workspace: Path | None, lang: str = "ko") -> str:
    """The same page markdown_to_html makes around a body."""
    return render.render_template("page.html.j2", {"title": title, "body": body, "lang": lang}, workspace)


# --- writing -----------------------------------------------------------------------------------

def _titles(quiz: Quiz, paper: Paper) -> tuple[str, str]:
    who = paper.student.name or paper.student.student_id
    return f"{quiz.title} — {who}", f"{quiz.title} — 정답지 — {who}"


def _remove_stale(out_dir: Path, keep: set[Path]) -> None:
    """Documents a previous run of studykit wrote here that this run does not write again."""
    try:
        previous = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(previous, dict) or previous.get("format") != MANIFEST_FORMAT:
        return
    for sub in ("sheets", "key"):
        for path in sorted((out_dir / sub).glob("*")):
            if path.suffix.lstrip(".") in render.FORMATS and path.is_file() and path not in keep:
                path.unlink()


def write_quiz(quiz: Quiz, out_dir: Path, formats: Sequence[str], workspace: Path | None, *,
               store_root: Path | None = None) -> dict[str, int]:
    """manifest.json, sheets/<id>.<fmt>, key/<id>.<fmt>, key/answers.csv; returns document counts.

    `store_root`: keep converted HTML chunks in <store_root>/.studykit/html-cache.json across runs.
    """
    renderer = DocumentRenderer(quiz, workspace)
    sheets = [_Doc(out_dir / "sheets" / p.student.student_id, renderer.sheet(p), _titles(quiz, p)[0])
              for p in quiz.papers]
    keys = [_Doc(out_dir / "key" / p.student.student_id, renderer.key(p), _titles(quiz, p)[1])
            for p in quiz.papers]
    docs = sheets + keys
    # One call for every document: sheets and keys share chunks, and the two pandoc runs stay balanced.
    bodies = None
    if "html" in formats:
        chunk_store = ChunkStore.at(store_root) if store_root is not None else None
        bodies = html_bodies([d.markdown for d in docs], store=chunk_store)
        if chunk_store is not None:
            chunk_store.save()
    _remove_stale(out_dir, {d.stem.with_suffix(f".{fmt}") for d in docs for fmt in formats})
    for sub in ("sheets", "key"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    (out_dir / "manifest.json").write_text(manifest_text(quiz), encoding="utf-8")
    (out_dir / "key" / "answers.csv").write_text(answers_csv(quiz), encoding="utf-8")
    _write_documents(docs, bodies, formats, workspace)
    return {"sheets": len(quiz.papers) * len(formats), "key": len(quiz.papers) * len(formats)}


@dataclass(frozen=True)
class _Doc:
    stem: Path  # folder/<student_id>, without the format's suffix
    markdown: str
    title: str


def _write_documents(docs: Sequence[_Doc], bodies: Sequence[str] | None, formats: Sequence[str],
                     workspace: Path | None) -> None:
    if "md" in formats:
        write_text_files([(doc.stem.with_suffix(".md"), doc.markdown) for doc in docs])
    if bodies is not None:
        write_text_files([(doc.stem.with_suffix(".html"), html_page(body, doc.title, workspace))
                          for doc, body in zip(docs, bodies, strict=True)])
    others = [f for f in formats if f in ("pdf", "docx")]
    for doc in docs if others else ():
        render.write_documents(doc.markdown, doc.stem, others, doc.title)
