"""YOLO label lines and class-name files: reading them tolerantly, checking every line.

A YOLO label file has one object per line, ``class x y w h`` (a box) or ``class x1 y1 x2 y2 ...``
(a polygon), coordinates as fractions of the image size. Class ids are never assumed: the names
come from the dataset's own files (``notes.json``, ``classes.txt``, ``obj.names``, a data YAML),
read whatever editor saved them (a byte-order mark, Windows line ends, blank lines at the end).

- :func:`read_class_names`: the class names of an export, in id order.
- :func:`read_labels` / :func:`parse_labels`: one label file (or converted text) into classes and
  problems, each with its file and line; :func:`check_line`: what is wrong with one line.
- :class:`LabelProblem`: a problem in one file, with the line and what to do.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import DatasetError

#: Coordinates this far outside [0, 1] count as a tiny overshoot (a box drawn to the very edge)
#: that ``fix="clip"`` may clip; Ultralytics itself tolerates 0.01.
CLIP_TOLERANCE = 0.02
#: Files that hold class names, one per line, in id order (Label Studio, LabelImg, darknet/CVAT).
NAMES_FILES = ("classes.txt", "obj.names")


@dataclass
class LabelProblem:
    """Something wrong in one file: the file, the line (1-based, 0 for the whole file), what to do.

    ``kind`` is a short tag (e.g. ``"outside"``, ``"truncated"``); ``severity`` is ``"error"``
    for what Ultralytics cannot train on (the split leaves such images out unless ``fix=`` repairs
    them) and ``"warning"`` for what trains but deserves a look. ``image`` is the dataset's name
    of the image the problem concerns (None when it concerns no single image).

    Examples:
        >>> print(LabelProblem(Path("labels/a.txt"), 3, "class id 5 is not among the 2 classes"))
        labels/a.txt, line 3: class id 5 is not among the 2 classes
    """

    file: Path
    line: int
    message: str
    kind: str = ""
    severity: str = "error"
    image: str | None = None

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
    kind: str = "box"  # "box", "polygon", "mixed" or "" (no objects)


# --------------------------------------------------------------------------------------------
# Class names


def _undecodable(label: Path, err: UnicodeDecodeError) -> str:
    """What to do about a label file that is not UTF-8 (UTF-16 is what Windows PowerShell's ``>`` writes)."""
    if label.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return ("saved as UTF-16 (Windows PowerShell's `>` or Notepad's 'Unicode'), which Ultralytics cannot read; "
                "save it again as UTF-8 (PowerShell: `... | Out-File -Encoding utf8`, Notepad: Save as > Encoding UTF-8).")
    return f"not a text file ({err}); export the labels again."


def read_text(path: Path) -> str:
    """A small text file as saved by any editor: UTF-8 with or without a byte-order mark."""
    return path.read_bytes().decode("utf-8-sig").replace("\ufeff", "")


def names_from_lines(path: Path) -> list[str]:
    """Class names from ``classes.txt`` or ``obj.names``: one per line, blank lines at the end ignored.

    Raises:
        DatasetError: the file is empty or has a blank line between names (with its line number).
    """
    lines = [line.strip() for line in read_text(path).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise DatasetError(f"{path} is empty: it should list one class name per line, in id order.")
    for number, line in enumerate(lines, start=1):
        if not line:
            raise DatasetError(f"{path}, line {number}: empty class name. Remove the blank line or name the class.")
    return lines


def names_from_notes(path: Path) -> list[str]:
    """Class names from a Label Studio ``notes.json`` (its ``categories`` list), in id order."""
    try:
        notes = json.loads(read_text(path))
        by_id = {int(c["id"]): str(c["name"]).strip() for c in notes["categories"]}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, UnicodeDecodeError) as err:
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


def names_from_mapping(names, where: str) -> list[str]:
    """Names given as a list or as ``{id: name}`` (a data YAML's ``names``), in id order."""
    if isinstance(names, dict):
        try:
            by_id = {int(k): str(v).strip() for k, v in names.items()}
        except (TypeError, ValueError) as err:
            raise DatasetError(f"{where}: the class ids {list(names)} are not whole numbers.") from err
        if sorted(by_id) != list(range(len(by_id))):
            raise DatasetError(f"{where}: class ids {sorted(by_id)} are not 0..{len(by_id) - 1}; YOLO needs consecutive ids.")
        return [by_id[i] for i in range(len(by_id))]
    if isinstance(names, (list, tuple)) and names:
        return [str(n).strip() for n in names]
    raise DatasetError(f"{where}: class names must be a list or an {{id: name}} mapping, not {names!r}.")


def class_name_sources(folder: Path) -> dict[Path, list[str]]:
    """Every class-name file directly in ``folder`` with the names it holds."""
    found = {}
    notes = folder / "notes.json"
    if notes.is_file():
        found[notes] = names_from_notes(notes)
    for name in NAMES_FILES:
        if (folder / name).is_file():
            found[folder / name] = names_from_lines(folder / name)
    return found


def agreed_names(sources: dict, where: str) -> list[str] | None:
    """The names all ``sources`` (file or description -> names) agree on; None when there are none.

    Raises:
        DatasetError: two sources disagree; the message shows each list.
    """
    if not sources:
        return None
    lists = list(sources.items())
    first = lists[0][1]
    if any(names != first for _, names in lists[1:]):
        labels = [Path(str(src)).name for src, _ in lists]
        if len(set(labels)) < len(labels):  # classes.txt in several folders: say which
            labels = [Path(os.path.relpath(str(src), where)).as_posix() if Path(str(src)).is_absolute() else str(src) for src, _ in lists]
        shown = "\n".join(f"  {label:<11}: {names}" for label, (_, names) in zip(labels, lists))
        raise DatasetError(
            f"The class names in {where} disagree:\n{shown}\n"
            "One of them was edited by hand. Fix it so all list the same names in the same order "
            "(id 0 first), or export the project again."
        )
    return first


def read_class_names(export: str | Path) -> list[str]:
    """Class names of an export, in id order, from ``notes.json``, ``classes.txt`` and/or ``obj.names``.

    Files saved by any editor are read: a byte-order mark, Windows line ends and blank lines at
    the end do not count. When several of these files exist they must agree.

    Args:
        export: the export folder.

    Returns:
        The class names, id 0 first.

    Raises:
        DatasetError: no names file, an unreadable one, or files that disagree (both lists shown).

    Examples:
        >>> yt.read_class_names("annotations/export")  # doctest: +SKIP
        ['10 euro', '5 euro']
    """
    export = Path(export)
    names = agreed_names(class_name_sources(export), f"{export}")
    if names is None:
        raise DatasetError(
            f"No class names in {export}: neither notes.json nor classes.txt is there. A Label Studio "
            "'YOLO with images' export has both; check that you unpacked the whole export."
        )
    return names


def write_class_names(out: Path, names: list[str]) -> None:
    """Write ``classes.txt`` and a Label Studio style ``notes.json`` for ``names``."""
    (out / "classes.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    notes = {"categories": [{"id": i, "name": n} for i, n in enumerate(names)], "info": {"contributor": "yolo-training"}}
    (out / "notes.json").write_text(json.dumps(notes, indent=2, ensure_ascii=False), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Label lines


def _polygon_area(points: list[tuple[float, float]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]))) / 2


def check_line(values: list[float]) -> tuple[str, str] | None:
    """What is wrong with the coordinates of one label line, as ``(kind, message)``, or None."""
    if any(v != v or v in (float("inf"), float("-inf")) for v in values):
        return "not-numeric", "NaN or infinite coordinates; redraw this object."
    if len(values) == 4:
        x, y, w, h = values
        if w <= 0 or h <= 0 or w * h < 1e-8:
            return "degenerate", f"a box with zero width or height (w={w:g}, h={h:g}); delete it or redraw it (fix='degenerate' drops it)."
        edges = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        points = list(values[:2]) + list(edges)
    else:
        pts = list(zip(values[::2], values[1::2]))
        if len(set(pts)) < 3 or _polygon_area(pts) < 1e-8:
            return "degenerate", "a polygon with no area (fewer than 3 distinct points or all on a line); redraw it (fix='degenerate' drops it)."
        points = values
    raw = max(max(values) - 1, -min(values), 0)
    if raw > 0.01:  # Ultralytics rejects the whole file beyond 1 %
        return "outside", (
            f"coordinates outside [0, 1] (by {raw:.3g}): YOLO labels are fractions of the image size. "
            "Pixel coordinates or a wrong image size? Redraw or convert this object."
        )
    over = max(max(points) - 1, -min(points), 0)
    if over > CLIP_TOLERANCE:
        return "outside", f"the object reaches {over:.3g} beyond the image edge; redraw it inside the image."
    if over > 1e-4:  # below that it is the rounding of the printed decimals
        return "overshoot", f"coordinates outside [0, 1] by {over:.3g} (an object drawn past the edge); fix='clip' clips it."
    return None


def _line_problem(parts: list[str], raw: str, n_classes: int) -> tuple[str, str, int | None, list[float]]:
    """(kind, message, class id, coordinates) of one line; kind "" when its syntax is fine."""
    try:
        numbers = [float(v) for v in parts]
    except ValueError:
        return "not-numeric", f"not numbers: {raw.strip()!r}. Each line is 'class x y w h' (or 'class x1 y1 x2 y2 ...' for a polygon).", None, []
    cls_value, values = numbers[0], numbers[1:]
    if len(values) != 4 and (len(values) < 6 or len(values) % 2):
        return "malformed", f"{len(values)} coordinates after the class id; a box has 4, a polygon an even number of at least 6.", None, []
    if not math.isfinite(cls_value) or cls_value != int(cls_value):
        return "malformed", f"class id {parts[0]!r} is not a whole number.", None, []
    cls = int(cls_value)
    if not 0 <= cls < n_classes:
        return "class-id", f"class id {cls} is not among the {n_classes} classes (0..{n_classes - 1}); the class list and the labels do not match.", None, []
    return "", "", cls, values


def parse_labels(text: str, n_classes: int, file: Path, origins: list[tuple[int, str]] | None = None, image: str | None = None) -> ImageLabels:
    """Check YOLO label text line by line, collecting problems instead of failing.

    ``origins`` gives, for text converted from another format (VOC, COCO), the line in ``file``
    and a short description of each converted line; problems then point there.
    """
    result = ImageLabels(image=Path(image or ""), label=file, kind="")
    seen_lines: dict[str, int] = {}
    shapes = set()
    problems = result.problems
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        where, what = origins[number - 1] if origins else (number, "")
        kind, message, cls, values = _line_problem(parts, raw, n_classes)
        if kind:
            problems.append(LabelProblem(file, where, what + message, kind, "error", image))
            continue
        issue = check_line(values)
        if issue is not None:
            severe = issue[0] in ("not-numeric", "degenerate") or (issue[0] == "outside" and max(max(values) - 1, -min(values)) > 0.01)
            problems.append(LabelProblem(file, where, what + issue[1], issue[0], "error" if severe else "warning", image))
        shapes.add("box" if len(values) == 4 else "polygon")
        key = " ".join(parts)
        if key in seen_lines:
            problems.append(LabelProblem(file, where, f"{what}the same object as line {seen_lines[key]} (a double click?); Ultralytics drops one.", "duplicate-line", "warning", image))
        seen_lines.setdefault(key, where)
        result.classes.append(cls)
    if len(shapes) == 2:
        result.problems.append(LabelProblem(
            file, 0, "mixes boxes (4 numbers) and polygons in one file; Ultralytics rejects the whole file. Use one kind of annotation per project.",
            "mixed", "error", image,
        ))
    result.kind = "mixed" if len(shapes) == 2 else (shapes.pop() if shapes else "")
    return result


def read_labels(image: Path, label: Path, n_classes: int, key: str | None = None) -> ImageLabels:
    """Parse one YOLO label file (boxes or polygons), collecting problems instead of failing.

    Args:
        image: the image the labels belong to.
        label: its label file; a missing file gives no objects and ``label=None``.
        n_classes: how many class names the dataset has.
        key: the dataset's name of the image, recorded in each problem.

    Returns:
        The class id of every object and the problems, each with its file and line.

    Examples:
        >>> read_labels(Path("images/a.jpg"), Path("labels/a.txt"), 2).classes  # doctest: +SKIP
        [0, 1]
    """
    try:
        text = label.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return ImageLabels(image=image, label=None, kind="")
    except UnicodeDecodeError as err:
        result = ImageLabels(image=image, label=label, kind="")
        result.problems.append(LabelProblem(label, 0, _undecodable(label, err), "malformed", "error", key))
        return result
    except OSError:  # a folder, or unreadable: no label
        return ImageLabels(image=image, label=None, kind="")
    result = parse_labels(text, n_classes, label, image=key)
    result.image = image
    return result


def box_line(cls: int, x0: float, y0: float, x1: float, y1: float, width: float, height: float) -> str:
    """A YOLO box line from a box in pixels (corners in any order), as fractions of the image.

    Args:
        cls: the class id.
        x0: one corner's x in pixels; ``y0``, ``x1``, ``y1`` likewise (the opposite corner).
        y0: see ``x0``.
        x1: see ``x0``.
        y1: see ``x0``.
        width: the image's width in pixels.
        height: the image's height in pixels.

    Returns:
        ``"cls xc yc w h"`` with six decimals, no newline.

    Example:
        >>> box_line(1, 10, 20, 30, 60, 100, 100)
        '1 0.200000 0.400000 0.200000 0.400000'
    """
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    return f"{cls} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} {(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}"


def polygon_line(cls: int, points: list[tuple[float, float]], width: float, height: float) -> str:
    """A YOLO segmentation line from a polygon in pixels.

    Args:
        cls: the class id.
        points: the polygon's (x, y) corners in pixels.
        width: the image's width in pixels.
        height: the image's height in pixels.

    Returns:
        ``"cls x1 y1 x2 y2 ..."`` as fractions, no newline.

    Example:
        >>> polygon_line(0, [(0, 0), (50, 0), (50, 25)], 100, 50)
        '0 0.000000 0.000000 0.500000 0.000000 0.500000 0.500000'
    """
    return f"{cls} " + " ".join(f"{x / width:.6f} {y / height:.6f}" for x, y in points)


def region_line(cls: int, points: list[tuple[float, float]], width: float, height: float, segment: bool) -> str:
    """A polygon as a YOLO line: the polygon itself for segmentation, its bounding box for detection.

    Args:
        cls: the class id.
        points: the (x, y) corners in pixels.
        width: the image's width in pixels.
        height: the image's height in pixels.
        segment: True for a segmentation line.

    Returns:
        The YOLO line, no newline.

    Example:
        >>> region_line(0, [(10, 10), (30, 10), (20, 40)], 100, 100, segment=False)
        '0 0.200000 0.250000 0.200000 0.300000'
    """
    if segment:
        return polygon_line(cls, points, width, height)
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return box_line(cls, min(xs), min(ys), max(xs), max(ys), width, height)
