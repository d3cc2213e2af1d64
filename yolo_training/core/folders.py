"""Folders the package generates: marked with a file, and only marked folders are ever replaced.

A student's own files (an export, photos, notebooks) are never deleted: a folder that holds files
but no marker is refused before anything is touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from .errors import NotGeneratedError, OutputExistsError

#: The marker of a folder kept in the project's cache (:func:`cached_folder`).
CACHE_MARKER = ".yolo-training-cache"


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


def cached_folder(folder: Path, build: Callable[[Path], object], note: str) -> Path:
    """``folder``, made once by ``build`` and kept: a folder of the cache, named by what it holds.

    ``build(tmp)`` fills an empty temporary folder beside ``folder``, which is then marked and
    renamed into place, so a folder that exists is always whole (a build that fails leaves
    nothing; one killed midway, only a hidden ``.<name>.building-*`` folder). Name ``folder``
    after a digest of its source: the same source gives the same folder, never built twice.

    Args:
        folder: the folder to make (its parent is made too).
        build: fills the folder it is given.
        note: what the marker file says (what the folder holds and where it came from).

    Returns:
        ``folder``.

    Raises:
        NotGeneratedError: ``folder`` exists, holds files and no marker: not ours, left alone.

    Examples:
        >>> frames = cached_folder(cache_dir() / "dataset-images" / "3fa2c1", extract, "frames of clip.mp4")  # doctest: +SKIP
    """
    folder = Path(folder)
    if (folder / CACHE_MARKER).is_file():
        return folder
    check_output(folder, CACHE_MARKER, True, "")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.building-"))
    try:
        build(tmp)
        (tmp / CACHE_MARKER).write_text(note.rstrip("\n") + "\n", encoding="utf-8")
        if folder.exists() and not (folder / CACHE_MARKER).is_file():
            shutil.rmtree(folder)  # empty (checked above): Windows renames only onto nothing
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / CACHE_MARKER).is_file():  # not another process that finished first
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder
