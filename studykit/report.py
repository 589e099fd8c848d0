"""The weekly group report (조별보고서): load the week, derive what the rules say, render, write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from studykit.errors import InputError, StudykitError, UsageError, raise_collected
from studykit.labels import LABELS, format_date, format_when
from studykit.matching import match_questions
from studykit.render import FORMATS, render_template, write_documents
from studykit.weeks import (
    IndividualReport,
    QAItem,
    Week,
    load_reports,
    load_week,
    parse_week_arg,
    week_files,
    week_path,
)
from studykit.workspace import Config, load_config, resolve_root


@dataclass(frozen=True)
class Derived:
    """What the group's rules say about one week, computed from the files, never typed."""

    author: str
    attendees: tuple[str, ...]
    late: tuple[str, ...]
    absent: tuple[str, ...]
    over_limit: tuple[tuple[str, int], ...]          # (member, late + absent so far)
    missing_reports: tuple[str, ...]
    late_reports: tuple[tuple[str, dt.datetime], ...]
    deadline: dt.datetime | None
    askers: dict[int, tuple[str, ...]]               # discussion index -> members who asked it
    unanswered: tuple[tuple[str, str], ...]          # (member, question)
    asked: int                                       # questions raised in individual reports


def meeting_start(config: Config, week: Week) -> dt.datetime | None:
    time = week.meeting_time or config.rules.meeting_time
    return dt.datetime.combine(week.meeting_date, time) if time else None


def derive(config: Config, week: Week, reports: tuple[IndividualReport, ...],
           history: list[Week]) -> Derived:
    """작성자, 참석자, lateness over the weeks so far, missing/late reports, open questions."""
    rules = config.rules
    counts = {name: 0 for name in config.member_names}
    for past in history:
        for name, status in past.attendance:
            counts[name] += status in ("late", "absent")
    start = meeting_start(config, week)
    deadline = start - rules.report_deadline if start and rules.report_deadline is not None else None
    by_name = {r.name: r for r in reports}
    askers, unanswered, asked = _questions(week, reports)
    return Derived(
        author=week.author or rules.leader_for(week.number) or "",
        attendees=tuple(n for n, s in week.attendance if s in ("present", "late")),
        late=tuple(n for n, s in week.attendance if s == "late"),
        absent=tuple(n for n, s in week.attendance if s == "absent"),
        over_limit=tuple((n, c) for n, c in counts.items()
                         if rules.lateness_limit is not None and c >= rules.lateness_limit),
        missing_reports=tuple(n for n in config.member_names if n not in by_name),
        late_reports=tuple((r.name, r.submitted_at) for r in reports
                           if deadline and r.submitted_at and r.submitted_at > deadline),
        deadline=deadline, askers=askers, unanswered=unanswered, asked=asked,
    )


def _questions(week: Week, reports: tuple[IndividualReport, ...]
               ) -> tuple[dict[int, tuple[str, ...]], tuple[tuple[str, str], ...], int]:
    """Match each member's questions to the discussion; unmatched or unanswered ones stay open."""
    askers: dict[int, list[str]] = {}
    unanswered: list[tuple[str, str]] = []
    asked = 0
    discussion = [item.q for item in week.discussion]
    for report in reports:
        for question, index in zip(report.questions, match_questions(report.questions, discussion),
                                   strict=True):
            asked += 1
            if index is None or not week.discussion[index].a:
                unanswered.append((report.name, question))
            if index is not None and report.name not in askers.setdefault(index, []):
                askers[index].append(report.name)
    return {i: tuple(names) for i, names in askers.items()}, tuple(unanswered), asked


def notes_lines(config: Config, week: Week, derived: Derived, lang: str) -> list[str]:
    """기타: the week's own notes, then lateness, the penalty, and missing or late reports."""
    L = LABELS[lang]
    lines = [week.notes] if week.notes else []
    if derived.late:
        lines.append(L["late_line"].format(names=", ".join(derived.late)))
    if derived.absent:
        lines.append(L["absent_line"].format(names=", ".join(derived.absent)))
    if derived.over_limit:
        who = ", ".join(L["count"].format(name=n, count=c) for n, c in derived.over_limit)
        penalty = config.rules.penalty or L["penalty_default"]
        lines.append(L["limit_line"].format(limit=config.rules.lateness_limit, names=who, penalty=penalty))
    if derived.missing_reports:
        lines.append(L["missing_line"].format(names=", ".join(derived.missing_reports)))
    if derived.late_reports and derived.deadline:
        who = ", ".join(f"{n}({format_when(t, lang)})" for n, t in derived.late_reports)
        lines.append(L["late_report_line"].format(deadline=format_when(derived.deadline, lang), names=who))
    return lines


def questions_text(week: Week, derived: Derived, lang: str) -> str:
    """질문 내용: what the week wrote, then the members' questions the meeting left open."""
    L = LABELS[lang]
    lines = [week.questions] if week.questions else []
    lines += [f"- {name}: {question}" for name, question in derived.unanswered]
    if not lines and derived.asked:
        lines.append(L["all_resolved"])
    return "\n".join(lines)


