"""What ``split_dataset(..., fix=...)`` repairs, into the split only: the source is never changed.

- ``"format"``: an image whose content is not the format its name says (a PNG named ``.jpg``),
  or a JPEG with alpha, re-saved as a real file of its extension without alpha;
- ``"exif"``: an image stored rotated with an EXIF tag, written upright;
- ``"clip"``: a box or polygon a hair past the image edge, clipped;
- ``"degenerate"``: a box or polygon without area, dropped.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import DatasetError
from .labels import check_line

#: Repairs ``fix=True`` applies.
FIXES = ("format", "clip", "degenerate", "exif")
#: The problem kinds a repair makes trainable (an image with only these errors stays in the split).
REPAIRABLE = {"format": "format", "degenerate": "degenerate"}


def chosen_fixes(fix) -> set[str]:
    """The repairs ``fix`` names (True: all); an unknown one is an error that lists the choices."""
    if not fix:
        return set()
    if fix is True:
        return set(FIXES)
    chosen = {fix} if isinstance(fix, str) else set(fix)
    unknown = chosen - set(FIXES)
    if unknown:
        raise DatasetError(f"fix={fix!r}: unknown repair(s) {sorted(unknown)}; choose from {FIXES} or fix=True for all.")
    return chosen


def _clipped(values: list[float]) -> list[float]:
    if len(values) == 4:
        x, y, w, h = values
        x0, y0 = max(0.0, x - w / 2), max(0.0, y - h / 2)
        x1, y1 = min(1.0, x + w / 2), min(1.0, y + h / 2)
        return [(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]
    return [min(1.0, max(0.0, v)) for v in values]


def repaired_labels(text: str, fixes: set[str], repairs: list[str], file: Path, origins: list[tuple[int, str]] | None = None) -> str | None:
    """The label text with tiny overshoots clipped and degenerate shapes dropped (None: unchanged).

    Each repair is recorded in ``repairs`` with ``file`` and its line (``origins``: the lines of
    text converted from VOC or COCO).
    """
    lines, changed = [], False
    for number, raw in enumerate(text.splitlines(), start=1):
        where = origins[number - 1][0] if origins and number <= len(origins) else number
        parts = raw.split()
        try:
            values = [float(v) for v in parts[1:]]
        except ValueError:
            values = []
        issue = check_line(values) if len(values) >= 4 else None
        kind = issue[0] if issue else None
        if kind == "degenerate" and "degenerate" in fixes:
            repairs.append(f"{file}, line {where}: dropped a degenerate {'box' if len(values) == 4 else 'polygon'}")
            changed = True
            continue
        if kind == "overshoot" and "clip" in fixes:
            raw = " ".join([parts[0]] + [f"{v:.6f}" for v in _clipped(values)])
            repairs.append(f"{file}, line {where}: clipped to the image")
            changed = True
        lines.append(raw)
    return "\n".join(lines) + ("\n" if lines else "") if changed else None


def repair_image(src: Path, dst: Path, fixes: set[str], kinds: set[str], repairs: list[str]) -> bool:
    """Write a repaired copy of ``src`` (real format for its extension, no alpha, upright); False if nothing to do."""
    from PIL import Image, ImageOps

    todo = ({"format"} & kinds & fixes) | ({"exif"} & kinds & fixes)
    if not todo:
        return False
    with Image.open(src) as im:
        im.load()
        done = []
        if "exif" in todo:
            im = ImageOps.exif_transpose(im)
            done.append("turned upright (EXIF orientation applied)")
        if "format" in todo:
            if im.mode in ("RGBA", "LA", "PA", "P"):
                rgba = im.convert("RGBA")
                background = Image.new("RGB", rgba.size, (114, 114, 114))  # Ultralytics' padding grey
                background.paste(rgba, mask=rgba.split()[-1])
                im = background
            elif im.mode != "RGB":
                im = im.convert("RGB")
            done.append(f"re-saved as a real {dst.suffix[1:].upper()} without alpha")
        fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".bmp": "BMP", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}.get(dst.suffix.lower(), "PNG")
        im.save(dst, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    repairs.append(f"{src}: {' and '.join(done)} in the split")
    return True
