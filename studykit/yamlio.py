"""Safe YAML loading that keeps line numbers: every mapping and list remembers where it came from."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from studykit.errors import InputError, Location

# A document whose aliases would expand past this many nodes is refused (billion-laughs guard).
MAX_EXPANDED_NODES = 200_000
# Deeper nesting than any studykit file needs; far below Python's recursion limit (loading and
# every recursive validator after it would otherwise fail with RecursionError).
MAX_DEPTH = 64


class LocDict(dict):
    """A dict from YAML that knows the line of itself and of each key (1-based)."""

    loc: Location
    key_lines: dict[Any, int]

    def loc_of(self, key: Any) -> Location:
        line = self.key_lines.get(key)
        return Location(self.loc.path, line) if line else self.loc


class LocList(list):
    """A list from YAML that knows the line of itself and of each item (1-based)."""

    loc: Location
    item_lines: list[int]

    def loc_of(self, index: int) -> Location:
        if 0 <= index < len(self.item_lines):
            return Location(self.loc.path, self.item_lines[index])
        return self.loc


def loc_of(value: Any, fallback: Location) -> Location:
    """The location of a loaded container, or the fallback for scalars."""
    return getattr(value, "loc", fallback)


class _Loader(yaml.SafeLoader):
    """SafeLoader that builds LocDict/LocList and rejects duplicate keys."""

    source: str = "<string>"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocDict:
    loader.flatten_mapping(node)
    result = LocDict()
    result.loc = Location(loader.source, node.start_mark.line + 1)
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise InputError(
                "mapping keys must be plain scalars",
                Location(loader.source, key_node.start_mark.line + 1),
            )
        if key in result:
            raise InputError(
                f"duplicate key {key!r} (first at line {result.key_lines[key]})",
                Location(loader.source, key_node.start_mark.line + 1),
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocList:
    result = LocList(loader.construct_object(child, deep=True) for child in node.value)
    result.loc = Location(loader.source, node.start_mark.line + 1)
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """A date-looking scalar that is no real date (2019-02-30) stays a string for the validator to report."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    """A string; a lone surrogate (only a double-quoted "\\ud800" can make one) cannot be written out."""
    value = loader.construct_scalar(node)
    if node.style == '"' and any("\ud800" <= ch <= "\udfff" for ch in value):
        raise InputError("a \\uD800-\\uDFFF escape is half of a character; write the character itself",
                         Location(loader.source, node.start_mark.line + 1))
    return value


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)

# YAML 1.2 floats without a dot (1e-3): PyYAML's YAML 1.1 rules would read them as strings,
# and question files write tolerances that way ({rtol: 1e-3}).
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


_CLoader: type | None = None
if hasattr(yaml, "CSafeLoader"):

    class _CLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """The same loader over libyaml's parser; composes nodes in C."""

        source: str = "<string>"

    _CLoader.yaml_constructors = _Loader.yaml_constructors
    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def _expanded_size(node: yaml.Node, memo: dict[int, int], level: int = 1) -> int:
    """Node count after alias expansion, memoised so the count itself stays cheap; refuses nesting
    deeper than MAX_DEPTH on the way down (an alias can still nest deeper: the RecursionError that
    may then follow is caught in load_yaml_text)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if level > MAX_DEPTH:
        raise _TooDeep(node)
    memo[key] = 1  # a self-referencing alias counts once instead of looping
    if isinstance(node, yaml.MappingNode):
        level += 1
        size = 1 + sum(_expanded_size(k, memo, level) + _expanded_size(v, memo, level) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        level += 1
        size = 1 + sum(_expanded_size(child, memo, level) for child in node.value)
    else:
        size = 1
    memo[key] = size
    return size


def _height(node: yaml.Node, memo: dict[int, int]) -> int:
    """Nesting depth after alias expansion (memoised per node); only needed when aliases are present."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    else:
        children = node.value if isinstance(node, yaml.SequenceNode) else []
    height = 1 + max((_height(child, memo) for child in children), default=0)
    if height > MAX_DEPTH:
        raise _TooDeep(node)
    memo[key] = height
    return height


class _TooDeep(Exception):
    """Raised at the first node nested deeper than MAX_DEPTH."""

    def __init__(self, node: yaml.Node) -> None:
        super().__init__()
        self.node = node


def _load_with(cls: type, text: str, source: Path | str) -> Any:
    loader = cls(text)
    loader.source = str(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            memo: dict[int, int] = {}
            size = _expanded_size(node, memo)
            if size > len(memo):  # some node is reached twice (an alias): it may nest deeper there
                _height(node, {})
        except _TooDeep as exc:
            raise InputError(f"YAML nests deeper than {MAX_DEPTH} levels; refusing to load",
                             Location(source, exc.node.start_mark.line + 1)) from None
        if size > MAX_EXPANDED_NODES:
            raise InputError(
                f"YAML aliases expand past {MAX_EXPANDED_NODES} nodes; refusing to load",
                Location(source, node.start_mark.line + 1),
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml_text(text: str, source: Path | str) -> Any:
    """Parse YAML text safely; errors name source:line:column and what went wrong."""
    try:
        if _CLoader is not None:
            try:
                return _load_with(_CLoader, text, source)
            except yaml.MarkedYAMLError as exc:
                if "nesting depth" in str(exc.problem):  # libyaml's own limit: the pure-Python
                    mark = exc.problem_mark              # parser would recurse to a RecursionError
                    raise InputError(f"YAML nests deeper than {MAX_DEPTH} levels; refusing to load",
                                     Location(source, mark.line + 1 if mark else None)) from None
            except yaml.YAMLError:
                pass  # re-parse in pure Python below: its messages are the ones we document
        return _load_with(_Loader, text, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        what = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"malformed YAML: {what}", Location(source, line, column)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", Location(source)) from None
    except RecursionError:  # the composer recurses per nesting level, before our depth check runs
        raise InputError(f"YAML nests deeper than {MAX_DEPTH} levels; refusing to load",
                         Location(source)) from None


def read_text(path: Path) -> str:
    """Read a user file as UTF-8, falling back to cp949 (Korean Windows) before failing."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("file is neither UTF-8 nor cp949 text", Location(path))


def load_yaml(path: Path) -> Any:
    """Load one YAML file (UTF-8 or cp949) with line numbers kept."""
    try:
        text = read_text(path)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", Location(path)) from None
    return load_yaml_text(text, path)
