"""Roboflow's text downloads: "YOLO v3/v4 Keras TXT" (``_annotations.txt`` + ``_classes.txt``),
"TensorFlow Object Detection CSV" (``_annotations.csv``) and "CreateML JSON".
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from ...core.errors import DatasetError
from ..labels import LabelProblem, box_line, read_text
from ..layout import (
    Item,
    Layout,
    Scan,
    Sniff,
    file_head,
    find_image,
    image_root_of,
    image_size,
    images_by_name,
    key_of,
    shown,
    split_name,
)

#: One box of a Keras TXT line: ``x_min,y_min,x_max,y_max,class_id``.
_KERAS_BOX = re.compile(r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,\d+$")
#: The columns of a TensorFlow Object Detection CSV.
CSV_COLUMNS = ("filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax")


def _keras(path: Path) -> Sniff | None:
    try:
        lines = [line.split() for line in read_text(path).splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or not all(all(_KERAS_BOX.match(box) for box in parts[1:]) for parts in lines[:200]):
        return None
    if not any(len(parts) > 1 for parts in lines):
        return None
    boxes = [box for parts in lines for box in parts[1:]]
    return Sniff("YOLO Keras TXT (one line per image)", len(boxes), len({b.rsplit(",", 1)[1] for b in boxes}))


def _tf_csv(path: Path) -> Sniff | None:
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(path))))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not rows or not set(CSV_COLUMNS) <= set(rows[0]):
        return None
    return Sniff("TensorFlow Object Detection CSV", len(rows), len({r["class"] for r in rows}))


def _createml(path: Path) -> Sniff | None:
    if not file_head(path, 64).startswith(b"["):
        return None
    try:
        data = json.loads(read_text(path))
    except (json.JSONDecodeError, OSError, UnicodeDecodeError):
        return None
    if not isinstance(data, list) or not data or not all(isinstance(e, dict) and "image" in e and "annotations" in e for e in data):
        return None
    objects = [a for e in data for a in e["annotations"] if isinstance(a, dict)]
    return Sniff("CreateML JSON", len(objects), len({str(a.get("label")) for a in objects}))


def looks_like(path: Path) -> Sniff | None:
    """A Keras TXT, TF CSV or CreateML file; None for any other file."""
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return _keras(path)
    if suffix == ".csv":
        return _tf_csv(path)
    if suffix == ".json":
        return _createml(path)
    return None


# --------------------------------------------------------------------------------------------
# Reading them: one annotation file per split folder (train/, valid/, test/), images beside it


def claims(scan: Scan) -> list[Path]:
    """The ``_annotations.txt`` (Keras), ``_annotations.csv`` (TF) and CreateML JSON files of the folder."""
    found = [p for p in scan.files.get(".txt", []) if p.name.lower() == "_annotations.txt" and _keras(p)]
    found += [p for p in scan.files.get(".csv", []) if _tf_csv(p)]
    found += [p for p in scan.files.get(".json", []) if _createml(p)]
    return sorted(found)


def _classes_file(folder: Path, scan: Scan) -> Path | None:
    for candidate in [folder / "_classes.txt"] + [p for p in scan.files.get(".txt", []) if p.name.lower() == "_classes.txt"]:
        if candidate.is_file():
            return candidate
    return None


def _boxes_keras(path: Path, scan: Scan, by_name, problems) -> dict[Path, list[tuple]]:
    """image -> [(class id, x0, y0, x1, y1, line)] from a Keras TXT."""
    found: dict[Path, list[tuple]] = {}
    for n, raw in enumerate(read_text(path).splitlines(), 1):
        parts = raw.split()
        if not parts:
            continue
        image = find_image(parts[0], path.parent, by_name)
        if image is None:
            problems.append(LabelProblem(path, n, f"names {parts[0]!r}, which is not in the download; its boxes are left out. Download the dataset again.", "missing-image", "error"))
            continue
        boxes = found.setdefault(image, [])
        for box in parts[1:]:
            try:
                x0, y0, x1, y1, cls = box.split(",")
                boxes.append((int(cls), float(x0), float(y0), float(x1), float(y1), n))
            except ValueError:
                problems.append(LabelProblem(path, n, f"{box!r} is not x_min,y_min,x_max,y_max,class_id; left out.", "malformed", "error", parts[0]))
    return found


def _boxes_csv(path: Path, scan: Scan, by_name, problems, ids: dict[str, int]) -> dict[Path, list[tuple]]:
    found: dict[Path, list[tuple]] = {}
    for n, row in enumerate(csv.DictReader(io.StringIO(read_text(path))), 2):
        image = find_image(row["filename"], path.parent, by_name)
        if image is None:
            problems.append(LabelProblem(path, n, f"names {row['filename']!r}, which is not in the download; left out.", "missing-image", "error"))
            continue
        try:
            found.setdefault(image, []).append((ids[row["class"]], *(float(row[k]) for k in ("xmin", "ymin", "xmax", "ymax")), n))
        except (KeyError, ValueError):
            problems.append(LabelProblem(path, n, f"row {dict(row)} has no class among {list(ids)} or no numbers for its box; left out.", "malformed", "error"))
    return found


def _boxes_createml(path: Path, scan: Scan, by_name, problems, ids: dict[str, int]) -> dict[Path, list[tuple]]:
    found: dict[Path, list[tuple]] = {}
    for entry in json.loads(read_text(path)):
        image = find_image(str(entry["image"]), path.parent, by_name)
        if image is None:
            problems.append(LabelProblem(path, 0, f"names {entry['image']!r}, which is not in the download; left out.", "missing-image", "error"))
            continue
        boxes = found.setdefault(image, [])
        for a in entry["annotations"]:
            try:
                c = a["coordinates"]
                x, y, w, h = (float(c[k]) for k in ("x", "y", "width", "height"))
                boxes.append((ids[str(a["label"])], x - w / 2, y - h / 2, x + w / 2, y + h / 2, 0))
            except (KeyError, TypeError, ValueError):
                problems.append(LabelProblem(path, 0, f"an annotation of {entry['image']!r} has no label or coordinates x, y, width, height; left out.", "malformed", "error"))
    return found


def _names(files: list[Path], scan: Scan, given: list[str] | None, used: dict) -> list[str]:
    keras = [f for f in files if f.suffix.lower() == ".txt"]
    if keras:
        classes = _classes_file(keras[0].parent, scan)
        if classes is not None:
            found = [n.strip() for n in read_text(classes).splitlines() if n.strip()]
            for other in [p for p in scan.files.get(".txt", []) if p.name.lower() == "_classes.txt"]:
                theirs = [n.strip() for n in read_text(other).splitlines() if n.strip()]
                if theirs != found:
                    raise DatasetError(f"{shown(other, scan.root)} names {theirs}, but {shown(classes, scan.root)} names {found}: "
                                       "the splits must share one list. Download the dataset again.")
                used[other] = "class names"
            if given is not None and given != found:
                raise DatasetError(f"names={given} disagree with {shown(classes, scan.root)}: {found}. Leave names= out, or fix the file.")
            return found
        if given is None:
            raise DatasetError(f"{shown(keras[0], scan.root)} has class ids but no _classes.txt beside it: give the names in id order, e.g. names=['cat', 'dog'].")
        return given
    found = set()
    for f in files:
        if f.suffix.lower() == ".csv":
            found |= {r["class"] for r in csv.DictReader(io.StringIO(read_text(f)))}
        else:
            found |= {str(a.get("label")) for e in json.loads(read_text(f)) for a in e["annotations"] if isinstance(a, dict)}
    if given is not None:
        missing = sorted(found - set(given))
        if missing:
            raise DatasetError(f"names={given} leave out the classes {missing} that the annotations use. Add them.")
        return given
    return sorted(found)


def read(scan: Scan, files: list[Path], names: list[str] | None, task: str) -> Layout:
    """A Roboflow Keras TXT, TF CSV or CreateML download: each split folder's images with their boxes as YOLO lines."""
    problems: list[LabelProblem] = []
    used: dict[Path, str] = {}
    names = _names(files, scan, names, used)
    ids = {n: i for i, n in enumerate(names)}
    by_name = images_by_name(scan.images)
    boxes: dict[Path, tuple[Path, list[tuple]]] = {}
    for path in files:
        suffix = path.suffix.lower()
        found = (_boxes_keras(path, scan, by_name, problems) if suffix == ".txt"
                 else _boxes_csv(path, scan, by_name, problems, ids) if suffix == ".csv"
                 else _boxes_createml(path, scan, by_name, problems, ids))
        for image, objects in found.items():
            boxes.setdefault(image, (path, []))[1].extend(objects)
    listed_folders = {p.parent for p in files}
    for image in scan.images:
        if image not in boxes and image.parent in listed_folders and not any(p.suffix.lower() == ".txt" for p in files if p.parent == image.parent):
            boxes[image] = (next(p for p in files if p.parent == image.parent), [])  # CSV/CreateML list only images with objects
        elif image not in boxes:
            problems.append(LabelProblem(image, 0, "is not listed in the download's annotations; left out.", "no-label", "warning"))
    images = sorted(boxes, key=lambda p: p.as_posix())
    root = image_root_of(images, scan.root)
    items = []
    for image in images:
        path, objects = boxes[image]
        key = key_of(image, root)
        w, h = image_size(image)
        lines, origins = [], []
        for cls, x0, y0, x1, y1, n in objects:
            if not 0 <= cls < len(names):
                problems.append(LabelProblem(path, n, f"class id {cls} is not among the {len(names)} names {names}; left out.", "class-id", "error", key))
                continue
            lines.append(box_line(cls, x0, y0, x1, y1, w, h) + "\n")
            origins.append((n, ""))
        items.append(Item(key, image, path, split_name(path.parent.name), "".join(lines), origins))
    for readme in [p for p in scan.files.get(".txt", []) if p.name.lower().startswith(("readme.roboflow", "readme.dataset"))]:
        used[readme] = "Roboflow README"
    kind = {".txt": "Roboflow YOLO Keras TXT export", ".csv": "Roboflow TensorFlow Object Detection CSV export",
            ".json": "Roboflow CreateML JSON export"}[files[0].suffix.lower()]
    layout = Layout(kind, scan.root, names, items, root, problems)
    layout.used.update(used)
    return layout
