"""Darknet's files: ``obj.data`` naming ``obj.names`` and the ``train.txt``/``valid.txt`` lists of image paths."""

from __future__ import annotations

from pathlib import Path

from ..labels import read_text
from ..layout import Sniff


def looks_like(path: Path) -> Sniff | None:
    """A darknet ``.data`` file (``classes=``, ``train=``, ``names=``); None for any other file."""
    if path.suffix.lower() != ".data":
        return None
    try:
        keys = {line.split("=", 1)[0].strip().lower() for line in read_text(path).splitlines() if "=" in line}
    except (OSError, UnicodeDecodeError):
        return None
    if not {"classes", "train"} <= keys:
        return None
    return Sniff("Darknet obj.data (with its names and image lists)")
