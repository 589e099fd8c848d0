"""Report labels and sentences in Korean (the documents' words) and English, and date formats."""

from __future__ import annotations

import datetime as dt

LABELS: dict[str, dict[str, str]] = {
    "ko": {
        "title": "{n}주차 조별보고서",
        "written": "작성일", "author": "작성자", "meeting": "조 모임 일시", "place": "모임장소",
        "attendees": "참석자", "members": "조원",
        "item": "구분", "content": "내용",
        "scope": "학습 범위와 내용", "discussion": "논의 내용", "questions": "질문 내용", "notes": "기타",
        "attachments": "첨부 개별 레포트",
        "name": "이름", "student_id": "학번", "department": "학과",
        "r_scope": "학습 범위", "r_body": "학습 내용", "r_questions": "질문 내용",
        "not_submitted": "(개별 레포트 미제출)",
        "computed": "계산 결과", "bank": "문제은행", "solution": "풀이",
        "solution_below": "풀이는 표 아래 A{n} 풀이 참고",
        "late_line": "지각: {names}",
        "absent_line": "결석: {names}",
        "count": "{name}(누적 {count}회)",
        "limit_line": "지각·결석 누적 {limit}회 이상: {names} → {penalty}",
        "penalty_default": "조 운영 지침의 벌칙 대상",
        "missing_line": "개별 레포트 미제출: {names}",
        "late_report_line": "개별 레포트 마감({deadline}) 이후 제출: {names}",
        "all_resolved": "조별 모임을 통해 서로의 질문 사항을 모두 해결하였습니다.",
    },
    "en": {
        "title": "Week {n} group report",
        "written": "Written", "author": "Author", "meeting": "Meeting", "place": "Place",
        "attendees": "Attendees", "members": "Members",
        "item": "Item", "content": "Content",
        "scope": "Scope and content", "discussion": "Discussion", "questions": "Open questions",
        "notes": "Other",
        "attachments": "Attached individual reports",
        "name": "Name", "student_id": "Student ID", "department": "Department",
        "r_scope": "Scope", "r_body": "Notes", "r_questions": "Questions",
        "not_submitted": "(no individual report)",
        "computed": "Computed", "bank": "bank", "solution": "worked solution",
        "solution_below": "see the worked solution A{n} below the table",
        "late_line": "Late: {names}",
        "absent_line": "Absent: {names}",
        "count": "{name} ({count} so far)",
        "limit_line": "Reached the lateness/absence limit of {limit}: {names} → {penalty}",
        "penalty_default": "owes the group's penalty",
        "missing_line": "Individual report missing: {names}",
        "late_report_line": "Individual report after the deadline ({deadline}): {names}",
        "all_resolved": "All of our questions were resolved at the meeting.",
    },
}


def format_date(date: dt.date, lang: str) -> str:
    return f"{date.year}년 {date.month:02d}월 {date.day:02d}일" if lang == "ko" else date.isoformat()


def format_when(when: dt.datetime, lang: str) -> str:
    return f"{format_date(when.date(), lang)} {when:%H:%M}"
