"""Command line: parse arguments, call one library function, map StudykitError to exit codes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from studykit import __version__
from studykit.errors import StudykitError

DEVICE_HELP = "where verifiers run: auto (CUDA when present), cpu or cuda"


def _csv_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _folder_name(text: str) -> Path:
    """A non-empty path: `init "$DIR"` with DIR unset must not scaffold the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder name, got an empty string")
    return Path(text)


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topic", action="append", default=[], help="topic (repeatable)")
    parser.add_argument("--tag", action="append", default=[], help="tag (repeatable)")
    parser.add_argument("--ids", type=_csv_list, default=[], help="comma-separated ids")
    parser.add_argument("--difficulty", type=_csv_list, default=[], help="e.g. 1,2")
    parser.add_argument("--count", type=int, default=None, help="draw N questions")


class _Parser(argparse.ArgumentParser):
    """argparse with the house error format: one line `studykit: error: …`, exit 2 (not usage + error)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("studykit").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"studykit: error: {where}{message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="studykit",
        description="스터디 조별보고서, 문제은행(검증기로 계산한 정답), 시험지/정답지, 자동 채점.",
    )
    parser.add_argument("--version", action="version", version=f"studykit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("-C", "--workspace", type=Path, default=None,
                        help="workspace folder (default: nearest with studykit.yaml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="scaffold a study-group workspace")
    p.add_argument("dir", type=_folder_name)

    p = sub.add_parser("report", help="render a week's group report (조별보고서)")
    p.add_argument("week", help="week10, 10 or 10주차")
    p.add_argument("--format", type=_csv_list, default=["md", "html"], help="md,html,pdf,docx")
    p.add_argument("--out", type=Path, default=None, help="output folder (default out/weekNN)")
    p.add_argument("--lang", choices=["ko", "en"], default="ko", help="label language")

    p = sub.add_parser("answer", help="compute a question's answers")
    p.add_argument("id")
    p.add_argument("--param", action="append", default=[], metavar="K=V")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("verify", help="run every verifier; report printed values that disagree")
    p.add_argument("--topic", action="append", default=[])
    p.add_argument("--seeds", type=int, default=5, help="seeded variants per question")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)

    p = sub.add_parser("bank", help="list or show questions")
    bank = p.add_subparsers(dest="bank_command", metavar="ACTION", required=True)
    q = bank.add_parser("list")
    q.add_argument("--topic", action="append", default=[])
    q.add_argument("--json", action="store_true")
    q = bank.add_parser("show")
    q.add_argument("id")

    p = sub.add_parser("quiz", help="exam sheets and answer keys with per-student variants")
    _add_selection(p)
    p.add_argument("--seed", type=int, default=0)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--roster", type=Path, default=None, help="CSV with student_id,name (학번,이름)")
    who.add_argument("--students", type=int, default=None, help="N anonymous variants")
    p.add_argument("--format", type=_csv_list, default=["md", "html"], help="md,html,pdf,docx")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--title", default=None)
    p.add_argument("--date", default=None)
    p.add_argument("--device", default="cpu", help=DEVICE_HELP)

    p = sub.add_parser("export", help="LMS import file (Moodle XML or GIFT)")
    _add_selection(p)
    p.add_argument("--format", choices=["moodle", "gift"], required=True)
    p.add_argument("--variants", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True)

    p = sub.add_parser("grade", help="grade submissions against a quiz manifest")
    p.add_argument("manifest", type=Path)
    p.add_argument("submissions", type=Path, nargs="+")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--gradebook", type=Path, default=None)
    p.add_argument("--force", action="store_true", help="recompute with the current bank")
    p.add_argument("--format", type=_csv_list, default=["md", "html"], help="feedback formats")

    p = sub.add_parser("gradebook", help="read the gradebook")
    gb = p.add_subparsers(dest="gradebook_command", metavar="ACTION", required=True)
    q = gb.add_parser("show")
    q.add_argument("--student", default=None)
    q.add_argument("--quiz", default=None)
    q.add_argument("--csv", action="store_true")
    q.add_argument("--gradebook", type=Path, default=None)
    return parser


def dispatch(args: argparse.Namespace) -> int:
    """Run one command; each command imports its implementation here so --help stays instant."""
    out = sys.stdout
    ws = args.workspace
    if args.command == "init":
        from studykit.workspace import run_init

        return run_init(args.dir, out=out)
    if args.command == "report":
        from studykit.report import run_report

        return run_report(args.week, formats=args.format, out_dir=args.out, workspace=ws,
                          lang=args.lang, out=out)
    if args.command == "answer":
        from studykit.answer import run_answer

        return run_answer(args.id, args.param, device=args.device, as_json=args.json,
                          workspace=ws, out=out)
    if args.command == "verify":
        from studykit.verify import run_verify

        return run_verify(topics=args.topic, seeds=args.seeds, device=args.device,
                          workspace=ws, out=out)
    if args.command == "bank":
        from studykit.bank import run_bank_list, run_bank_show

        if args.bank_command == "list":
            return run_bank_list(topics=args.topic, as_json=args.json, workspace=ws, out=out)
        return run_bank_show(args.id, workspace=ws, out=out)
    if args.command == "quiz":
        from studykit.quiz import run_quiz

        return run_quiz(args, workspace=ws, out=out)
    if args.command == "export":
        from studykit.export import run_export

        return run_export(args, workspace=ws, out=out)
    if args.command == "grade":
        from studykit.grading import run_grade

        return run_grade(args.manifest, args.submissions, out_dir=args.out,
                         gradebook=args.gradebook, force=args.force, formats=args.format,
                         workspace=ws, out=out)
    if args.command == "gradebook":
        from studykit.gradebook import run_gradebook_show

        return run_gradebook_show(student=args.student, quiz=args.quiz, as_csv=args.csv,
                                  gradebook=args.gradebook, workspace=ws, out=out)
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return dispatch(args)
    except StudykitError as exc:
        if args.debug:
            raise
        print(f"studykit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("studykit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        # Last line of defence: a user's path that cannot be read or written (permission denied, a
        # folder where a file was expected, disk full) is one line naming it, not a traceback.
        # Commands should catch these where they know what the path is for; this catches the rest.
        if args.debug or exc.filename is None:
            raise
        print(f"studykit: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
