"""Reading an annotation export: class names, image/label pairs, and a report on what is there.

A Label Studio "YOLO with images" export is a folder with ``images/``, ``labels/``,
``classes.txt`` and ``notes.json``. Class ids differ between Label Studio versions (some sort
the names), so ids are never assumed: they are read from the export.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ._errors import DatasetError

#: File endings Ultralytics reads as images (compared in lower case).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".dng", ".mpo", ".pfm", ".heic")


def _names_from_notes(path: Path) -> list[str]:
    try:
        notes = json.loads(path.read_text(encoding="utf-8"))
        categories = notes["categories"]
        by_id = {int(c["id"]): str(c["name"]) for c in categories}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise DatasetError(
            f"{path} is not a Label Studio notes.json with a 'categories' list of {{id, name}} ({err}). "
            "Export the project again as 'YOLO with images', or delete notes.json to use classes.txt."
        ) from err
    if sorted(by_id) != list(range(len(by_id))):
        raise DatasetError(
            f"{path}: class ids {sorted(by_id)} are not 0..{len(by_id) - 1}. YOLO needs consecutive ids; "
            "export the project again from Label Studio."
        )
    return [by_id[i] for i in range(len(by_id))]


def _names_from_classes_txt(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise DatasetError(f"{path} is empty: it should list one class name per line, in id order.")
    for number, line in enumerate(lines, start=1):
        if not line:
            raise DatasetError(f"{path}, line {number}: empty class name. Remove the blank line or name the class.")
    return lines


def read_class_names(export: str | Path) -> list[str]:
    """Class names of an export, in id order, from ``notes.json`` and/or ``classes.txt``.

    When both files exist they must agree; if they do not, the error shows both lists.
    """
    export = Path(export)
    notes, classes = export / "notes.json", export / "classes.txt"
    from_notes = _names_from_notes(notes) if notes.is_file() else None
    from_txt = _names_from_classes_txt(classes) if classes.is_file() else None
    if from_notes is None and from_txt is None:
        raise DatasetError(
            f"No class names in {export}: neither notes.json nor classes.txt is there. A Label Studio "
            "'YOLO with images' export has both; check that you unpacked the whole export."
        )
    if from_notes is not None and from_txt is not None and from_notes != from_txt:
        raise DatasetError(
            f"The class names in {notes} and {classes} disagree:\n"
            f"  notes.json : {from_notes}\n  classes.txt: {from_txt}\n"
            "One of them was edited by hand. Fix it so both list the same names in the same order "
            "(id 0 first), or export the project again."
        )
    return from_notes if from_notes is not None else from_txt


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly in ``folder``, sorted by name (case-insensitive endings)."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def find_export(path: str | Path) -> Path:
    """Check that ``path`` is an export folder with images and return it."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(
            f"The annotation folder {path.resolve()} does not exist. Unpack your Label Studio export "
            "there, or run `yolo-training sample` to create the bundled sample."
        )
    if not (path / "images").is_dir():
        raise DatasetError(
            f"{path} has no images/ folder. A Label Studio 'YOLO with images' export holds images/, labels/, "
            "classes.txt and notes.json; point to the folder that contains them."
        )
    if not list_images(path / "images"):
        raise DatasetError(f"{path / 'images'} holds no images ({', '.join(IMAGE_SUFFIXES[:5])}, ...): the export is empty.")
    return path


@dataclass
class LabelProblem:
    """Something wrong in one label file: the file, the line (1-based, 0 for the whole file), what to do."""

    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else str(self.file)
        return f"{where}: {self.message}"


@dataclass
class ImageLabels:
    """The parsed label file of one image."""

    image: Path
    label: Path | None  # None when the image has no label file
    classes: list[int] = field(default_factory=list)
    problems: list[LabelProblem] = field(default_factory=list)


