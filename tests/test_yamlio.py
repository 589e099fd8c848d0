"""The safe YAML loader: line numbers, duplicate keys, alias bombs, encodings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studykit.errors import InputError
from studykit.yamlio import load_yaml, load_yaml_text


def test_locations_are_kept() -> None:
    data = load_yaml_text("a: 1\nb:\n  - x\n  - {c: 2}\n", "f.yaml")
    assert str(data.loc_of("b")) == "f.yaml:2"
    assert str(data["b"].loc_of(1)) == "f.yaml:4"


def test_malformed_yaml_names_line_and_column() -> None:
    with pytest.raises(InputError, match=r"^g\.yaml:2:1: malformed YAML"):
        load_yaml_text("a: [1,\n", "g.yaml")


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(InputError, match=r"g\.yaml:2: duplicate key 'a' \(first at line 1\)"):
        load_yaml_text("a: 1\na: 2\n", "g.yaml")


def test_alias_bomb_is_refused() -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    with pytest.raises(InputError, match="aliases expand past"):
        load_yaml_text("\n".join(lines) + "\n", "bomb.yaml")


def test_python_tags_are_not_constructed() -> None:
    with pytest.raises(InputError):
        load_yaml_text("a: !!python/object/apply:os.system ['echo hi']\n", "evil.yaml")


def test_cp949_file_is_read(tmp_path) -> None:
    path = tmp_path / "w.yaml"
    path.write_bytes("이름: 김영연\n".encode("cp949"))
    assert load_yaml(path) == {"이름": "김영연"}


# PyYAML itself folds control characters such as NEL (U+0085); printable text must survive.
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")))


@given(st.dictionaries(_TEXT.filter(bool), _TEXT, max_size=5))
def test_round_trip_of_plain_mappings(mapping: dict[str, str]) -> None:
    import yaml

    # Quoted style: we read YAML 1.2 floats such as 1e3 as numbers, which PyYAML's dumper leaves bare.
    text = yaml.safe_dump(mapping, allow_unicode=True, default_style='"')
    assert load_yaml_text(text, "p.yaml") == mapping


def test_exponent_floats_load_as_numbers() -> None:
    assert load_yaml_text("rtol: 1e-3\n", "q.yaml") == {"rtol": 0.001}


def test_fast_and_pure_python_loaders_agree(tmp_path) -> None:
    from studykit import yamlio

    text = "a: [1, 2.5, 1e-3, x]\nb: {c: 2019-11-07, d: 2019-02-30}\n"
    fast = yamlio._load_with(yamlio._CLoader, text, "f.yaml") if yamlio._CLoader else None
    slow = yamlio._load_with(yamlio._Loader, text, "f.yaml")
    assert fast is None or (fast == slow and fast["b"].loc_of("d") == slow["b"].loc_of("d"))
