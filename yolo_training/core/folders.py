"""Folders the package generates: marked with a file, and only marked folders are ever replaced.

A student's own files (an export, photos, notebooks) are never deleted: a folder that holds files
but no marker is refused before anything is touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import NotGeneratedError, OutputExistsError


def check_output(folder: Path, marker: str, overwrite: bool, earlier: str) -> None:
    """Refuse ``folder`` if it holds files we did not write, or ``earlier`` output without ``overwrite``."""
    if folder.exists() and not folder.is_dir():
        raise NotGeneratedError(f"{folder} is a file, not a folder. Choose another output folder.")
    if not folder.exists() or not any(folder.iterdir()):
        return
    if not (folder / marker).is_file():
        raise NotGeneratedError(
            f"{folder} holds files that yolo-training did not write (no {marker} file in it), so it is left alone. "
            "Move your files elsewhere or choose another output folder."
        )
    if not overwrite:
        raise OutputExistsError(f"{folder} holds {earlier}. Pass overwrite=True (CLI: --overwrite) to replace it.")


def replace_output(folder: Path, marker: str, overwrite: bool, earlier: str, note: str) -> Path:
    """Check ``folder`` (see :func:`check_output`), empty it if it was ours, and mark it with ``note``."""
    check_output(folder, marker, overwrite, earlier)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / marker).write_text(note.rstrip("\n") + "\n", encoding="utf-8")
    return folder
