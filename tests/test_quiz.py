"""`studykit quiz`: layout, manifest, determinism, per-student variants, secrecy, bad input, batched HTML."""

from __future__ import annotations

import csv
import functools
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import DATA, assert_golden

from studykit import bank as bank_module
from studykit import compute as cmp
from studykit.quiz import answer_columns, select_questions
from studykit.quizdocs import _pandoc, _tidy, html_bodies
from studykit.values import format_display, format_exact
from studykit.variants import variant_seed

WS = DATA / "quiz" / "workspace"
ROSTERS = DATA / "quiz" / "rosters"
GOLDENS = DATA / "goldens" / "quiz"
# A quick selection: integer, number (rtol), shape and multi-part questions; no sympy, no DCGAN.
QUICK = "qz.conv,qz.bce,qz.pool"


@pytest.fixture(autouse=True)
def isolated_bank(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Only the fixture workspace's questions: the built-in bank may change under these tests."""
    empty = tmp_path_factory.mktemp("no-builtin")
    monkeypatch.setattr(bank_module, "load_bank",
                        functools.partial(bank_module.load_bank, builtin_dir=empty))


def bank():
    return bank_module.load_bank(WS)


def quiz(cli, out: Path, *args: str) -> None:
    result = cli("-C", WS, "quiz", "--out", out, *args)
    assert result.code == 0, result.stderr
    assert result.stderr == ""


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_layout_manifest_and_key_csv(cli, tmp_path: Path) -> None:
    quiz(cli, tmp_path / "q", "--ids", QUICK, "--roster", ROSTERS / "roster.csv", "--seed", "7",
         "--date", "2026-12-01", "--title", "CNN 쪽지시험")
    ids = ["201500629", "201500630", "201500631"]
    expected = {"manifest.json", "key/answers.csv"} | {f"{d}/{i}.{f}" for d in ("sheets", "key")
                                                       for i in ids for f in ("md", "html")}
    assert set(files(tmp_path / "q")) == expected
    manifest = json.loads((tmp_path / "q" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == {"format", "quiz_id", "title", "date", "course", "seed", "bank_hash",
                             "studykit_version", "questions", "students"}
    assert manifest["format"] == "studykit-quiz/1" and manifest["seed"] == 7
    assert manifest["title"] == "CNN 쪽지시험" and manifest["course"] == "딥러닝 기초"
    assert manifest["bank_hash"] == bank().hash
    assert re.fullmatch(r"qz-s7-[0-9a-f]{6}", manifest["quiz_id"])
    assert [q["id"] for q in manifest["questions"]] == QUICK.split(",")
    assert [p["column"] for p in manifest["questions"][0]["parts"]] == ["Q1.W2", "Q1.params"]
    assert [p["column"] for p in manifest["questions"][1]["parts"]] == ["Q2"]
    rows = list(csv.reader((tmp_path / "q" / "key" / "answers.csv").open(encoding="utf-8")))
    assert rows[0] == ["student_id", "name", "Q1.W2", "Q1.params", "Q2", "Q3.W2", "Q3.shape", "Q3.params"]
    names = ["김영연", "이재은", "이충현, Jr."]
    assert [r[:2] for r in rows[1:]] == [[i, n] for i, n in zip(ids, names, strict=True)]
    # Grading recomputes from the manifest: the recorded seeds and params give the key's values.
    for student, row in zip(manifest["students"], rows[1:], strict=True):
        values = iter(row[2:])
        for q in manifest["questions"]:
            question = bank().get(q["id"])
            variant = student["variants"][q["id"]]
            assert variant["seed"] == variant_seed(7, student["student_id"], q["id"])
            params, result = cmp.draw_variant(question, variant["seed"])
            assert params == variant["params"]
            for part in q["parts"]:
                assert next(values) == format_exact(part["kind"], result.answers[part["name"]])


def test_same_inputs_give_byte_identical_folders(cli, tmp_path: Path) -> None:
    args = ("--topic", "qz", "--roster", ROSTERS / "roster-ko-bom.csv", "--seed", "3")
    quiz(cli, tmp_path / "one", *args)
    cmp._MEMO.clear()  # the second run computes again instead of reusing the first run's results
    quiz(cli, tmp_path / "two", *args)
    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert len(one) == 10 and one == two
    quiz(cli, tmp_path / "three", *args[:-1], "4")  # another seed really is another quiz
    assert files(tmp_path / "three") != one


def test_students_get_different_parameters_where_the_question_allows(cli, tmp_path: Path) -> None:
    quiz(cli, tmp_path, "--ids", "qz.conv,qz.bce,qz.rules", "--students", "8", "--format", "md")
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert [s["student_id"] for s in manifest["students"]] == [f"S{i:03d}" for i in range(1, 9)]

    def distinct(qid: str) -> int:
        return len({json.dumps(s["variants"][qid]["params"], sort_keys=True) for s in manifest["students"]})

    assert distinct("qz.conv") >= 4 and distinct("qz.bce") >= 4
    assert distinct("qz.rules") == 1  # no params: everyone gets the textbook instance
    sheets = {p.read_text(encoding="utf-8") for p in (tmp_path / "sheets").glob("*.md")}
    assert len(sheets) == 8
    assert "문제지: S003" in (tmp_path / "sheets" / "S003.md").read_text(encoding="utf-8")


def _prompt_free(sheet: str, prompts: list[str]) -> str:
    """The sheet without its question texts (which may legitimately contain any number)."""
    for prompt in prompts:
        assert prompt in sheet
        sheet = sheet.replace(prompt, "")
    return re.sub(r"\*\*Q\d+\.\*\* \(\d+점\)", "", sheet)


def test_no_answer_solution_or_jeongdap_reaches_a_sheet(cli, tmp_path: Path) -> None:
    quiz(cli, tmp_path, "--topic", "qz", "--students", "5", "--seed", "11", "--date", "2026-12-01")
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    sheet_bytes = {p.read_bytes() for p in (tmp_path / "sheets").iterdir()}
    assert sheet_bytes.isdisjoint({p.read_bytes() for p in (tmp_path / "key").iterdir()})
    assert sorted(p.suffix for p in (tmp_path / "sheets").iterdir()) == [".html"] * 5 + [".md"] * 5
    checked = 0
    for student in manifest["students"]:
        sid = student["student_id"]
        sheet = (tmp_path / "sheets" / f"{sid}.md").read_text(encoding="utf-8")
        html = (tmp_path / "sheets" / f"{sid}.html").read_text(encoding="utf-8")
        key = (tmp_path / "key" / f"{sid}.md").read_text(encoding="utf-8")
        assert "정답" not in sheet and "정답" not in html and "풀이" not in sheet and "정답지" in key
        variants = [(bank().get(q["id"]), student["variants"][q["id"]]["params"])
                    for q in manifest["questions"]]
        rest = _prompt_free(sheet, [cmp.render_prompt(q, params).strip() for q, params in variants])
        for question, params in variants:
            result = cmp.compute(question, params)
            solution = cmp.render_solution(question, params, result).strip()
            assert solution in key
            for line in filter(None, (s.strip() for s in solution.splitlines())):
                assert line not in sheet
            for spec in question.answers:
                value = result.answers[spec.name]
                if spec.kind == "choice":  # options are listed on the sheet by design; no pick is marked
                    assert f"**{format_display(spec.kind, value)}**" not in sheet
                    continue
                shown = {format_display(spec.kind, value, spec.tolerance), format_exact(spec.kind, value)}
                for text in shown:
                    assert not re.search(rf"(?<![\w.\-]){re.escape(text)}(?![\w.])", rest), (sid, text)
                    checked += 1
    assert checked >= 5 * 10


def test_class_wide_sheet_from_textbook_matches_goldens(cli, tmp_path: Path) -> None:
    quiz(cli, tmp_path, "--topic", "qz", "--date", "2026-12-01", "--title", "4장 퀴즈")
    assert set(files(tmp_path)) == {"manifest.json", "key/answers.csv", "sheets/class.md",
                                    "sheets/class.html", "key/class.md", "key/class.html"}
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert re.fullmatch(r"qz-textbook-[0-9a-f]{6}", manifest["quiz_id"])
    (student,) = manifest["students"]
    assert student["student_id"] == "class"
    for qid, variant in student["variants"].items():
        assert variant == {"seed": None, "params": bank().get(qid).default_params()}
    assert_golden((tmp_path / "sheets" / "class.md").read_text(encoding="utf-8"), GOLDENS / "class-sheet.md")
    assert_golden((tmp_path / "key" / "class.md").read_text(encoding="utf-8"), GOLDENS / "class-key.md")
    answers = (tmp_path / "key" / "answers.csv").read_text(encoding="utf-8")
    assert_golden(answers, GOLDENS / "class-answers.csv")
    html = (tmp_path / "sheets" / "class.html").read_text(encoding="utf-8")
    assert "<math" in html and "$" not in html.split("<body>")[1].replace("$\\", "")
    assert "<h1>4장 퀴즈</h1>" in html and "날짜: 2026-12-01" in html


def test_textbook_values_in_the_key_are_the_computed_ones(cli, tmp_path: Path) -> None:
    quiz(cli, tmp_path, "--ids", "qz.conv", "--format", "md")
    key = (tmp_path / "key" / "class.md").read_text(encoding="utf-8")
    # 002's example, by the closed form: (32 - 5 + 2·2)/1 + 1 = 32 wide, 10·(5·5·3 + 1) = 760 parameters
    assert "출력 너비 (W2) = **32**" in key and "매개변수 수 (params) = **760**" in key
    assert "이름: \\_\\_" in (tmp_path / "sheets" / "class.md").read_text(encoding="utf-8")


def test_count_draws_deterministically_in_bank_order() -> None:
    picked = [q.id for q in select_questions(bank(), topics=["qz"], count=3, seed=5)]
    assert picked == [q.id for q in select_questions(bank(), topics=["qz"], count=3, seed=5)]
    order = [q.id for q in bank().select(topics=["qz"])]
    assert len(picked) == 3 and picked == sorted(picked, key=order.index)
    draws = {tuple(q.id for q in select_questions(bank(), topics=["qz"], count=3, seed=s)) for s in range(8)}
    assert len(draws) > 1
    assert [q.id for q in select_questions(bank(), ids=["qz.pool", "qz.conv"])] == ["qz.pool", "qz.conv"]


def test_answer_columns_single_and_multi_part() -> None:
    cols = [c for *_, c in answer_columns([bank().get("qz.bce"), bank().get("qz.pool")])]
    assert cols == ["Q1", "Q2.W2", "Q2.shape", "Q2.params"]


def test_default_out_folder_in_a_workspace_and_stale_files_go(cli, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(WS, ws)
    roster = tmp_path / "r.csv"
    roster.write_text("학번,이름\nA1,가\nA2,나\nA3,다\n", encoding="utf-8")
    assert cli("-C", ws, "quiz", "--ids", "qz.bce", "--roster", roster, "--format", "md").code == 0
    (folder,) = (ws / "quizzes").iterdir()
    assert re.fullmatch(r"qz-s0-[0-9a-f]{6}", folder.name)
    assert sorted(p.name for p in (folder / "sheets").iterdir()) == ["A1.md", "A2.md", "A3.md"]
    roster.write_text("학번,이름\nA1,가\nA2,나\n", encoding="utf-8")
    assert cli("-C", ws, "quiz", "--ids", "qz.bce", "--roster", roster, "--format", "md").code == 0
    assert sorted(p.name for p in (folder / "sheets").iterdir()) == ["A1.md", "A2.md"]
    assert sorted(p.name for p in (folder / "key").iterdir()) == ["A1.md", "A2.md", "answers.csv"]


@pytest.mark.parametrize(("args", "words"), [
    (["--topic", "nope"], ["unknown topic 'nope'", "qz"]),
    (["--ids", "qz.conv,qz.nope"], ["unknown question 'qz.nope'", "qz.bce"]),
    (["--topic", "qz", "--count", "99"], ["--count 99", "7 questions"]),
    (["--topic", "qz", "--roster", ROSTERS / "bad-duplicate.csv"], [f"{ROSTERS / 'bad-duplicate.csv'}:4:",
                                                                    "line 2"]),
    (["--topic", "qz", "--roster", ROSTERS / "bad-missing-column.csv"],
     [f"{ROSTERS / 'bad-missing-column.csv'}:1:", "name (이름)"]),
    (["--topic", "qz", "--date", "12/01"], ["--date"]),
    (["--topic", "qz", "--format", "md,odt"], ["odt"]),
    (["--tag", "no-such-tag"], ["matches no question"]),
])
def test_bad_input_is_one_line_exit_2(cli, tmp_path: Path, args: list, words: list[str]) -> None:
    result = cli("-C", WS, "quiz", "--out", tmp_path / "q", *args)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith("studykit: error: ") and result.stderr.count("\n") == 1
    for word in words:
        assert word in result.stderr
    assert not (tmp_path / "q").exists()


TRICKY = [  # Markdown whose blocks reach across blank lines: chunks() must not cut these apart
    "- 가\n\n- 나\n\n문단", "1. 가\n\n    계속\n\n2. 나\n", "용어\n\n:   정의\n\n다음", "용어\n\n~ 정의",
    "Table: 캡션\n\n| a |\n|---|\n| 1 |\n", "| a |\n|---|\n| 1 |\n\n: 캡션\n",
    "```\ncode\n\nmore\n```\n\n문단", "::: note\n가\n\n나\n:::\n", "> 인용\n\n> 인용2\n",
    "A. 항목\n\nB. 항목\n", "문단\n\n    코드\n", "$$\nx^2\n$$\n\n문단 $y$", "~~~\n\n~~~\n\n끝",
    "#. 가\n\n#. 나", "(a) 가\n\n(b) 나", "\\(a) 가\n\n\\(b) 나", "* * *\n\n문단", "i. 하나\n\nii. 둘",
    "문단\n\n\n\n\n세 줄 띄움\n\n", "   \n\n앞이 빈 줄", "| 줄 블록\n\n| 둘", "````\n```\n\n````\n\n끝",
]


def test_batched_html_equals_one_document_at_a_time() -> None:
    docs = [f"# 문서 {i}\n\n**Q1.** $x^{i}$ 와 표\n\n| a | b |\n|---|---|\n| 1 | {i} |\n" for i in range(5)]
    docs += ["각주가 있는 문서[^1]\n\n[^1]: 각주", "```\n닫히지 않은 코드", "- 목록\n- 항목\n", "", *TRICKY]
    from studykit.quizdocs import HTML_OPTIONS, HTML_READER

    alone = [_tidy(_pandoc(d, HTML_READER, "html5", HTML_OPTIONS)) for d in docs]
    assert html_bodies(docs) == alone
    assert html_bodies(docs[:5] + docs[6:7]) == alone[:5] + alone[6:7]  # the unclosed fence falls back
    assert "<sup>" in alone[5] and "<math" in alone[0]


def test_quiz_html_equals_each_sheet_converted_alone(cli, tmp_path: Path) -> None:
    from studykit.quizdocs import HTML_OPTIONS, HTML_READER

    quiz(cli, tmp_path, "--topic", "qz", "--students", "3")
    for md in sorted(tmp_path.glob("*/*.md")):
        page = md.with_suffix(".html").read_text(encoding="utf-8")
        body = page.split("<body>\n", 1)[1].rsplit("\n</body>", 1)[0]
        assert body == _tidy(_pandoc(md.read_text(encoding="utf-8"), HTML_READER, "html5", HTML_OPTIONS))


def test_docx_goes_through_write_documents(cli, tmp_path: Path) -> None:
    import docx

    quiz(cli, tmp_path, "--ids", "qz.bce", "--format", "docx")
    assert sorted(files(tmp_path)) == ["key/answers.csv", "key/class.docx", "manifest.json",
                                       "sheets/class.docx"]
    sheet = "\n".join(p.text for p in docx.Document(str(tmp_path / "sheets" / "class.docx")).paragraphs)
    key = "\n".join(p.text for p in docx.Document(str(tmp_path / "key" / "class.docx")).paragraphs)
    assert "Q1." in sheet and "정답" not in sheet and "0.3219" not in sheet
    assert "정답지" in key and "0.3219" in key


def test_a_prompt_saying_jeongdap_is_warned_about(cli, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(WS, ws)
    path = ws / "questions" / "qz.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("목표값이", "정답이"), encoding="utf-8")
    result = cli("-C", ws, "quiz", "--ids", "qz.bce", "--format", "md", "--out", tmp_path / "q")
    assert result.code == 0
    assert result.stderr.startswith(f"studykit: warning: {path}:") and "qz.bce" in result.stderr


def test_the_key_csv_graded_as_submissions_scores_full_marks(cli, tmp_path: Path) -> None:
    quiz(cli, tmp_path / "q", "--topic", "qz", "--roster", ROSTERS / "roster.csv", "--format", "md")
    result = cli("-C", WS, "grade", tmp_path / "q" / "manifest.json", tmp_path / "q" / "key" / "answers.csv",
                 "--out", tmp_path / "graded", "--gradebook", tmp_path / "gb.sqlite", "--format", "md")
    assert result.code == 0, result.stderr
    rows = list(csv.DictReader((tmp_path / "graded" / "scores.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 3, rows
    assert all(float(r["score"]) == float(r["max_score"]) == 7 for r in rows), rows
