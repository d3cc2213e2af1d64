"""labelme JSON: one ``.json`` per image with ``shapes`` (rectangles, polygons, circles, points).

The format of the most common labelling tool in student tutorials: each file names its image
(``imagePath``, relative to the JSON, with ``/`` or Windows' ``\\``) and may embed it
(``imageData``, base64). Rectangles, polygons, circles and masks are regions (a box for
detection, a polygon with ``task="segment"``: see :mod:`.regions`); points, lines and line strips
are not, and each is a problem, never dropped in silence. ``imageWidth``/``imageHeight`` are the
declared size, checked by the inspection against the image.

When the image file is missing but embedded, its bytes are written unchanged into the project's
cache (:func:`~yolo_training.core.env.cache_dir` ``/dataset-images``, a folder marked as
generated, named by a digest of the bytes): the student's folder is never written to, and the
split hard-links the decoded copy like any other image.

Class names: a ``labels.txt`` beside the JSON files, read as labelme's own conversion scripts
(``labelme2voc``, ``labelme2coco``) read it: the ``__ignore__`` and ``_background_`` lines are not
classes, the others are, in id order; else ``names=``; else the labels used, sorted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import re
from pathlib import Path

from ...core.common import is_image
from ...core.env import cache_dir, shown_path
from ...core.errors import DatasetError
from ...core.folders import cached_folder
from ..labels import LabelProblem, agreed_names, names_from_lines, read_text
from ..layout import (
    ImageIndex,
    Item,
    Layout,
    Scan,
    Sniff,
    apply_split_files,
    file_head,
    image_root_of,
    image_size,
    key_of,
    shown,
    split_from_path,
)
from . import regions

KIND = "labelme JSON (one .json per image)"
#: Shape types that are regions (an object a detector or segmenter learns).
REGION_TYPES = ("rectangle", "polygon", "circle", "mask")
#: Shape types that are not regions, as a sentence names them.
NOT_REGIONS = {"point": "a point", "points": "points", "line": "a line", "linestrip": "a line strip"}
#: Lines of labelme's ``labels.txt`` that are not classes (its scripts give them ids -1 and 0).
NOT_CLASSES = ("__ignore__", "_background_")
_LABEL_KEY = re.compile(r'"label"\s*:')
_DRIVE = re.compile(r"^[A-Za-z]:/|^/|^//")


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


def _is_labelme(path: Path) -> bool:
    """A labelme file by its first bytes (a broken one too, so that it is reported rather than ignored)."""
    head = file_head(path, 1 << 20)
    return head.startswith(b"{") and b'"shapes"' in head and any(k in head for k in (b'"imagePath"', b'"imageData"', b'"shape_type"', b'"version"'))


def claims(scan: Scan) -> list[Path]:
    """The labelme JSON files below the folder (by their first bytes: ``shapes`` and ``imagePath``)."""
    return [p for p in scan.top(".json") if _is_labelme(p)]


# --------------------------------------------------------------------------------------------
# Class names


def _labels_files(scan: Scan, files: list[Path]) -> dict[Path, list[str]]:
    """labelme's ``labels.txt`` at the top of the folder or beside the JSON files (or one folder up), as its scripts read it."""
    folders = {scan.root} | {p.parent for p in files} | {p.parent.parent for p in files if p.parent != scan.root}
    sources = {}
    for path in scan.top(".txt"):
        if path.name.lower() == "labels.txt" and path.parent in folders:
            sources[path] = [n for n in names_from_lines(path) if n not in NOT_CLASSES]
    return sources


def _names(scan: Scan, files: list[Path], given: list[str] | None, used: set[str], layout_used: dict) -> list[str]:
    sources = _labels_files(scan, files)
    layout_used.update({p: "class names (labelme labels.txt)" for p in sources})
    found = agreed_names({shown(p, scan.root): n for p, n in sources.items()}, shown(scan.root))
    if found is not None:
        if given is not None and given != found:
            raise DatasetError(f"names={given} disagree with labelme's labels.txt in {shown(scan.root)}: {found}. Leave names= out, or fix the file.")
        if not found:
            raise DatasetError(f"{shown(next(iter(sources)), scan.root)} lists no class (only {' and '.join(NOT_CLASSES)}). Add one class name per line.")
        return found
    return given if given is not None else sorted(used)


