"""CVAT's own XML: "CVAT for images 1.1" (``<image>`` with ``<box>``, ``<polygon>``) and "CVAT for video 1.1" (``<track>``).

The format CVAT exports by default: one ``annotations.xml`` with the task's labels in ``<meta>``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..layout import Sniff, file_head

_SHAPES = re.compile(rb"<(box|polygon|polyline|points|ellipse|mask|skeleton)\b")
_LABEL = re.compile(rb"<label>\s*<name>([^<]*)</name>")


def looks_like(path: Path) -> Sniff | None:
    """A CVAT XML (its root is ``<annotations>`` with a ``<version>``); None for any other file."""
    if path.suffix.lower() != ".xml":
        return None
    head = file_head(path, 4096)
    if b"<annotations" not in head or b"<version>" not in head:
        return None
    try:
        body = path.read_bytes()
    except OSError:
        return None
    classes = len(set(_LABEL.findall(body))) or None
    if b"<track " in body or b"<track>" in body:
        return Sniff("CVAT for video 1.1 XML", len(_SHAPES.findall(body)), classes, read=False)
    return Sniff("CVAT for images 1.1 XML", len(_SHAPES.findall(body)), classes, read=False)