def read_labels(image: Path, label: Path, n_classes: int) -> ImageLabels:
    """Parse one YOLO label file (boxes or polygons), collecting problems instead of failing."""
    result = ImageLabels(image=image, label=label if label.is_file() else None)
    if result.label is None:
        return result
    for number, raw in enumerate(label.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        try:
            cls = int(parts[0])
            values = [float(v) for v in parts[1:]]
        except ValueError:
            result.problems.append(LabelProblem(label, number, f"not numbers: {raw.strip()!r}. Each line is 'class x y w h' (or a polygon)."))
            continue
        if len(values) != 4 and (len(values) < 6 or len(values) % 2):
            result.problems.append(LabelProblem(label, number, f"{len(values)} coordinates; a box has 4, a polygon an even number of at least 6."))
            continue
        if not 0 <= cls < n_classes:
            result.problems.append(LabelProblem(label, number, f"class id {cls} is not among the {n_classes} classes (0..{n_classes - 1})."))
            continue
        if any(v < 0 or v > 1 for v in values):
            result.problems.append(LabelProblem(label, number, "coordinates outside [0, 1]; YOLO labels are fractions of the image size."))
        if len(values) == 4 and (values[2] <= 0 or values[3] <= 0):
            result.problems.append(LabelProblem(label, number, "a box with zero width or height; delete it or redraw it."))
        result.classes.append(cls)
    return result


@dataclass
class DatasetReport:
    """What an export holds: one row per image in :attr:`images`, the problems, and a summary."""

    path: Path
    names: list[str]
    images: pd.DataFrame
    problems: list[LabelProblem]

    @property
    def instances_per_class(self) -> dict[str, int]:
        counts = Counter(c for row in self.images["classes"] for c in row)
        return {name: counts.get(i, 0) for i, name in enumerate(self.names)}

    @property
    def images_per_class(self) -> dict[str, int]:
        counts = Counter(c for row in self.images["classes"] for c in set(row))
        return {name: counts.get(i, 0) for i, name in enumerate(self.names)}

    def summary(self) -> str:
        df = self.images
        lines = [
            f"Dataset {self.path}",
            f"  images: {len(df)}   label files: {int(df['has_label'].sum())}   classes: {len(self.names)}",
            f"  backgrounds: {int((df['n_objects'] == 0).sum())} "
            f"({int(((df['n_objects'] == 0) & df['has_label']).sum())} empty label files, "
            f"{int((~df['has_label']).sum())} images without a label file)",
        ]
        per_image = self.images_per_class
        for name, n in self.instances_per_class.items():
            lines.append(f"  {name!r}: {n} instances in {per_image[name]} images")
        if self.problems:
            lines.append(f"  {len(self.problems)} problem(s):")
            lines += [f"    - {p}" for p in self.problems[:20]]
            if len(self.problems) > 20:
                lines.append(f"    ... and {len(self.problems) - 20} more (see report.problems)")
        else:
            lines.append("  no problems found")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:  # Jupyter shows the summary as text, not a dataclass dump
        from html import escape

        return f"<pre>{escape(self.summary())}</pre>"


def inspect_dataset(path: str | Path = "annotations/export") -> DatasetReport:
    """Read an export and report what is in it and what is wrong with it, without failing on bad labels."""
    path = find_export(path)
    names = read_class_names(path)
    labels_dir = path / "labels"
    rows, problems = [], []
    for image in list_images(path / "images"):
        parsed = read_labels(image, labels_dir / f"{image.stem}.txt", len(names))
        problems += parsed.problems
        rows.append(
            dict(
                image=image.name,
                has_label=parsed.label is not None,
                n_objects=len(parsed.classes),
                classes=parsed.classes,
            )
        )
    if labels_dir.is_dir():
        stems = {image.stem for image in list_images(path / "images")}
        for label in sorted(labels_dir.glob("*.txt")):
            if label.stem not in stems:
                problems.append(LabelProblem(label, 0, "a label file without an image; the image was probably not exported."))
    return DatasetReport(path=path, names=names, images=pd.DataFrame(rows), problems=problems)