# --------------------------------------------------------------------------------------------
# Images: the file imagePath names, or the embedded copy


def _find(rel: str, json_path: Path, images: ImageIndex) -> Path | None:
    """The image ``imagePath`` names: relative to the JSON, then by its name, then by the JSON's own name."""
    found = images.at(json_path.parent / rel) if rel and not _DRIVE.match(rel) else None
    name = rel.rsplit("/", 1)[-1]
    return found or (images.named(name, json_path.parent) if name else None) or images.stemmed(json_path.stem, json_path.parent)


def _nominal(rel: str, json_path: Path, root: Path, data: bytes | None) -> Path:
    """Where the image would be in the folder: its name in the dataset when only its embedded copy is there."""
    if rel and not _DRIVE.match(rel):
        path = Path(os.path.normpath(json_path.parent / rel))
        if root in path.parents:
            return path
    name = rel.rsplit("/", 1)[-1] if rel else ""
    if not is_image(name):
        name = json_path.stem + _suffix_of(data)
    return json_path.parent / name


def _suffix_of(data: bytes | None) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data or b"")) as im:
            return {"JPEG": ".jpg"}.get(im.format, f".{(im.format or 'png').lower()}")
    except (UnidentifiedImageError, OSError, ValueError):
        return ".png"


def _decode(text) -> bytes | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return base64.b64decode(text.split(",", 1)[-1] if text.startswith("data:") else text)
    except (binascii.Error, ValueError):
        return None


def decoded_image(data: bytes, name: str, source: str) -> Path:
    """The embedded image's bytes as a file ``name`` in the project's cache (made once per content and name).

    Args:
        data: the image's bytes.
        name: its file name (as the dataset names it).
        source: where the bytes came from, for the folder's marker (``"pets.zip:a.json"``).

    Returns:
        The file, in a marked folder of ``cache_dir()/dataset-images``.

    Examples:
        >>> decoded_image(b"\\x89PNG...", "a.png", "a.json").name  # doctest: +SKIP
        'a.png'
    """
    digest = hashlib.sha1(name.encode("utf-8") + b"\0" + data).hexdigest()[:20]
    folder = cached_folder(
        cache_dir() / "dataset-images" / f"labelme-{digest}",
        lambda tmp: (tmp / name).write_bytes(data),
        f"Written by yolo-training: the image embedded (imageData) in {source}, decoded because the image file is not "
        "beside it. Made again when needed; safe to delete.",
    )
    return folder / name


# --------------------------------------------------------------------------------------------
# Shapes


def _points(shape: dict) -> list[tuple[float, float]] | None:
    try:
        points = [(float(p[0]), float(p[1])) for p in shape.get("points") or []]
    except (TypeError, ValueError, IndexError):
        return None
    return points if all(v == v and abs(v) != float("inf") for p in points for v in p) else None


def _region(shape: dict, kind: str) -> tuple[regions.Region | None, str]:
    """The region of one shape, or None and why (a sentence that follows the shape's name)."""
    points = _points(shape)
    if points is None:
        return None, "has points that are not numbers [x, y]"
    if kind == "rectangle":
        if len(points) < 2:
            return None, "has fewer than 2 corners"
        xs, ys = [x for x, _ in points], [y for _, y in points]
        return regions.rectangle(min(xs), min(ys), max(xs), max(ys)), ""
    if kind == "polygon":
        found = regions.polygon(points)
        return (found, "") if found else (None, f"has {len(points)} point(s), fewer than the 3 of a region")
    if kind == "circle":
        if len(points) < 2:
            return None, "needs its centre and a point on its edge"
        (cx, cy), (ex, ey) = points[:2]
        r = ((ex - cx) ** 2 + (ey - cy) ** 2) ** 0.5
        return (regions.ellipse(cx, cy, r, r), "") if r > 0 else (None, "has radius 0")
    # mask: the box's two corners and a PNG of the mask inside it
    data = _decode(shape.get("mask"))
    if data is None or len(points) < 2:
        return None, "has no mask image (base64 PNG) or no corners"
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            pixels = np.asarray(im.convert("L"))
    except (UnidentifiedImageError, OSError, ValueError):
        return None, "has a mask that is not an image"
    found = regions.mask(pixels, min(x for x, _ in points), min(y for _, y in points))
    return (found, "") if found else (None, "has an empty mask")


def _shape_lines(text: str, shapes: list) -> list[int]:
    """The line of each shape in the file (where its ``"label"`` key is), 0 where it cannot be told."""
    found = [text.count("\n", 0, m.start()) + 1 for m in _LABEL_KEY.finditer(text)]
    return found if len(found) == len(shapes) else [0] * len(shapes)


def _key_line(text: str, key: str) -> int:
    at = text.find(f'"{key}"')
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


def _yolo_lines(path: Path, text: str, data: dict, ids: dict[str, int], size: tuple[float, float], task: str,
                problems: list[LabelProblem], key: str) -> tuple[str, list[tuple[int, str]]]:
    lines, origins = [], []
    shapes = data["shapes"]
    for number, (shape, line) in enumerate(zip(shapes, _shape_lines(text, shapes)), start=1):
        if not isinstance(shape, dict):
            problems.append(LabelProblem(path, line, f"shape {number} is not an object with label and points; left out.", "malformed", "error", key))
            continue
        label, kind = str(shape.get("label", "")).strip(), str(shape.get("shape_type") or "polygon")
        what = f"shape {number} ({kind} {label!r})"
        if kind in NOT_REGIONS:
            problems.append(LabelProblem(path, line, f"{what} is {NOT_REGIONS[kind]}, not a region: left out. A detector learns boxes and a "
                                         "segmenter polygons: draw a rectangle or polygon around the object if it should be found.", "not-a-region", "warning", key))
            continue
        if kind not in REGION_TYPES:
            problems.append(LabelProblem(path, line, f"{what}: shape type {kind!r} is not one this package reads ({', '.join(REGION_TYPES)}); left out.", "not-a-region", "warning", key))
            continue
        if label in NOT_CLASSES:
            problems.append(LabelProblem(path, line, f"{what} is labelled {label!r}, which labelme's scripts do not train on; left out.", "ignored", "warning", key))
            continue
        if label not in ids:
            problems.append(LabelProblem(path, line, f"{what}: {label!r} is not among the class names {list(ids)}; left out. Add it to labels.txt "
                                         "(or names=), or rename the shape.", "class-id", "error", key))
            continue
        region, why = _region(shape, kind)
        if region is None:
            problems.append(LabelProblem(path, line, f"{what} {why}: the split leaves this image out (without it the object would be taught as "
                                         "background); redraw the shape in labelme.", "malformed", "error", key))
            continue
        lines.append(region.yolo_line(ids[label], size[0], size[1], task) + "\n")
        origins.append((line, f"{what}: "))
    return "".join(lines), origins


def _declared(data: dict, text: str, image: Path) -> tuple[tuple[float, float], tuple[float, float, int] | None]:
    """The size boxes are fractions of (labelme's imageWidth/imageHeight, else the image's), and the declared size."""
    try:
        w, h = float(data.get("imageWidth") or 0), float(data.get("imageHeight") or 0)
    except (TypeError, ValueError):
        w = h = 0.0
    if w > 0 and h > 0:
        return (w, h), (w, h, _key_line(text, "imageHeight"))
    try:
        w, h = image_size(image)
        return (float(w), float(h)), None
    except Exception:  # an unreadable image is reported by the inspection
        return (1.0, 1.0), None


def read(scan: Scan, files: list[Path], names: list[str] | None, task: str) -> Layout:
    """The labelme dataset below ``scan.root``: every image with its shapes as YOLO lines.

    Args:
        scan: the walk of the folder.
        files: the labelme JSON files (:func:`claims`).
        names: class names given by the student (they give the order unless a ``labels.txt`` does).
        task: ``"segment"`` for polygons; anything else for boxes.

    Returns:
        The layout: images with their lines, the problems met (each with file and line), notes.

    Raises:
        DatasetError: ``names=`` disagree with ``labels.txt``, or several ``labels.txt`` disagree.

    Examples:
        >>> layout = read(Scan(Path("labelme-pets")), claims(Scan(Path("labelme-pets"))), None, "detect")  # doctest: +SKIP
        >>> layout.kind  # doctest: +SKIP
        'labelme JSON (one .json per image)'
    """
    task = "segment" if task == "segment" else "detect"
    problems: list[LabelProblem] = []
    notes: list[str] = []
    used: dict[Path, str] = {}
    images = ImageIndex(scan.images)
    loaded: list[tuple[Path, str, dict, Path, Path]] = []  # json, its text, data, image, nominal image
    described: dict[Path, Path] = {}
    broken: list[tuple[Path, int, str]] = []  # files that cannot be read whole
    decoded = 0
    for path in files:
        try:
            text = read_text(path)
            data = json.loads(text)
        except json.JSONDecodeError as err:
            broken.append((path, err.lineno, f"is not valid JSON ({err.msg}, column {err.colno})"))
            continue
        except (UnicodeDecodeError, OSError) as err:
            broken.append((path, 0, f"cannot be read as text ({err})"))
            continue
        if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
            broken.append((path, 1, "has no list of 'shapes'"))
            continue
        rel = str(data.get("imagePath") or "").replace("\\", "/").strip()
        image = _find(rel, path, images)
        embedded = _decode(data.get("imageData")) if image is None else None
        nominal = image or _nominal(rel, path, scan.root, embedded)
        if image is None and embedded is not None:
            image = decoded_image(embedded, nominal.name, shown(path, scan.root))
            decoded += 1
        if image is None:
            problems.append(LabelProblem(path, _key_line(text, "imagePath"), f"imagePath {rel!r} names an image that is not in {shown(scan.root)}, and the file "
                                         "embeds no imageData: its shapes are left out. Put the image beside the JSON file (or save it in labelme "
                                         "with 'Save image data').", "missing-image", "warning"))
            continue
        if image in described:
            problems.append(LabelProblem(path, _key_line(text, "imagePath"), f"describes {image.name}, as {shown(described[image], scan.root)} does; only that one is used.",
                                         "duplicate-annotation", "warning"))
            continue
        described[image] = path
        loaded.append((path, text, data, image, nominal))
    labels = {str(s.get("label", "")).strip() for _, _, d, _, _ in loaded for s in d["shapes"]
              if isinstance(s, dict) and str(s.get("shape_type") or "polygon") in REGION_TYPES}
    names = _names(scan, files, names, labels - set(NOT_CLASSES), used)
    ids = {n: i for i, n in enumerate(names)}
    plain = [im for im in scan.images if im not in described]  # images no JSON describes
    image_root = image_root_of([nominal for *_, nominal in loaded] + plain, scan.root)
    items = []
    for path, text, data, image, nominal in loaded:
        key = key_of(nominal, image_root)
        size, declared = _declared(data, text, image)
        lines, origins = _yolo_lines(path, text, data, ids, size, task, problems, key)
        items.append(Item(key, image, path, split_from_path(scan.relative(nominal)), lines, origins, declared))
    for image in plain:
        items.append(Item(key_of(image, image_root), image, None, split_from_path(scan.relative(image))))
    items.sort(key=lambda item: item.key)
    for path, line, why in broken:  # its image (named like the JSON) is left out of the split, not taught as a background
        image = _find("", path, images)
        problems.append(LabelProblem(path, line, f"{why}: its shapes cannot be read, so the split leaves its image out. Open the image in "
                                     "labelme and save it again, or restore the file.", "malformed", "error",
                                     key_of(image, image_root) if image is not None and image not in described else None))
    apply_split_files(items, scan.root, problems)
    grouped = sum(1 for *_, d, _, _ in loaded for s in d["shapes"] if isinstance(s, dict) and s.get("group_id") is not None)
    if grouped:
        notes.append(f"{grouped} labelme shape(s) have a group_id (parts of one object); each is kept as a separate object")
    if decoded:
        notes.append(f"{decoded} image(s) exist only as the imageData inside their JSON: decoded into {shown_path(cache_dir() / 'dataset-images')} "
                     "(the dataset's folder is not written to)")
    layout = Layout(KIND, scan.root, names, items, image_root, problems, notes)
    layout.used.update(used)
    return layout


def looks_like(path: Path) -> Sniff | None:
    """A labelme file: its region shapes and the labels they use; None for any other file."""
    if path.suffix.lower() != ".json":
        return None
    data = _load(path)
    if data is None:
        return None
    shapes = [s for s in data["shapes"] if isinstance(s, dict) and str(s.get("shape_type") or "polygon") in REGION_TYPES]
    labels = {str(s.get("label")) for s in shapes}
    return Sniff("labelme JSON", len(shapes), len(labels))
