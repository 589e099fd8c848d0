"""Derived-data stores on disk: verifier results (answers-cache.json) and converted HTML chunks.

Both live in `<root>/.studykit/`, root being the workspace (or, outside one, the quiz folder). A store
is read once per process, changed in memory, and written once at the end, atomically (temporary file
+ os.replace). A missing, damaged or foreign file is ignored and rewritten: everything in it can be
computed again. Nothing here imports torch or sympy.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

STORE_DIR = ".studykit"
ANSWERS_FILE = "answers-cache.json"
ANSWERS_FORMAT = "studykit-answers-cache/1"
ANSWERS_MAX_ENTRIES = 20_000  # oldest first out; a 200-student, 20-question quiz has at most 4,000
HTML_FILE = "html-cache.json"
HTML_FORMAT = "studykit-html-cache/1"
HTML_MAX_ENTRIES = 50_000


class JsonStore:
    """A `{key: entry}` mapping persisted as one JSON file `{"format": ..., "entries": {...}}`."""

    format = ""
    max_entries = 10_000

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, Any] = self._load() if path is not None else {}
        self.dirty = False

    def _load(self) -> dict[str, Any]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # RecursionError: a deeply nested damaged file
            return {}  # missing or damaged: derived data, recomputing is always possible
        if not isinstance(data, dict) or data.get("format") != self.format:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def __len__(self) -> int:
        return len(self.entries)

    def _get(self, key: str) -> Any:
        found = self.entries.pop(key, None)
        if found is not None:
            self.entries[key] = found  # used: moved last, kept longest (written with the next change)
        return found

    def _set(self, key: str, entry: Any) -> None:
        self.entries.pop(key, None)  # re-inserted last: eviction drops the least recently written
        self.entries[key] = entry
        self.dirty = True

    def save(self) -> None:
        """Write the file if anything changed, atomically (render.write_file: temporary file, then rename)."""
        if self.path is None or not self.dirty:
            return
        keep = dict(list(self.entries.items())[-self.max_entries:])
        # Compact: json's C encoder only runs without indent (a 5 MB HTML store: ~10× faster to write).
        text = json.dumps({"format": self.format, "entries": keep}, ensure_ascii=False, separators=(",", ":"))
        from studykit.errors import UsageError
        from studykit.render import write_file

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_file(self.path, text)
            self.dirty = False
        except (OSError, UsageError):
            pass  # a read-only folder still gets its results, just not stored


def store_path(root: Path | None, name: str) -> Path | None:
    return None if root is None else Path(root) / STORE_DIR / name


# --- verifier results ---------------------------------------------------------------------------

def _file_digest(path: str | os.PathLike[str] | None) -> str:
    if not path:
        return ""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _module_file(name: str) -> str | None:
    try:
        spec = importlib.util.find_spec(name)  # locates the module without running it
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


@lru_cache(maxsize=1)
def _shared_code_digest() -> str:
    """Every verifier module's source and the torch/SymPy versions: a change to any recomputes."""
    digest = hashlib.sha256()
    folder = Path(__file__).with_name("verifiers")
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + _file_digest(path).encode())
    for package, version_file in (("torch", "version.py"), ("sympy", "release.py")):
        origin = _module_file(package)
        if origin:
            digest.update(_file_digest(Path(origin).with_name(version_file)).encode())
    return digest.hexdigest()


@lru_cache(maxsize=256)
def verifier_fingerprint(name: str) -> str:
    """What the registered verifier `name` is: entry, its module's source, the shared code digest."""
    from studykit.verifiers.registry import REGISTRY

    entry = REGISTRY.get(name)
    if entry is None:
        return ""
    text = "\0".join([entry.module, entry.function, str(entry.version),
                      _file_digest(_module_file(entry.module)), _shared_code_digest()])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def params_json(params: Mapping[str, Any]) -> str:
    """Canonical JSON of a parameter set: the cache key part and what manifests record."""
    return json.dumps(params, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def answer_key(question: Any, params: Mapping[str, Any], device: str) -> str:
    """Question id and content hash, verifier version and code fingerprint, device, params."""
    return (f"{question.id}|{question.content_hash}|v{question.verifier_version}|"
            f"{verifier_fingerprint(question.verifier)}|{device}|{params_json(params)}")


class AnswerStore(JsonStore):
    """Checked verifier Results keyed by answer_key(): a hit needs no verifier (and so no torch)."""

    format = ANSWERS_FORMAT
    max_entries = ANSWERS_MAX_ENTRIES
    bank_hash = ""  # recorded with new entries (DESIGN §8: a number is kept with the bank it came from)

    @classmethod
    def at(cls, root: Path | None) -> AnswerStore:
        return cls(store_path(root, ANSWERS_FILE))

    def get(self, question: Any, params: Mapping[str, Any], device: str) -> Any:
        """The stored Result (re-checked against the question), or None."""
        from studykit.compute import check_result
        from studykit.errors import VerifierFailed
        from studykit.verifiers.registry import Result

        entry = self._get(answer_key(question, params, device))
        if not isinstance(entry, dict) or entry.get("question") != question.id \
                or not isinstance(entry.get("result"), dict):
            return None
        try:
            return check_result(question, Result(**entry["result"]))
        except (TypeError, VerifierFailed):
            return None  # an entry that does not fit the question is recomputed

    def put(self, question: Any, params: Mapping[str, Any], device: str, result: Any,
            bank_hash: str = "") -> None:
        self._set(answer_key(question, params, device), {
            "question": question.id, "bank_hash": bank_hash or self.bank_hash,
            "result": {"answers": result.answers, "steps": result.steps,
                       "misconceptions": result.misconceptions, "valid": result.valid,
                       "reason": result.reason, "method": result.method}})


# --- converted HTML chunks ----------------------------------------------------------------------

class ChunkStore(JsonStore):
    """pandoc output per Markdown chunk, keyed by sha256 of (converter fingerprint, chunk)."""

    format = HTML_FORMAT
    max_entries = HTML_MAX_ENTRIES

    @classmethod
    def at(cls, root: Path | None) -> ChunkStore:
        return cls(store_path(root, HTML_FILE))

    @staticmethod
    def key(converter: str, chunk: str) -> str:
        return hashlib.sha256(f"{converter}\0{chunk}".encode()).hexdigest()

    def get(self, converter: str, chunk: str) -> str | None:
        found = self._get(self.key(converter, chunk))
        return found if isinstance(found, str) else None

    def put(self, converter: str, chunk: str, html: str) -> None:
        self._set(self.key(converter, chunk), html)


# --- many small output files -----------------------------------------------------------------------

def write_text_files(files: list[tuple[Path, str]]) -> None:
    """Write each (path, text) as UTF-8, as Path.write_text does, with one open/write/close per file and
    no text-layer setup (10,000 feedback files: about half the time of write_text)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    for path, text in files:
        data = text.encode("utf-8")
        fd = os.open(path, flags, 0o666)
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)


# --- parsed quiz manifests -------------------------------------------------------------------------

class ManifestIndex(JsonStore):
    """grading's parsed form of a manifest, keyed by sha256 of the manifest's bytes.

    A 10,000-student manifest is ~6 MB of small JSON objects; its index (distinct variants, and each
    student's indices into them) reads several times faster. Only the last few manifests are kept.
    """

    format = "studykit-manifest-index/1"
    max_entries = 4

    @classmethod
    def at(cls, root: Path | None) -> ManifestIndex:
        return cls(store_path(root, "manifest-index.json"))

    def get(self, digest: str) -> Any:
        return self._get(digest)

    def put(self, digest: str, entry: Any) -> None:
        self._set(digest, entry)
