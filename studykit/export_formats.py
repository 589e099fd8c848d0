"""The two LMS writers for `studykit export`: Moodle XML (numerical/multichoice/shortanswer/essay/cloze)
and GIFT. Question text is HTML converted by pandoc with math as \\(…\\) for Moodle's MathJax filter."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from studykit.export import (
    Numeric,
    Warnings,
    choice_fractions,
    fraction_text,
    numeric_answer,
    part_weights,
    shape_texts,
    tolerance_text,
)
from studykit.model import AnswerSpec, Question
from studykit.quiz import Variant
from studykit.quizdocs import HTML_READER, LETTERS, code_span, html_bodies

MATHJAX = ("--mathjax", "--wrap=none")
_INLINE_MATH = re.compile(r"\$([^$\n]+)\$")
Items = Sequence[tuple[Question, Sequence[Variant]]]


def _texts(items: Items) -> dict[tuple[str, int], tuple[str, str]]:
    """(question id, variant index) -> (prompt HTML, solution HTML), all through one batched pandoc."""
    from studykit.compute import render_prompt, render_solution

    keys, docs = [], []
    for question, variants in items:
        for k, v in enumerate(variants):
            keys.append((question.id, k))
            docs.append(render_prompt(question, v.params))
            docs.append(render_solution(question, v.params, v.result) + "\n\n조건: " + _params_line(v))
    bodies = html_bodies(docs, HTML_READER, "html5", MATHJAX)
    return {key: (bodies[2 * i].strip(), bodies[2 * i + 1].strip()) for i, key in enumerate(keys)}


def _params_line(variant: Variant) -> str:
    return ", ".join(code_span(f"{k} = {v}") for k, v in variant.params.items()) or "교재 값"


def _label_html(question: Question, index: int) -> str:
    spec = question.answers[index]
    letter = f"({LETTERS[index % 26]}) " if len(question.answers) > 1 else ""
    name = f" ({spec.name})" if spec.label and spec.label != spec.name else ""
    label = html.escape(spec.display_label() + name)
    return letter + _INLINE_MATH.sub(r"\\(\1\\)", label)


def _vector(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _is_single_numeric(question: Question, variant: Variant) -> bool:
    spec = question.answers[0]
    return (len(question.answers) == 1 and spec.kind in ("integer", "number")
            and not isinstance(variant.result.answers[spec.name], (list, tuple)))


# --- Moodle XML --------------------------------------------------------------------------------

def _text_el(parent: ET.Element, tag: str, text: str, fmt: str | None = "html") -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = text
    return el


def _cloze_escape(text: str) -> str:
    return re.sub(r'([}#~/"\\])', r"\\\1", text)


def _cloze_part(question: Question, index: int, weight: int, value: Any, warnings: Warnings) -> str:
    """One part's embedded answer(s) in Moodle's cloze syntax."""
    spec = question.answers[index]
    if spec.kind in ("integer", "number"):
        fields = []
        for v in _vector(value):
            ans = numeric_answer(spec, v)
            warnings.add(question, spec.name, ans.note)
            fields.append(f"{{{weight}:NUMERICAL:={ans.value}:{tolerance_text(ans.tolerance)}}}")
        return fields[0] if len(fields) == 1 else "[" + ", ".join(fields) + "]"
    if spec.kind == "shape":
        return f"{{{weight}:SHORTANSWER:" + "~".join("=" + _cloze_escape(t) for t in shape_texts(value)) + "}"
    if spec.kind == "choice":
        pairs = choice_fractions(spec, value)
        kind = "MULTIRESPONSE" if spec.multiple else "MULTICHOICE"
        options = "~".join(f"%{fraction_text(f)}%{_cloze_escape(o)}" for o, f in pairs)
        return f"{{{weight}:{kind}:{options}}}"
    if spec.kind == "symbolic":
        warnings.add(question, spec.name, "symbolic: exported as an exact-text short answer; "
                     "equivalent forms are marked wrong, review by hand")
        return f"{{{weight}:SHORTANSWER:={_cloze_escape(str(value))}}}"
    warnings.add(question, spec.name, "text: not auto-graded; a 0% catch-all short answer holds the place")
    return f"{{{weight}:SHORTANSWER:%0%*#{_cloze_escape(str(value))}}}"


def _moodle_body(q: ET.Element, question: Question, variant: Variant, prompt: str,
                 warnings: Warnings) -> None:
    """Fills question `q` with its type, text and answers."""
    answers = variant.result.answers
    if _is_single_numeric(question, variant):
        spec = question.answers[0]
        ans = numeric_answer(spec, answers[spec.name])
        warnings.add(question, spec.name, ans.note)
        q.set("type", "numerical")
        unit = f" {html.escape(spec.unit)}" if spec.unit else ""
        _text_el(q, "questiontext", f"{prompt}\n<p>{_label_html(question, 0)} = ?{unit}</p>")
        _numerical_answer(q, ans)
        return
    if len(question.answers) == 1 and question.answers[0].kind in ("choice", "symbolic", "shape", "text"):
        _moodle_single(q, question, variant, prompt, warnings)
        return
    q.set("type", "cloze")
    lines = [prompt]
    for i, (spec, weight) in enumerate(zip(question.answers, part_weights(question), strict=True)):
        unit = f" {html.escape(spec.unit)}" if spec.unit else ""
        field = _cloze_part(question, i, weight, answers[spec.name], warnings)
        lines.append(f"<p>{_label_html(question, i)} = {field}{unit}</p>")
    _text_el(q, "questiontext", "\n".join(lines))


def _numerical_answer(q: ET.Element, ans: Numeric) -> None:
    el = ET.SubElement(q, "answer", {"fraction": "100", "format": "moodle_auto_format"})
    ET.SubElement(el, "text").text = ans.value
    _text_el(el, "feedback", "")
    ET.SubElement(el, "tolerance").text = tolerance_text(ans.tolerance)


def _moodle_single(q: ET.Element, question: Question, variant: Variant, prompt: str,
                   warnings: Warnings) -> None:
    spec: AnswerSpec = question.answers[0]
    value = variant.result.answers[spec.name]
    _text_el(q, "questiontext", f"{prompt}\n<p>{_label_html(question, 0)}</p>")
    if spec.kind == "choice":
        q.set("type", "multichoice")
        ET.SubElement(q, "single").text = "false" if spec.multiple else "true"
        ET.SubElement(q, "shuffleanswers").text = "0"
        ET.SubElement(q, "answernumbering").text = "none"
        for option, fraction in choice_fractions(spec, value):
            el = ET.SubElement(q, "answer", {"fraction": fraction_text(fraction), "format": "html"})
            ET.SubElement(el, "text").text = html.escape(option)
            _text_el(el, "feedback", "")
        return
    if spec.kind == "text":
        q.set("type", "essay")
        warnings.add(question, spec.name, "text: exported as an essay question, graded by hand")
        _text_el(q, "graderinfo", f"<p>{html.escape(str(value))}</p>")
        return
    q.set("type", "shortanswer")
    ET.SubElement(q, "usecase").text = "0"
    texts = shape_texts(value) if spec.kind == "shape" else [str(value)]
    if spec.kind == "symbolic":
        warnings.add(question, spec.name, "symbolic: exported as an exact-text short answer; "
                     "equivalent forms are marked wrong, review by hand")
    for text in texts:
        el = ET.SubElement(q, "answer", {"fraction": "100", "format": "moodle_auto_format"})
        ET.SubElement(el, "text").text = text
        _text_el(el, "feedback", "")


def moodle_xml(items: Items, warnings: Warnings) -> str:
    """A Moodle XML question file: per question a category, then one question per variant."""
    texts = _texts(items)
    root = ET.Element("quiz")
    for question, variants in items:
        cat = ET.SubElement(root, "question", {"type": "category"})
        _text_el(cat, "category", f"$course$/studykit/{question.id}", None)
        for k, variant in enumerate(variants):
            prompt, solution = texts[(question.id, k)]
            q = ET.SubElement(root, "question", {"type": "numerical"})
            _text_el(q, "name", f"{question.title} ({question.id} v{k + 1})", None)
            _moodle_body(q, question, variant, prompt, warnings)
            _text_el(q, "generalfeedback", solution)
            ET.SubElement(q, "defaultgrade").text = format(question.points, "g")
            ET.SubElement(q, "penalty").text = "0"
            ET.SubElement(q, "hidden").text = "0"
            ET.SubElement(q, "idnumber").text = f"{question.id}-v{k + 1}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- GIFT --------------------------------------------------------------------------------------

def gift_escape(text: str) -> str:
    """GIFT's special characters ~ = # { } : and the backslash itself, escaped with a backslash."""
    return re.sub(r"([~=#{}:\\])", r"\\\1", text)


