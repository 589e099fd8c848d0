"""Hostile workspace templates and question prompts: the sandbox refuses; template:line, exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import DATA

from studykit.errors import InputError, Location
from studykit.render import render_string, render_template, shared_template_env

BASE = DATA / "workspaces" / "base"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(BASE, root)
    (root / "templates").mkdir(exist_ok=True)
    yield root
    shared_template_env.cache_clear()  # the next test's workspace has other templates


def report_with(root: Path, cli, template: str | bytes) -> tuple[int, str]:
    path = root / "templates" / "report.md.j2"
    path.write_bytes(template if isinstance(template, bytes) else template.encode("utf-8"))
    result = cli("-C", root, "report", "week02", "--format", "md")
    return result.code, result.stderr


TEMPLATE = "templates/report.md.j2"


@pytest.mark.parametrize(("template", "line", "message"), [
    ("ok\n{{ ''.__class__.__mro__ }}\n", 2,
     "template tried an unsafe operation: access to attribute '__class__'"),
    ("{{ lipsum.__globals__['os'].popen('id').read() }}\n", 1,
     "unsafe operation: access to attribute '__globals__'"),
    ("{{ cycler.__init__.__globals__.os.environ }}\n", 1, "unsafe operation"),
    # the include name was reported as 'report.md.j2' not found, without a line
    ("a\n{% include '/etc/passwd' %}\n", 2,
     "template '/etc/passwd' not found (only templates/ files can be included)"),
    ("{% include '../../../../etc/passwd' %}\n", 1, "template '../../../../etc/passwd' not found"),
    ("a\nb\n{% if %}\n", 3, "template syntax error: Expected an expression"),
    ("a\n{{ nope.x }}\n", 2, "template uses an undefined value: 'nope' is undefined"),
    # these raised tracebacks: ZeroDivisionError, RecursionError, OverflowError (MAX_RANGE)
    ("a\n{{ 1 / 0 }}\n", 2, "template failed: ZeroDivisionError: division by zero"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\n", 1, "template failed: RecursionError"),
    ("{% extends 'report.md.j2' %}\n", 1, "template failed: RecursionError"),
    ("{% for i in range(10**9) %}x{% endfor %}\n", 1, "template failed: OverflowError: Range too big"),
    # these exhausted the machine's memory ('x' * 10**10 is 10 GB)
    ("{{ 'x' * 10**10 }}\n", 1, "unsafe operation: repeating a str 10000000000 times is too large"),
    ("{{ [1] * 10**9 }}\n", 1, "unsafe operation: repeating a list"),
    ("{{ 2 ** (10**9) }}\n", 1, "unsafe operation: exponent 1000000000 is too large"),
    ("{{ 'x'.ljust(10**10) }}\n", 1, "unsafe operation: ljust wider than"),
    # the labels dict is shared by every render: a template could pop from it
    ("{{ L.pop('title') }}\n", 1, "unsafe operation: access to attribute 'pop' of 'dict'"),
])
def test_hostile_template_is_refused_with_its_line(workspace: Path, cli, template: str, line: int,
                                                   message: str) -> None:
    code, err = report_with(workspace, cli, template)
    assert code == 2
    assert err.startswith(f"studykit: error: {workspace / TEMPLATE}:{line}: "), err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (workspace / "out").exists()


def test_output_larger_than_the_cap_is_refused(workspace: Path, cli) -> None:
    code, err = report_with(workspace, cli, "{% for i in range(99999) %}{{ 'x' * 999 }}{% endfor %}\n")
    assert code == 2 and "writes more than 50000000 characters" in err


def test_template_in_cp949_is_read_and_binary_is_one_error(workspace: Path, cli) -> None:
    # both raised UnicodeDecodeError (traceback)
    code, err = report_with(workspace, cli, "{{ title }} 한글 보고서\n".encode("cp949"))
    assert (code, err) == (0, "")
    written = (workspace / "out" / "week02" / "report.md").read_text(encoding="utf-8")
    assert written == "2주차 조별보고서 한글 보고서\n"
    code, err = report_with(workspace, cli, b"\xff\xfe\x00garbage")
    assert (code, err) == (
        2, f"studykit: error: {workspace / TEMPLATE}: file is neither UTF-8 nor cp949 text\n")


def test_small_repetitions_and_powers_still_work(workspace: Path) -> None:
    # prompts multiply lists ({{ [[2, 2]] * 4 }}) and numbers: the guards must not get in the way
    where = Location(workspace / "q.yaml", 3)
    assert render_string("{{ ([[2, 1]] * 4)|length }} {{ 2 ** 10 }} {{ 'ab' * 3 }} {{ n * 8 }}",
                         {"n": 4}, where) == "4 1024 ababab 32"
    assert render_template("page.html.j2", {"title": "t", "body": "b", "lang": "ko"}).count("<html") == 1


def test_prompt_runtime_errors_name_the_question_file() -> None:
    where = Location("questions/x.yaml", 7)
    with pytest.raises(InputError, match=r"questions/x\.yaml:7: template failed: ZeroDivisionError"):
        render_string("{{ a / b }}", {"a": 1, "b": 0}, where)
    with pytest.raises(InputError, match="unsafe template operation: repeating a str"):
        render_string("{{ 'x' * n }}", {"n": 10**9}, where)
