"""Entry point for `python -m studykit`."""

from __future__ import annotations

from studykit.cli import main

raise SystemExit(main())