def _gift_answer(question: Question, spec: AnswerSpec, value: Any, warnings: Warnings) -> str:
    """What goes between the braces (without general feedback)."""
    if spec.kind in ("integer", "number"):
        ans = numeric_answer(spec, value)
        warnings.add(question, spec.name, ans.note)
        return f"#{ans.value}:{tolerance_text(ans.tolerance)}"
    if spec.kind == "shape":
        return " ".join("=" + gift_escape(t) for t in shape_texts(value))
    if spec.kind == "choice":
        pairs = choice_fractions(spec, value)
        if not spec.multiple:
            return " ".join(("=" if f > 0 else "~") + gift_escape(o) for o, f in pairs)
        return " ".join(f"~%{fraction_text(f)}%{gift_escape(o)}" for o, f in pairs)
    if spec.kind == "symbolic":
        warnings.add(question, spec.name, "symbolic: exported as an exact-text short answer; "
                     "equivalent forms are marked wrong, review by hand")
        return "=" + gift_escape(str(value))
    warnings.add(question, spec.name, "text: exported as an essay question, graded by hand")
    return ""


def _gift_parts(question: Question, variant: Variant) -> list[tuple[str, AnswerSpec, Any, str]]:
    """(suffix, spec, value, label) per GIFT question: one per part, one per vector component."""
    rows = []
    for i, spec in enumerate(question.answers):
        value = variant.result.answers[spec.name]
        letter = f" ({LETTERS[i % 26]})" if len(question.answers) > 1 else ""
        if spec.kind == "number" and isinstance(value, (list, tuple)):
            for j, component in enumerate(value, 1):
                rows.append((f"{letter} [{j}]", spec, component, f"{_label_html(question, i)} [{j}]"))
        else:
            rows.append((letter, spec, value, _label_html(question, i)))
    return rows


def gift_text(items: Items, warnings: Warnings) -> str:
    """A GIFT file: $CATEGORY per question, one question per variant and part; the solution as feedback."""
    texts = _texts(items)
    blocks = []
    for question, variants in items:
        blocks.append(f"$CATEGORY: $course$/studykit/{question.id}")
        for k, variant in enumerate(variants):
            prompt, solution = texts[(question.id, k)]
            feedback = gift_escape(solution).replace("\n", " ")
            for suffix, spec, value, label in _gift_parts(question, variant):
                name = gift_escape(f"{question.id} v{k + 1}{suffix}")
                unit = f" {html.escape(spec.unit)}" if spec.unit else ""
                body = gift_escape(f"{prompt}\n<p>{label} = ?{unit}</p>").replace("\n", " ")
                answer = _gift_answer(question, spec, value, warnings)
                blocks.append(f"::{name}::[html]{body} {{{answer} ####{feedback}}}")
    return "\n\n".join(blocks) + "\n"
