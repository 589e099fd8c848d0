"""studykit: question bank with executable verifiers, group reports, quizzes and grading."""

from __future__ import annotations

__version__ = "0.1.0"
