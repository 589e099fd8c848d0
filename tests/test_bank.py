"""The bank loader: schema errors with lines, overrides by id, the content hash, `bank list/show`."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from conftest import DATA, REPO, run_subprocess

sys.path.insert(0, str(DATA / "bank"))  # the fake verifiers live with the fixture bank
import fakeverifiers  # noqa: E402
from fakeverifiers import BUILTIN, REGISTRY  # noqa: E402

from studykit.bank import load_bank  # noqa: E402
from studykit.errors import InputError, StudykitError, UsageError, ValidationErrors  # noqa: E402
from studykit.verifiers.registry import Entry  # noqa: E402

toy_bank = fakeverifiers.toy_bank  # the fixture bank's pytest fixture, used by name

BAD = sorted((DATA / "bank" / "bad").glob("*.yaml"))
GOOD_WS = DATA / "bank" / "good" / "workspace"


def _load(workspace: Path | None = None, registry: dict | None = None, builtin: Path = BUILTIN):
    return load_bank(workspace, registry=registry or REGISTRY, builtin_dir=builtin)


def test_workspace_questions_override_and_extend_by_id() -> None:
    bank = _load(GOOD_WS)
    assert bank.ids() == ["conv.output", "loss.ce", "loss.vec", "ws.local"]
    assert bank.get("loss.ce").title == "교차 엔트로피 (workspace)"
    assert _load().get("loss.ce").title == "교차 엔트로피 (built-in)"
    assert bank.hash.startswith("sha256:") and len(bank.hash) == 7 + 64


def test_textbook_is_one_instance_or_a_list_and_gives_the_defaults() -> None:
    bank = _load()
    conv, ce = bank.get("conv.output"), bank.get("loss.ce")
    assert len(conv.textbook) == 2 and len(ce.textbook) == 1
    assert conv.default_params() == {"W": 32, "F": 5, "S": 1, "P": 2, "K": 10, "D": 3}
    # a later instance keeps the defaults for what it does not name
    assert conv.textbook[1].params == {"W": 28, "F": 3, "S": 1, "P": 0, "K": 4, "D": 3}
    assert conv.part_names() == ["W2", "params"]
    assert conv.source == "002_7c06c41ac063f77c.txt" and conv.textbook[1].source == conv.source


def test_tolerances_are_normalised() -> None:
    vec = _load().get("loss.vec")
    assert vec.answer("w").tolerance == {"rtol": 1e-6, "atol": 1e-9}  # written 1e-6 (YAML 1.2 float)
    assert vec.answer("shape").tolerance is None
    assert _load().get("loss.ce").answer("e").tolerance == {"decimals": 2}


def test_default_tolerance_for_numbers(tmp_path: Path) -> None:
    text = (BUILTIN / "loss.yaml").read_text(encoding="utf-8").replace(
        "e: {kind: number, tolerance: {decimals: 2}, unit: bit}", "e: {kind: number}")
    (tmp_path / "loss.yaml").write_text(text, encoding="utf-8")
    assert _load(builtin=tmp_path).get("loss.ce").answer("e").tolerance == {"rtol": 1e-6, "atol": 1e-9}


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_question_file_gives_one_line_error(path: Path, tmp_path: Path) -> None:
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    shutil.copy(path, tmp_path / path.name)
    with pytest.raises(StudykitError) as info:
        _load(builtin=tmp_path)
    assert not isinstance(info.value, ValidationErrors)
    assert str(info.value).replace(f"{tmp_path}/", "") == expected


def test_every_error_of_a_file_is_reported_together(tmp_path: Path) -> None:
    shutil.copy(DATA / "bank" / "many-errors.yaml", tmp_path / "many.yaml")
    shutil.copy(DATA / "bank" / "bad" / "missing-field.yaml", tmp_path / "other.yaml")
    with pytest.raises(ValidationErrors) as info:
        _load(builtin=tmp_path)
    lines = [str(e).replace(f"{tmp_path}/", "") for e in info.value.errors]
    assert lines == [
        "many.yaml:5: question 'many.a': section must be a non-empty string (quote it, e.g. \"4.3.3\"), "
        "got 4.1",
        "many.yaml:6: question 'many.a': difficulty must be 1, 2 or 3, got 5",
        "many.yaml:19: question 'many.b': unknown verifier 'toy.missing'; available: "
        + ", ".join(sorted(REGISTRY)),
        "other.yaml:2: question 'bad.q': missing required field 'verifier'",
    ]
    assert str(info.value).count("\n") == 3  # one error per line


def test_duplicate_ids_in_the_workspace_are_rejected(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(GOOD_WS, ws)
    shutil.copy(ws / "questions" / "extra.yaml", ws / "questions" / "copy.yaml")
    with pytest.raises(ValidationErrors) as info:
        _load(ws)
    text = str(info.value).replace(f"{ws}/questions/", "")
    assert text.splitlines() == [  # files are read in name order: copy.yaml first
        "extra.yaml:1: duplicate question id 'loss.ce' (first at copy.yaml:1)",
        "extra.yaml:19: duplicate question id 'ws.local' (first at copy.yaml:19)",
    ]


def test_hash_changes_with_any_question_or_verifier_version(tmp_path: Path) -> None:
    shutil.copytree(BUILTIN, tmp_path / "b")
    base = _load(builtin=tmp_path / "b")
    assert _load(builtin=tmp_path / "b").hash == base.hash  # stable for the same content
    conv = tmp_path / "b" / "conv.yaml"
    text = conv.read_text(encoding="utf-8")
    conv.write_text(text.replace("커널 {{K}}개", "커널 {{K}} 개"), encoding="utf-8")
    edited = _load(builtin=tmp_path / "b")
    assert edited.hash != base.hash
    assert edited.get("conv.output").content_hash != base.get("conv.output").content_hash
    assert edited.get("loss.ce").content_hash == base.get("loss.ce").content_hash
    bumped = {**REGISTRY, "toy.cross_entropy": Entry("fakeverifiers", "cross_entropy", 2)}
    again = _load(builtin=tmp_path / "b", registry=bumped)
    assert again.hash != edited.hash and again.get("loss.ce").verifier_version == 2


def test_select_filters_and_unknown_names() -> None:
    bank = _load(GOOD_WS)
    assert [q.id for q in bank.select(topics=["loss"])] == ["loss.ce", "loss.vec"]
    assert [q.id for q in bank.select(tags=["parameters"])] == ["conv.output"]
    assert [q.id for q in bank.select(difficulty=["1"])] == ["loss.ce", "ws.local"]
    assert [q.id for q in bank.select(ids=["ws.local"], topics=["ws"])] == ["ws.local"]
    with pytest.raises(UsageError, match="unknown topic 'gan'; topics: conv, loss, ws"):
        bank.select(topics=["gan"])
    with pytest.raises(UsageError, match="unknown question 'x.y'; valid ids: conv.output, loss.ce"):
        bank.select(ids=["x.y"])


def test_textbook_parameter_typo_is_an_error(tmp_path: Path) -> None:
    text = (BUILTIN / "conv.yaml").read_text(encoding="utf-8").replace("{W: 28, F: 3,", "{W: 28, FF: 3,")
    (tmp_path / "conv.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"conv\.yaml:28: .*textbook parameter 'FF' is not a parameter"):
        _load(builtin=tmp_path)


def test_the_real_bank_loads_and_covers_registered_verifiers() -> None:
    bank = load_bank(None)  # the built-in questions/ as shipped, with the real registry
    assert len(bank.ids()) == len(set(bank.ids()))
    for question in bank.questions:
        assert question.content_hash.startswith("sha256:")


# --- bank list / show ---------------------------------------------------------------------------

def test_bank_list_json_shape(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "bank", "list", "--json", "--topic", "loss")
    assert result.code == 0 and result.stderr == ""
    items = json.loads(result.stdout)
    assert [i["id"] for i in items] == ["loss.ce", "loss.vec"]
    assert items[1] | {"tags": None} == {
        "id": "loss.vec", "topic": "loss", "section": "4.6", "difficulty": 3,
        "parts": ["w", "shape", "which"],
        "title": "단위 벡터", "tags": None, "points": 2.0, "verifier": "toy.vector", "params": ["a", "b"],
        "source": ""}


def test_bank_list_table(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "bank", "list")
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["문제", "ID", "주제", "절", "난이도", "답", "부분", "제목"]
    assert lines[2].split()[:5] == ["conv.output", "conv", "4.3.3", "2", "W2,"]
    assert result.stdout.rstrip().endswith(load_bank(toy_bank).hash)
    assert cli("bank", "list", "--topic", "nope").code == 2


def test_bank_show_renders_prompt_without_answers(cli, toy_bank: Path) -> None:
    result = cli("-C", toy_bank, "bank", "show", "conv.output")
    assert result.code == 0
    assert "입력 32×32×3에 5×5 커널 10개, 보폭 1, 패딩 2." in result.stdout
    assert "F: int [3, 7] step 2 (기본값 5)" in result.stdout
    assert "인쇄값: W2=28, params=112" in result.stdout
    assert "계산하지 않음" in result.stdout and fakeverifiers.CALLS == []
    missing = cli("-C", toy_bank, "bank", "show", "conv.nope")
    assert missing.code == 2 and "valid ids: conv.output" in missing.stderr


NO_TORCH = """
import runpy, sys
sys.argv = ["studykit", *{args!r}]
try:
    runpy.run_module("studykit", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print("RC", code, "TORCH", "torch" in sys.modules, "SYMPY", "sympy" in sys.modules)
"""


@pytest.mark.parametrize("args", [["bank", "list", "--json"], ["bank", "list"],
                                  ["bank", "show", "loss.cross-entropy"]])
def test_bank_commands_do_not_import_torch(args: list[str], tmp_path: Path) -> None:
    proc = run_subprocess(code=NO_TORCH.format(args=args), cwd=tmp_path)
    last = proc.stdout.strip().splitlines()[-1]
    assert last.endswith("TORCH False SYMPY False"), proc.stdout + proc.stderr
    assert not last.startswith("RC 1")


def test_loading_the_bank_does_not_import_torch(tmp_path: Path) -> None:
    code = ("import sys; from studykit.bank import load_bank; b = load_bank(None); "
            "print(len(b.questions), 'torch' in sys.modules, 'sympy' in sys.modules)")
    proc = run_subprocess(code=code, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[1:] == ["False", "False"]
    assert (REPO / "studykit" / "bank.py").is_file()
