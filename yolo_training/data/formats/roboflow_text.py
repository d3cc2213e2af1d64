"""Roboflow's text downloads: "YOLO v3/v4 Keras TXT" (``_annotations.txt`` + ``_classes.txt``),
"TensorFlow Object Detection CSV" (``_annotations.csv``) and "CreateML JSON"
(``_annotations.createml.json``), read as YOLO lines; and the ``README.roboflow.txt`` /
``README.dataset.txt`` of any Roboflow download, which name the export in the report.

Each split folder (``train/``, ``valid/``, ``test/``: the publisher's split) holds one annotation
file and its images beside it. All three give boxes in pixels: Keras TXT one line per image,
``image x_min,y_min,x_max,y_max,class_id ...`` (an image listed without boxes is a real
background), with the names in id order in ``_classes.txt``; the CSV one row per box,
``filename,width,height,class,xmin,ymin,xmax,ymax`` (the declared width and height are the
image size the boxes refer to, checked against the image by the inspection); CreateML a list of
``{"image", "annotations": [{"label", "coordinates": {x, y, width, height}}]}`` with ``x, y`` the
box's centre. The CSV and CreateML name classes, not ids: the names are sorted unless ``names=``
gives the order. An image beside a CSV or CreateML file that the file does not list has no
object (the CSV has one row per box, so it cannot list such an image) and is a background, said
so in a note. Neither Datumaro nor globox reads these three formats (Datumaro's "TF detection
API" is TFRecord), so the parsers are the standard library's ``csv`` and ``json``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ...core.common import is_image
from ...core.errors import DatasetError
from ..labels import LabelProblem, agreed_names, box_line, names_from_lines, read_text
from ..layout import (
    ImageIndex,
    Item,
    Layout,
    Scan,
    Sniff,
    file_head,
    image_root_of,
    image_size,
    key_of,
    shown,
    split_name,
)

#: One box of a Keras TXT line: ``x_min,y_min,x_max,y_max,class_id``.
_KERAS_BOX = re.compile(r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,\d+$")
#: The columns of a TensorFlow Object Detection CSV.
CSV_COLUMNS = ("filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax")
#: The name of each format, by the ending of its annotation file.
FORMAT_NAMES = {".txt": "YOLO Keras TXT", ".csv": "TensorFlow Object Detection CSV", ".json": "CreateML JSON"}
#: The read-me files at the top of a Roboflow download (lower case).
ROBOFLOW_READMES = ("readme.dataset.txt", "readme.roboflow.txt")
_ROBOFLOW_URL = re.compile(r"https?://(?:universe|app)\.roboflow\.com/\S+")


def _keras_line(raw: str) -> tuple[str, list[str]]:
    """(image name, box tokens) of a Keras TXT line; the name may hold spaces when it ends with an image suffix."""
    parts = raw.split()
    end = next((i for i, part in enumerate(parts) if is_image(part)), 0)
    return " ".join(parts[: end + 1]), parts[end + 1:]


def _keras(path: Path) -> Sniff | None:
    """Roboflow's ``_annotations.txt`` (each line naming an image, whatever its boxes), or any ``.txt`` whose
    lines are all ``image x0,y0,x1,y1,cls ...`` with at least one box."""
    try:
        lines = [_keras_line(line) for line in read_text(path).splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError):
        return None
    if not lines:
        return None
    if path.name.lower() == "_annotations.txt":
        if not all(is_image(name) for name, _ in lines[:200]):
            return None
    elif not all(all(_KERAS_BOX.match(box) for box in boxes) for _, boxes in lines[:200]) or not any(boxes for _, boxes in lines):
        return None
    boxes = [box for _, found in lines for box in found if _KERAS_BOX.match(box)]
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
    objects = [a for e in data if isinstance(e["annotations"], list) for a in e["annotations"] if isinstance(a, dict)]
    return Sniff("CreateML JSON", len(objects), len({str(a.get("label")) for a in objects}))


def looks_like(path: Path) -> Sniff | None:
    """A Keras TXT, TF CSV or CreateML file; None for any other file.

    Args:
        path: any file.

    Returns:
        What it holds (format, boxes, classes), or None.

    Example:
        >>> looks_like(Path("README.md")) is None
        True
    """
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return _keras(path)
    if suffix == ".csv":
        return _tf_csv(path)
    if suffix == ".json":
        return _createml(path)
    return None


# --------------------------------------------------------------------------------------------
# Roboflow's read-me files: what the download is


def roboflow_readmes(scan: Scan) -> list[Path]:
    """``README.dataset.txt`` and ``README.roboflow.txt`` at the top of the folder (any case).

    Args:
        scan: the walk of the dataset's folder.

    Returns:
        The read-me files Roboflow puts in its downloads, ``README.dataset.txt`` first.

    Example:
        >>> roboflow_readmes(Scan(Path("downloads/pets")))  # doctest: +SKIP
        [PosixPath('downloads/pets/README.dataset.txt'), PosixPath('downloads/pets/README.roboflow.txt')]
    """
    top = {p.name.lower(): p for p in scan.files.get(".txt", []) if p.parent == scan.root}
    return [top[name] for name in ROBOFLOW_READMES if name in top]


def _readme_facts(readmes: list[Path]) -> tuple[str | None, str | None]:
    """(the dataset's name line, its Roboflow URL) from the read-me files, each None when absent."""
    name = url = None
    for path in readmes:
        try:
            lines = [line.strip() for line in read_text(path).splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError):
            continue
        heading = next((line for line in lines if set(line) - set("=-#* ")), None)
        name = name or (heading.lstrip("#* ").strip() if heading else None)
        found = next((m.group(0) for line in lines if (m := _ROBOFLOW_URL.search(line))), None)
        url = url or (found.rstrip(").,") if found else None)
    return name, url


def note_roboflow_readme(layout: Layout, scan: Scan) -> None:
    """Mark a Roboflow download's read-me files as used ("Roboflow README") and name the export in a note.

    Args:
        layout: what a reader recognised in the folder; changed in place.
        scan: the walk of that folder.

    Returns:
        None.

    Example:
        >>> note_roboflow_readme(layout, scan)  # doctest: +SKIP
        >>> layout.notes[-1]  # doctest: +SKIP
        "Roboflow download 'Pets - v1' (https://universe.roboflow.com/course/pets/dataset/1), from README.dataset.txt"
    """
    readmes = roboflow_readmes(scan)
    if not readmes:
        return
    for path in readmes:
        layout.used.setdefault(path, "Roboflow README")
    name, url = _readme_facts(readmes)
    if name or url:
        where = " and ".join(shown(p, scan.root) for p in readmes)
        layout.notes.append(f"Roboflow download {name or 'without a name'!r}" + (f" ({url})" if url else "") + f", from {where}")


# --------------------------------------------------------------------------------------------
# Reading them: one annotation file per split folder (train/, valid/, test/), images beside it


@dataclass
class _Listed:
    """One image as an annotation file lists it: its boxes in pixels, what could not be read, the size it declares."""

    file: Path
    line: int
    boxes: list[tuple[int, float, float, float, float, int, str]] = field(default_factory=list)  # cls, x0, y0, x1, y1, line, what
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # line, message, kind
    size: tuple[float, float, int] | None = None


def claims(scan: Scan) -> list[Path]:
    """The Keras TXT (``_annotations.txt`` or any ``.txt`` of that form that is not an image's label file),
    TF CSV and CreateML JSON files of the folder.

    Args:
        scan: the walk of the dataset's folder.

    Returns:
        The annotation files, sorted (empty: none of these formats).

    Example:
        >>> claims(Scan(Path("downloads/pets-keras")))  # doctest: +SKIP
        [PosixPath('downloads/pets-keras/test/_annotations.txt'), ...]
    """
    stems = {image.stem.lower() for image in scan.images}  # YOLO label files share their image's stem: not read twice
    found = [p for p in scan.files.get(".txt", []) if p.stem.lower() not in stems and not p.name.lower().startswith("readme") and _keras(p)]
    found += [p for p in scan.files.get(".csv", []) if _tf_csv(p)]
    found += [p for p in scan.files.get(".json", []) if _createml(p)]
    return sorted(found)


def _image(name: str, near: Path, images: ImageIndex) -> Path | None:
    """The image of the folder an annotation names: a path relative to the annotation file (or its ``images/``),
    then its file name, nearest first; never a file outside the folder (``../x.jpg``, ``/home/me/x.jpg``)."""
    rel = name.replace("\\", "/")
    if not rel:
        return None
    for base in (near, near / "images", near.parent / "images", near.parent):
        found = images.at(base / rel)
        if found is not None:
            return found
    return images.named(rel.rsplit("/", 1)[-1], near)


def _keras_boxes(path: Path, images: ImageIndex, problems: list[LabelProblem]) -> dict[Path, _Listed]:
    """image -> what one Keras TXT lists for it."""
    found: dict[Path, _Listed] = {}
    for n, raw in enumerate(read_text(path).splitlines(), 1):
        if not raw.strip():
            continue
        name, boxes = _keras_line(raw)
        image = _image(name, path.parent, images)
        if image is None:
            problems.append(LabelProblem(path, n, f"names {name!r}, which is not in the download: its {len(boxes)} box(es) are left out. "
                                                  "Download the dataset again with its images, or remove the line.", "missing-image", "warning"))
            continue
        if image in found:
            problems.append(LabelProblem(path, n, f"lists {name!r} again (first at line {found[image].line}); this line is left out. Keep one line per image.",
                                         "duplicate-annotation", "warning"))
            continue
        listed = found[image] = _Listed(path, n)
        for box in boxes:
            try:
                *corners, cls = box.split(",")
                x0, y0, x1, y1 = (float(v) for v in corners)
                listed.boxes.append((int(cls), x0, y0, x1, y1, n, f"{name}, box {box}: "))
            except ValueError:
                listed.errors.append((n, f"{box!r} is not a box x_min,y_min,x_max,y_max,class_id (whole-number class id); the image is left out "
                                         "(without the box its object would be taught as background). Fix the line or download again.", "malformed"))
    return found


def _number(row: dict, key: str) -> float:
    """A number of a CSV row (ValueError when the cell is missing, empty or not a number)."""
    return float((row.get(key) or "").strip())


def _csv_boxes(path: Path, images: ImageIndex, problems: list[LabelProblem], ids: dict[str, int]) -> dict[Path, _Listed]:
    """image -> what one TF CSV lists for it (one row per box)."""
    found: dict[Path, _Listed] = {}
    reader = csv.DictReader(io.StringIO(read_text(path)))
    for row in reader:
        n = reader.line_num
        name = (row.get("filename") or "").strip()
        image = _image(name, path.parent, images)
        if image is None:
            problems.append(LabelProblem(path, n, f"names {name!r}, which is not in the download: its box is left out. "
                                                  "Download the dataset again with its images, or remove the row.", "missing-image", "warning"))
            continue
        listed = found.setdefault(image, _Listed(path, n))
        try:
            width, height = _number(row, "width"), _number(row, "height")
        except ValueError:
            width = height = 0.0
        if listed.size is None and width > 0 and height > 0:
            listed.size = (width, height, n)
        elif listed.size is not None and (width, height) != listed.size[:2]:
            problems.append(LabelProblem(path, n, f"declares {name!r} {width:g}x{height:g}, but line {listed.size[2]} declared "
                                                  f"{listed.size[0]:g}x{listed.size[1]:g}; the first is used.", "size-mismatch", "warning"))
        cls = ids.get((row.get("class") or "").strip())
        try:
            x0, y0, x1, y1 = (_number(row, k) for k in ("xmin", "ymin", "xmax", "ymax"))
        except ValueError:
            listed.errors.append((n, f"a row without the numbers xmin, ymin, xmax, ymax ({list(row.values())}); the image is left out "
                                     "(without the box its object would be taught as background). Fix the row or download again.", "malformed"))
            continue
        listed.boxes.append((-1 if cls is None else cls, x0, y0, x1, y1, n, f"{name}, class {row.get('class')!r}: "))
    return found


def _createml_boxes(path: Path, images: ImageIndex, problems: list[LabelProblem], ids: dict[str, int]) -> dict[Path, _Listed]:
    """image -> what one CreateML JSON lists for it (boxes by their centre)."""
    found: dict[Path, _Listed] = {}
    for k, entry in enumerate(json.loads(read_text(path)), 1):
        name = str(entry.get("image", "")) if isinstance(entry, dict) else ""
        image = _image(name, path.parent, images)
        if image is None:
            problems.append(LabelProblem(path, 0, f"entry {k} names {name!r}, which is not in the download: its boxes are left out. "
                                                  "Download the dataset again with its images.", "missing-image", "warning"))
            continue
        if image in found:
            problems.append(LabelProblem(path, 0, f"entry {k} lists {name!r} again; left out. Keep one entry per image.", "duplicate-annotation", "warning"))
            continue
        listed = found[image] = _Listed(path, 0)
        annotations = entry.get("annotations")
        for a in annotations if isinstance(annotations, list) else [annotations]:
            try:
                c = a["coordinates"]
                x, y, w, h = (float(c[key]) for key in ("x", "y", "width", "height"))
                label = str(a["label"])
            except (KeyError, TypeError, ValueError):
                listed.errors.append((0, f"entry {k} ({name}): an annotation without a label and coordinates x, y, width, height ({a!r}); "
                                         "the image is left out. Fix the file or download again.", "malformed"))
                continue
            listed.boxes.append((ids.get(label, -1), x - w / 2, y - h / 2, x + w / 2, y + h / 2, 0, f"entry {k} ({name}), {label!r}: "))
    return found


def _keras_names(files: list[Path], scan: Scan, given: list[str] | None, used: dict[Path, str]) -> list[str]:
    """The names in ``_classes.txt`` (beside each annotation file, or at the top), which must agree with each other and names=."""
    sources = {}
    for path in files:
        for folder in (path.parent, scan.root):
            found = next((folder / n for n in ("_classes.txt", "classes.txt") if (folder / n).is_file()), None)
            if found is not None:
                sources.setdefault(found, names_from_lines(found))
                break
    names = agreed_names({shown(p, scan.root): n for p, n in sources.items()}, shown(scan.root))
    used.update({p: "class names" for p in sources})
    if names is None:
        if given is not None:
            return given
        ids = [int(box.rsplit(",", 1)[1]) for path in files for _, boxes in map(_keras_line, read_text(path).splitlines())
               for box in boxes if _KERAS_BOX.match(box)]
        top = max(ids, default=0)
        raise DatasetError(f"{shown(files[0], scan.root)} gives class ids 0..{top} but there is no _classes.txt beside it, so the classes have "
                           f"no names. Give {top + 1} name(s) in id order, e.g. names=['cat', 'dog'] (CLI: --names cat dog), or add the "
                           "_classes.txt of the download (one name per line).")
    if given is not None and given != names:
        where = ", ".join(shown(p, scan.root) for p in sources)
        raise DatasetError(f"names={given} disagree with {where}: {names}. Leave names= out, or fix the file.")
    return names


def _class_names(files: list[Path], scan: Scan, given: list[str] | None) -> list[str]:
    """The classes a TF CSV or CreateML JSON uses: sorted, or in the order names= gives (which must hold them all)."""
    found: dict[Path, set[str]] = {}
    for path in files:
        if path.suffix.lower() == ".csv":
            found[path] = {(row.get("class") or "").strip() for row in csv.DictReader(io.StringIO(read_text(path)))} - {""}
        else:
            found[path] = {str(a["label"]) for e in json.loads(read_text(path)) if isinstance(e, dict) and isinstance(e.get("annotations"), list)
                           for a in e["annotations"] if isinstance(a, dict) and "label" in a}
    if given is None:
        return sorted(set().union(*found.values()))
    missing = {path: sorted(used - set(given)) for path, used in found.items() if used - set(given)}
    if missing:
        where = "; ".join(f"{shown(path, scan.root)} uses {names}" for path, names in missing.items())
        raise DatasetError(f"names={given} leave out class(es) that the annotations use ({where}). "
                           "Add them to names= (in the order you want the ids), or leave names= out for sorted names.")
    return given


def _one_format(files: list[Path], scan: Scan) -> str:
    """The format of the claimed files; two formats side by side are two sources: refused with the way to pick one."""
    suffixes = [s for s in FORMAT_NAMES if any(p.suffix.lower() == s for p in files)]
    if len(suffixes) == 1:
        return suffixes[0]
    shown_ = "; ".join(f"{FORMAT_NAMES[s]}: " + ", ".join(shown(p, scan.root) for p in files if p.suffix.lower() == s) for s in suffixes)
    first = {s: next(p.name for p in files if p.suffix.lower() == s) for s in suffixes}
    raise DatasetError(f"{shown(scan.root)} holds two Roboflow downloads side by side ({shown_}). Pick one: "
                       + " or ".join(f"source={name!r}" for name in first.values()) + " (CLI: --annotations FILE).")


def _is_roboflow(files: list[Path], scan: Scan) -> bool:
    return bool(roboflow_readmes(scan)) or any(p.name.lower().startswith("_annotations") for p in files)


def read(scan: Scan, files: list[Path], names: list[str] | None, task: str) -> Layout:
    """A Roboflow Keras TXT, TF CSV or CreateML download: each split folder's images with their boxes as YOLO lines.

    Args:
        scan: the walk of the dataset's folder.
        files: the annotation files :func:`claims` found (of one format).
        names: class names given by the student (in id order), or None.
        task: ``"segment"`` is noted (these formats hold boxes only); otherwise ignored.

    Returns:
        The layout: every listed image with its YOLO lines and its folder's split, the problems
        (lines naming missing images, boxes that cannot be read, class ids beyond the names) with
        their file and line, and the names files used.

    Raises:
        DatasetError: two of these formats side by side, names missing or disagreeing, or no listed image found.

    Example:
        >>> read(scan, claims(scan), None, "detect").kind  # doctest: +SKIP
        'Roboflow YOLO Keras TXT export'
    """
    suffix = _one_format(files, scan)
    problems: list[LabelProblem] = []
    used: dict[Path, str] = {}
    names = _keras_names(files, scan, names, used) if suffix == ".txt" else _class_names(files, scan, names)
    ids = {n: i for i, n in enumerate(names)}
    index = ImageIndex(scan.images)
    listed: dict[Path, _Listed] = {}
    for path in files:
        found = (_keras_boxes(path, index, problems) if suffix == ".txt"
                 else _csv_boxes(path, index, problems, ids) if suffix == ".csv"
                 else _createml_boxes(path, index, problems, ids))
        for image, entry in found.items():
            if image in listed:
                problems.append(LabelProblem(path, entry.line, f"lists {image.name}, which {shown(listed[image].file, scan.root)} lists too; "
                                                               "only that listing is used.", "duplicate-annotation", "warning"))
            else:
                listed[image] = entry
    if not listed:
        total = sum(s.objects or 0 for s in map(looks_like, files) if s)
        raise DatasetError(f"{', '.join(shown(p, scan.root) for p in files)} list(s) {total:,} box(es), but not one of the images they name is in "
                           f"{shown(scan.root)}: the download was made without its images, or they are elsewhere. Put the images beside "
                           "the annotation file (as Roboflow's zip has them) and call again.")
    notes = []
    folders = {p.parent: p for p in files}
    backgrounds = Counter()
    for image in scan.images:
        if image in listed:
            continue
        if suffix != ".txt" and image.parent in folders:  # a CSV (one row per box) cannot list an image without objects
            listed[image] = _Listed(folders[image.parent], 0)
            backgrounds[folders[image.parent]] += 1
        else:
            where = " or ".join(sorted({shown(p, scan.root) for p in files}))
            problems.append(LabelProblem(image, 0, f"is not listed in {where}; left out. If it belongs to the dataset, download it again.", "no-label", "warning"))
    for path, count in backgrounds.items():
        notes.append(f"{count} image(s) beside {shown(path, scan.root)} that it does not list: no object, taken as backgrounds "
                     "(delete them from the download if they show objects)")
    if task == "segment":
        notes.append(f"{FORMAT_NAMES[suffix]} holds boxes only, no polygons: train a detector (task='detect')")
    images = sorted(listed, key=lambda p: p.as_posix())
    root = image_root_of(images, scan.root)
    items = [_item(image, listed[image], key_of(image, root), names, problems) for image in images]
    kind = f"Roboflow {FORMAT_NAMES[suffix]} export" if _is_roboflow(files, scan) else f"{FORMAT_NAMES[suffix]} ({files[0].name})"
    layout = Layout(kind, scan.root, names, items, root, problems, notes)
    layout.used.update(used)
    return layout


def _item(image: Path, listed: _Listed, key: str, names: list[str], problems: list[LabelProblem]) -> Item:
    """One image with its boxes as YOLO lines (fractions of the declared size, else of the image's own)."""
    if listed.size is not None:
        width, height = listed.size[:2]
    else:
        try:
            width, height = image_size(image)
        except Exception:  # an unreadable image is reported by the inspection, and left out
            width = height = 1
    for line, message, kind in listed.errors:
        problems.append(LabelProblem(listed.file, line, message, kind, "error", key))
    lines, origins = [], []
    for cls, x0, y0, x1, y1, line, what in listed.boxes:
        if not 0 <= cls < len(names):
            which = f"class id {cls}" if listed.file.suffix.lower() == ".txt" else "its class"
            problems.append(LabelProblem(listed.file, line, f"{what}{which} is not among the {len(names)} class names {names}; the image is left out "
                                                            "(without the box its object would be taught as background). Fix the names file or names=.",
                                         "class-id", "error", key))
            continue
        lines.append(box_line(cls, x0, y0, x1, y1, width, height) + "\n")
        origins.append((line, what))
    split = split_name(listed.file.parent.name)
    return Item(key, image, listed.file, split, "".join(lines), origins, listed.size)
