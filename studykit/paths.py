"""Where things live: the workspace root, the built-in bank and the built-in templates."""

from __future__ import annotations

from pathlib import Path

from studykit.errors import WorkspaceNotFound

CONFIG_NAME = "studykit.yaml"
_PACKAGE = Path(__file__).resolve().parent


def builtin_questions_dir() -> Path:
    """The built-in bank: studykit/questions in a wheel, the top-level questions/ in a checkout."""
    packaged = _PACKAGE / "questions"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / "questions"


def builtin_templates_dir() -> Path:
    return _PACKAGE / "templates"


def find_workspace(start: Path | None = None, *, required: bool = True) -> Path | None:
    """The nearest folder at or above `start` holding studykit.yaml."""
    if start is not None and not Path(start).is_dir():  # -C naming a file or a typo: never use a parent's
        what = "is a file, not a folder" if Path(start).exists() else "does not exist"
        raise WorkspaceNotFound(f"--workspace {start} {what}; expected a workspace folder with {CONFIG_NAME}")
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    if required:
        raise WorkspaceNotFound(
            f"no {CONFIG_NAME} in {here} or any parent folder "
            "(run `studykit init DIR` to create a workspace, or pass --workspace DIR)"
        )
    return None
