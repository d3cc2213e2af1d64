"""labelme JSON: one ``.json`` per image with ``shapes`` (rectangles, polygons, circles, points).

The format of the most common labelling tool in student tutorials: each file names its image
(``imagePath``, relative to the JSON) and may embed it (``imageData``, base64).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..labels import read_text
from ..layout import Sniff, file_head


def _load(path: Path) -> dict | None:
    head = file_head(path, 4096)
    if not head.startswith(b"{") or b'"shapes"' not in file_head(path, 1 << 20):
        return None
    try:
        data = json.loads(read_text(path))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("shapes"), list) or not ("imagePath" in data or "imageData" in data):
        return None
    return data


def looks_like(path: Path) -> Sniff | None:
    """A labelme file: its shapes and the labels they use; None for any other file."""
    if path.suffix.lower() != ".json":
        return None
    data = _load(path)
    if data is None:
        return None
    labels = {str(s.get("label")) for s in data["shapes"] if isinstance(s, dict)}
    return Sniff("labelme JSON", len(data["shapes"]), len(labels), read=False)