def _citations(config: Config, week: Week) -> dict[int, Any]:
    """Computed answers of the bank questions the discussion cites (imported only when cited)."""
    cited = [(i, item) for i, item in enumerate(week.discussion) if item.question]
    if not cited:
        return {}
    from studykit.compute import cite  # only weeks that cite the bank pay for it

    found: dict[int, Any] = {}
    errors: list[StudykitError] = []
    for i, item in cited:
        try:
            found[i] = cite(config.root, item.question, dict(item.params), where=item.loc)
        except StudykitError as exc:
            errors.append(exc if exc.location is not None else
                          InputError(f"논의 내용 Q{i + 1}: {exc.message}", item.loc))
    raise_collected(errors)
    return found


def _qa_context(item: QAItem, index: int, derived: Derived, citation: Any) -> dict[str, Any]:
    cited = None
    if citation is not None:
        cited = {"qid": citation.qid, "title": citation.title,
                 "params": ", ".join(f"{k}={v}" for k, v in citation.params.items()),
                 "rows": [list(row) for row in citation.rows], "solution": citation.solution,
                 "bank_hash": short_hash(citation.bank_hash)}
    return {"n": index + 1, "q": item.q, "a": item.a, "askers": list(derived.askers.get(index, ())),
            "citation": cited}


def short_hash(bank_hash: str) -> str:
    """sha256:75f2fc94496c… → the algorithm and 12 hex digits, enough to tell bank versions apart."""
    algorithm, _, digest = bank_hash.rpartition(":")
    return f"{algorithm}:{digest[:12]}" if algorithm else digest[:12]


def _member_context(config: Config, reports: tuple[IndividualReport, ...]) -> list[dict[str, Any]]:
    by_name = {r.name: r for r in reports}
    rows = []
    for member in config.members:
        report = by_name.get(member.name)
        questions = report.questions if report else ()
        numbered = [f"{i}. {q}" for i, q in enumerate(questions, 1)] if len(questions) > 1 else questions
        rows.append({"name": member.name, "student_id": member.student_id,
                     "department": member.department, "submitted": report is not None,
                     "scope": report.scope if report else "", "body": report.body if report else "",
                     "questions": "\n".join(numbered)})
    return rows


def report_context(config: Config, week: Week, reports: tuple[IndividualReport, ...],
                   history: list[Week], lang: str) -> dict[str, Any]:
    """Everything the report template needs, as plain strings and lists."""
    L = LABELS[lang]
    derived = derive(config, week, reports, history)
    citations = _citations(config, week)
    meeting = format_date(week.meeting_date, lang)
    if week.meeting_time:
        meeting += f" {week.meeting_time:%H:%M}"
    return {
        "L": L, "lang": lang, "title": L["title"].format(n=week.number),
        "group": config.group, "course": config.course,
        "fields": {"written": format_date(week.written, lang), "author": derived.author,
                   "meeting": meeting, "place": week.place,
                   "attendees": ", ".join(derived.attendees), "members": ", ".join(config.member_names)},
        "scope": week.scope,
        "discussion": [_qa_context(item, i, derived, citations.get(i))
                       for i, item in enumerate(week.discussion)],
        "questions": questions_text(week, derived, lang),
        "notes": "\n".join(notes_lines(config, week, derived, lang)),
        "reports": _member_context(config, reports),
    }


def build_report(root: Path, number: int, lang: str = "ko") -> tuple[str, str]:
    """(Markdown, title) of one week's report; the one-way flow: load, validate, derive, render."""
    config = load_config(root)
    files = week_files(root)
    path = week_path(root, number)
    errors: list[StudykitError] = []
    history: list[Week] = []
    for n in sorted(k for k in files if k <= number):
        try:
            history.append(load_week(config, n, files[n]))
        except StudykitError as exc:
            errors.extend(getattr(exc, "errors", (exc,)))
    try:
        reports = load_reports(config, number, config.rules.report_deadline is not None)
    except StudykitError as exc:
        errors.extend(getattr(exc, "errors", (exc,)))
    raise_collected(errors)
    week = next(w for w in history if w.path == path)
    context = report_context(config, week, reports, history, lang)
    return render_template("report.md.j2", context, root), context["title"]


def run_report(week: str, formats: list[str], out_dir: Path | None, workspace: Path | None,
               lang: str, out: TextIO) -> int:
    """`studykit report WEEK`: write out/weekNN/report.md (and .html, ...) in the workspace."""
    number = parse_week_arg(week)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:  # before any work, not after it
        what = f"unknown format {unknown[0]!r}" if unknown else "--format names no format"
        raise UsageError(f"{what}; expected some of {', '.join(FORMATS)}")
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file, not a folder; expected an output folder")
    root = resolve_root(workspace)
    markdown, title = build_report(root, number, lang)
    target = out_dir if out_dir is not None else root / "out" / f"week{number:02d}"
    for path in write_documents(markdown, target / "report", formats, title, lang):
        print(f"wrote {path}", file=out)
    return 0
