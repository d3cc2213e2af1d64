"""Reading an annotation export: class names, image/label pairs, and a report on what is there.

A Label Studio "YOLO with images" export is a folder with ``images/``, ``labels/``,
``classes.txt`` and ``notes.json``. Class ids differ between Label Studio versions (some sort
the names), so ids are never assumed: they are read from the export.

- :func:`inspect_dataset`: what an export holds and every problem in it (file and line), without
  changing anything; also reads classification ImageFolders.
- :func:`import_export`: a Label Studio folder or zip (unpacked safely), Pascal VOC or COCO JSON
  into that layout; :func:`merge_exports` combines exports by class name; :func:`select_classes`
  keeps or merges classes with ids renumbered. Folders this module writes carry a marker file.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ._common import COMMON_IMAGE_SUFFIXES, is_image, link_or_copy, list_images, progress_bar, safe_extract
from ._errors import DatasetError
from ._folders import replace_output

#: File endings Ultralytics reads as images (compared in lower case).


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
    if not any(is_image(n) for n in os.listdir(path / "images")):
        raise DatasetError(f"{path / 'images'} holds no images ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...): the export is empty.")
    return path


# --------------------------------------------------------------------------------------------
# Problems and label files

#: Coordinates this far outside [0, 1] count as a tiny overshoot (a box drawn to the very edge)
#: that ``fix="clip"`` may clip; Ultralytics itself tolerates 0.01.
CLIP_TOLERANCE = 0.02
#: Two images whose 64-bit difference hashes differ in at most this many bits are near-duplicates.
HASH_THRESHOLD = 4
#: Ultralytics' docs recommend about 0-10 % background images.
MAX_BACKGROUND_SHARE = 0.10
#: Instances of the most frequent class per instance of the rarest one above which we warn.
IMBALANCE_RATIO = 10.0

_FORMAT_SUFFIXES = {
    "JPEG": {".jpg", ".jpeg"},
    "MPO": {".jpg", ".jpeg", ".mpo"},  # phone cameras write MPO that every reader opens as JPEG
    "PNG": {".png"},
    "BMP": {".bmp"},
    "WEBP": {".webp"},
    "TIFF": {".tif", ".tiff"},
}


@dataclass
class LabelProblem:
    """Something wrong in one file: the file, the line (1-based, 0 for the whole file), what to do.

    ``kind`` is a short tag (e.g. ``"outside"``, ``"truncated"``); ``severity`` is ``"error"``
    for what Ultralytics cannot train on (the split leaves such images out unless ``fix=`` repairs
    them) and ``"warning"`` for what trains but deserves a look.
    """

    file: Path
    line: int
    message: str
    kind: str = ""
    severity: str = "error"

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


def read_labels(image: Path, label: Path, n_classes: int) -> ImageLabels:
    """Parse one YOLO label file (boxes or polygons), collecting problems instead of failing."""
    result = ImageLabels(image=image, label=label if label.is_file() else None, kind="")
    if result.label is None:
        return result
    try:
        text = label.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        result.problems.append(LabelProblem(label, 0, f"not a text file ({err}); export the labels again.", "malformed"))
        return result
    seen_lines: dict[str, int] = {}
    shapes = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        try:
            number_values = [float(v) for v in parts]
        except ValueError:
            result.problems.append(
                LabelProblem(label, number, f"not numbers: {raw.strip()!r}. Each line is 'class x y w h' (or 'class x1 y1 x2 y2 ...' for a polygon).", "not-numeric")
            )
            continue
        cls_value, values = number_values[0], number_values[1:]
        if len(values) != 4 and (len(values) < 6 or len(values) % 2):
            result.problems.append(
                LabelProblem(label, number, f"{len(values)} coordinates after the class id; a box has 4, a polygon an even number of at least 6.", "malformed")
            )
            continue
        if cls_value != int(cls_value) if cls_value == cls_value else True:
            result.problems.append(LabelProblem(label, number, f"class id {parts[0]!r} is not a whole number.", "malformed"))
            continue
        cls = int(cls_value)
        if not 0 <= cls < n_classes:
            result.problems.append(
                LabelProblem(label, number, f"class id {cls} is not among the {n_classes} classes (0..{n_classes - 1}); the class list and the labels do not match.", "class-id")
            )
            continue
        issue = check_line(values)
        if issue is not None:
            kind, message = issue
            severe = kind in ("not-numeric", "degenerate") or (kind == "outside" and max(max(values) - 1, -min(values)) > 0.01)
            result.problems.append(LabelProblem(label, number, message, kind, "error" if severe else "warning"))
        shapes.add("box" if len(values) == 4 else "polygon")
        key = " ".join(parts)
        if key in seen_lines:
            result.problems.append(LabelProblem(label, number, f"the same object as line {seen_lines[key]} (a double click?); Ultralytics drops one.", "duplicate-line", "warning"))
        seen_lines.setdefault(key, number)
        result.classes.append(cls)
    if len(shapes) == 2:
        result.problems.append(
            LabelProblem(label, 0, "mixes boxes (4 numbers) and polygons in one file; Ultralytics rejects the whole file. Use one kind of annotation per project.", "mixed")
        )
    result.kind = "mixed" if len(shapes) == 2 else (shapes.pop() if shapes else "")
    return result


# --------------------------------------------------------------------------------------------
# Images


#: Near-duplicates must also agree in colour: mean absolute difference of 4x4 colour thumbnails
#: (0-255) at most this. Smooth gradients (plain walls, sky) give similar difference hashes alone.
COLOUR_THRESHOLD = 12.0


def dhash(image: str | Path) -> tuple[int, bytes] | None:
    """Perceptual signature of an image (None if unreadable): a 64-bit difference hash of the
    grey image plus a 4x4 colour thumbnail. Similar pictures differ in few hash bits and little colour."""
    import cv2
    import numpy as np

    data = np.fromfile(str(image), dtype=np.uint8)  # np.fromfile + imdecode: non-ASCII paths work on Windows
    img = cv2.imdecode(data, cv2.IMREAD_REDUCED_COLOR_4) if data.size else None
    if img is None:
        return None
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    thumb = cv2.resize(img, (4, 4), interpolation=cv2.INTER_AREA)
    return int.from_bytes(np.packbits(bits).tobytes(), "big"), thumb.tobytes()


def _jpeg_header(data: bytes) -> tuple[int, int, int] | None:
    """(width, height, EXIF orientation) of a baseline/progressive JPEG from its markers, or None
    when ``data`` is not a JPEG this simple reader understands (PIL then reads it)."""
    import struct

    if data[:3] != b"\xff\xd8\xff":
        return None
    i, n, orientation = 2, len(data), 1
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = struct.unpack_from(">H", data, i + 2)[0]
        if marker == 0xE1 and data[i + 4 : i + 10] == b"Exif\x00\x00":
            orientation = _exif_orientation(data[i + 10 : i + 2 + length])
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > n:
                return None
            height, width = struct.unpack_from(">HH", data, i + 5)
            return width, height, orientation
        elif marker == 0xDA:  # image data before any frame header: let PIL judge
            return None
        i += 2 + length
    return None


def _exif_orientation(tiff: bytes) -> int:
    import struct

    try:
        endian = {b"II": "<", b"MM": ">"}[tiff[:2]]
        offset = struct.unpack_from(endian + "I", tiff, 4)[0]
        count = struct.unpack_from(endian + "H", tiff, offset)[0]
        for k in range(count):
            tag, _, _, value = struct.unpack_from(endian + "HHIH", tiff, offset + 2 + 12 * k)
            if tag == 0x0112:
                return value
    except (KeyError, struct.error):
        pass
    return 1


def _inspect_image(path: Path) -> dict:
    """Header facts of one image and the problems in it (reads the file once, decodes only the header)."""
    import io

    from PIL import Image

    facts: dict = dict(width=0, height=0, format="", size=0, problems=[])
    problems = facts["problems"]
    try:
        data = path.read_bytes()
    except OSError as err:
        problems.append(LabelProblem(path, 0, f"cannot be read ({err}).", "unreadable"))
        return facts
    facts["size"] = len(data)
    try:
        header = _jpeg_header(data)  # the common case, without PIL's full header parsing (3x faster)
        if header is not None:
            fmt, (width, height, orientation), alpha = "JPEG", header, False
        else:
            fmt = ""
        if not fmt:
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format or ""
                width, height = im.size
                orientation = im.getexif().get(274, 1) if fmt in ("JPEG", "MPO", "TIFF", "WEBP", "PNG") else 1
                alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
        if fmt == "PNG" and b"IEND" in data[-32:]:  # a cut-off PNG is reported as truncated below
            with Image.open(io.BytesIO(data)) as im:
                im.verify()  # checks the chunk CRCs: catches a damaged PNG
    except Exception as err:  # PIL raises many kinds; Ultralytics patches Image.open (HEIF)
        what = "is empty" if not data else f"is not an image any reader can open ({type(err).__name__}: {err})"
        problems.append(LabelProblem(path, 0, f"{what}. Export it again or remove it from the export.", "unreadable"))
        return facts
    facts.update(format=fmt)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    facts.update(width=width, height=height)
    suffix = path.suffix.lower()
    if fmt in ("JPEG", "MPO") and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        problems.append(LabelProblem(path, 0, "is truncated (the JPEG ends early: an interrupted copy or download). Copy it again from the original.", "truncated"))
    elif fmt == "PNG" and b"IEND" not in data[-32:]:
        problems.append(LabelProblem(path, 0, "is truncated (the PNG has no end chunk). Copy it again from the original.", "truncated"))
    if fmt and suffix not in _FORMAT_SUFFIXES.get(fmt, {suffix}):
        extra = " with an alpha channel" if alpha else ""
        problems.append(
            LabelProblem(path, 0, f"holds a {fmt} image{extra} but is named {suffix}; some readers refuse it. fix='format' writes a real {suffix[1:].upper()} into the split.", "format")
        )
    elif alpha and suffix in (".jpg", ".jpeg"):
        problems.append(LabelProblem(path, 0, "has an alpha channel; fix='format' writes it without one.", "format", "warning"))
    if orientation not in (None, 1):
        problems.append(
            LabelProblem(
                path, 0,
                f"is stored rotated with an EXIF orientation tag ({orientation}): tools that ignore the tag show it turned, so its boxes "
                "may be off. Check it in the report's plots; fix='exif' writes the pixels upright into the split.",
                "exif", "warning",
            )
        )
    if min(width, height) < 10:
        problems.append(LabelProblem(path, 0, f"is only {width}x{height} pixels; Ultralytics refuses images under 10 pixels.", "tiny"))
    return facts


def _sha1(path: Path) -> str:
    import hashlib

    return hashlib.sha1(path.read_bytes()).hexdigest()


def _imap(pool, fn, items, window: int = 64):
    """``pool.map`` with at most ``window`` tasks in flight: memory stays flat however many images."""
    from collections import deque

    pending = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _name_problems(path: Path) -> list[LabelProblem]:
    problems = []
    if path.suffix != path.suffix.lower():
        problems.append(LabelProblem(path, 0, f"upper-case extension {path.suffix}: case-sensitive systems (Linux, Colab) and some tools miss it; rename to {path.suffix.lower()}.", "extension", "warning"))
    if not path.name.isascii() or " " in path.name:
        what = " and ".join(w for w, bad in (("non-ASCII characters", not path.name.isascii()), ("spaces", " " in path.name)) if bad)
        problems.append(LabelProblem(path, 0, f"the file name has {what}; it works here, but scripts and other tools often break on them.", "file-name", "warning"))
    return problems


def _groups_of_equal(keys: dict[str, object]) -> list[list[str]]:
    by_key: dict[object, list[str]] = {}
    for name, key in keys.items():
        if key:
            by_key.setdefault(key, []).append(name)
    return sorted(sorted(g) for g in by_key.values() if len(g) > 1)


def near_duplicate_groups(
    hashes: dict[str, tuple[int, bytes]], threshold: int = HASH_THRESHOLD, colour: float = COLOUR_THRESHOLD
) -> list[list[str]]:
    """Groups of names whose :func:`dhash` signatures differ in at most ``threshold`` bits and
    ``colour`` levels (linked transitively)."""
    import numpy as np

    names = sorted(n for n, h in hashes.items() if h is not None)
    if len(names) < 2:
        return []
    values = np.array([hashes[n][0] for n in names], dtype=np.uint64)
    thumbs = np.stack([np.frombuffer(hashes[n][1], dtype=np.uint8) for n in names]).astype(np.int16)
    parent = list(range(len(names)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    chunk = max(1, 2**19 // len(names))  # a chunk x n matrix of distances at a time: about 4 MB, however many images
    for start in range(0, len(names), chunk):
        block = values[start : start + chunk, None] ^ values[None, :]
        for i, j in np.argwhere(np.bitwise_count(block) <= threshold):
            i, j = int(i) + start, int(j)
            if j > i and np.abs(thumbs[i] - thumbs[j]).mean() <= colour:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[str]] = {}
    for i, name in enumerate(names):
        groups.setdefault(find(i), []).append(name)
    return sorted(g for g in groups.values() if len(g) > 1)


def _workers(workers: int | None) -> int:
    return max(1, workers or os.cpu_count() or 1)


# --------------------------------------------------------------------------------------------
# The report


@dataclass
class DatasetReport:
    """What an export holds: one row per image in :attr:`images`, the problems, and a summary.

    ``images`` columns: image, label, has_label, n_objects, classes, width, height, format,
    sha1, hash (difference hash or None), error (Ultralytics cannot use it as it is).
    """

    path: Path
    names: list[str]
    images: pd.DataFrame
    problems: list[LabelProblem]
    duplicates: list[list[str]] = field(default_factory=list)
    near_duplicates: list[list[str]] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    task: str = "detect"
    #: where the names in ``images["image"]`` are: ``path/images`` (detect, segment) or ``path`` (classify)
    image_root: Path | None = None
    #: image -> split given by the export's own layout (classification ``train/``, ``val/`` folders)
    splits: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.image_root is None:
            self.image_root = self.path / "images"

    @property
    def instances_per_class(self) -> dict[str, int]:
        counts = Counter(c for row in self.images["classes"] for c in row)
        return {name: counts.get(i, 0) for i, name in enumerate(self.names)}

    @property
    def images_per_class(self) -> dict[str, int]:
        counts = Counter(c for row in self.images["classes"] for c in set(row))
        return {name: counts.get(i, 0) for i, name in enumerate(self.names)}

    @property
    def errors(self) -> list[LabelProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def table(self) -> pd.DataFrame:
        """The problems as a table: file, line, kind, severity, message."""
        return pd.DataFrame(
            [dict(file=str(p.file), line=p.line, kind=p.kind, severity=p.severity, message=p.message) for p in self.problems],
            columns=["file", "line", "kind", "severity", "message"],
        )

    def by_kind(self) -> dict[str, int]:
        """How many problems of each kind."""
        return dict(Counter(p.kind for p in self.problems))

    def summary(self) -> str:
        df = self.images
        empty = int(((df["n_objects"] == 0) & df["has_label"]).sum()) if len(df) else 0
        missing = int((~df["has_label"]).sum()) if len(df) else 0
        lines = [
            f"Dataset {self.path}  ({self.task})" + (f"; its own split: {dict(Counter(self.splits.values()))}" if self.splits else ""),
            f"  images: {len(df)}   label files: {int(df['has_label'].sum()) if len(df) else 0}   classes: {len(self.names)}",
            f"  backgrounds: {empty + missing} ({empty} empty label files, {missing} images without a label file)",
        ]
        if self.task == "classify":  # one class folder per image: no label files, no backgrounds
            lines[1:] = [f"  images: {len(df)}   classes: {len(self.names)} (class folders)"]
        if len(df) and (df["width"] > 0).any():
            sizes = Counter(zip(df["width"], df["height"]))
            common = ", ".join(f"{w}x{h} ({n})" for (w, h), n in sizes.most_common(3))
            lines.append(f"  image sizes: {len(sizes)} different; most common {common}")
        per_image = self.images_per_class
        for name, n in self.instances_per_class.items():
            lines.append(f"  {name!r}: {n} instances in {per_image[name]} images")
        if self.duplicates:
            lines.append(f"  exact duplicates: {len(self.duplicates)} group(s), e.g. {self.duplicates[0]}")
        if self.near_duplicates:
            largest = max(self.near_duplicates, key=len)
            lines.append(f"  near-duplicates: {len(self.near_duplicates)} group(s), largest {len(largest)} images, e.g. {largest[:4]}")
        lines += [f"  advice: {a}" for a in self.advice]
        if self.problems:
            n_err = len(self.errors)
            lines.append(f"  {len(self.problems)} problem(s), {n_err} error(s) Ultralytics cannot train on, {len(self.problems) - n_err} warning(s):")
            lines += [f"    - [{p.severity} {p.kind}] {p}" for p in self.problems[:20]]
            if len(self.problems) > 20:
                lines.append(f"    ... and {len(self.problems) - 20} more (see report.table)")
        else:
            lines.append("  no problems found")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self):
        """Bar charts of instances and images per class, and backgrounds; returns the figure."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(max(4, 0.6 * len(self.names) + 2), 3))
        names = list(self.names) + ["(background)"]
        inst = list(self.instances_per_class.values()) + [0]
        imgs = list(self.images_per_class.values()) + [int((self.images["n_objects"] == 0).sum()) if len(self.images) else 0]
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], inst, width=0.4, label="instances")
        ax.bar([x + 0.2 for x in xs], imgs, width=0.4, label="images")
        ax.set_xticks(list(xs), names, rotation=30, ha="right")
        ax.legend()
        ax.set_title(f"{self.path.name}: {len(self.images)} images")
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:  # Jupyter: the summary and the chart inline
        import base64
        import io
        from html import escape

        import matplotlib.pyplot as plt

        html = f"<pre>{escape(self.summary())}</pre>"
        try:
            fig = self.plot()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=80)
            plt.close(fig)
            html += f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}"/>'
        except Exception:  # a plot is a bonus; the text is the report
            pass
        return html


def _label_folder(path: Path) -> Path:
    return path / "labels"


def inspect_dataset(
    path: str | Path = "annotations/export",
    near_duplicates: bool = True,
    threshold: int = HASH_THRESHOLD,
    progress: bool = True,
    workers: int | None = None,
) -> DatasetReport:
    """Read an export and report what is in it and what is wrong, without failing on bad files.

    ``path`` is an export (``images/``, ``labels/``, class names) or, for classification, an
    ImageFolder (``<class>/*.jpg`` or ``{train,val}/<class>/*.jpg``).
    Checks every label line (numbers, class ids, coordinates, degenerate shapes), every image
    (readable, truncated, content vs. extension, alpha, EXIF rotation, names), pairs images with
    labels, finds exact duplicates (content hash) and, with ``near_duplicates``, near-duplicates
    (difference hash within ``threshold`` bits, computed on all cores). Nothing is changed.
    """
    from concurrent.futures import ThreadPoolExecutor

    found = classification_images(path)
    if found:  # an ImageFolder: classification
        return _inspect_classify(Path(path), found, near_duplicates, threshold, progress, workers)
    path = find_export(path)
    names = read_class_names(path)
    labels_dir = _label_folder(path)
    images = list_images(path / "images")
    n_workers = _workers(workers)
    problems: list[LabelProblem] = []
    rows = []

    def one(image: Path):
        facts = _inspect_image(image)
        parsed = read_labels(image, labels_dir / f"{image.stem}.txt", len(names))
        return image, facts, parsed

    stems: dict[str, list[Path]] = {}
    for image in images:
        stems.setdefault(image.stem, []).append(image)
    kinds = Counter()
    # one thread: these checks are short Python steps holding the GIL, where more threads only
    # add contention (measured in benchmarks/bench_dataset.py); it overlaps file reads with the loop
    with ThreadPoolExecutor(1) as pool:
        for image, facts, parsed in progress_bar(_imap(pool, one, images), len(images), "Checking images", progress):
            own = _name_problems(image) + facts["problems"] + parsed.problems
            if parsed.label is None:
                own.append(
                    LabelProblem(image, 0, f"has no label file ({labels_dir.name}/{image.stem}.txt); it counts as a background. If it shows objects, annotate it.", "no-label", "warning")
                )
            if len(stems[image.stem]) > 1 and image != stems[image.stem][0]:
                own.append(
                    LabelProblem(image, 0, f"shares its name with {stems[image.stem][0].name}: both would use {image.stem}.txt. Rename one (and its label); the split keeps only the first.", "same-stem")
                )
            kinds[parsed.kind] += 1
            problems += own
            rows.append(
                dict(
                    image=image.name,
                    label=parsed.label.name if parsed.label else None,
                    has_label=parsed.label is not None,
                    n_objects=len(parsed.classes),
                    classes=parsed.classes,
                    width=facts["width"],
                    height=facts["height"],
                    format=facts["format"],
                    bytes=facts["size"],
                    sha1="",
                    hash=None,
                    error=any(p.severity == "error" for p in own),
                )
            )
    if labels_dir.is_dir():
        for label in sorted(labels_dir.glob("*.txt")):
            if label.stem not in stems:
                problems.append(LabelProblem(label, 0, "a label file without an image; the image was probably not exported. Export it again or ignore this.", "no-image", "warning"))
    df = pd.DataFrame(rows, columns=_COLUMNS)
    duplicates, near = _find_duplicates(df, path / "images", problems, near_duplicates, threshold, progress, n_workers)
    report = DatasetReport(path=path, names=names, images=df, problems=problems, duplicates=duplicates, near_duplicates=near)
    report.task = "segment" if kinds["polygon"] > kinds["box"] else "detect"
    report.advice = _advice(report)
    return report


_COLUMNS = ["image", "label", "has_label", "n_objects", "classes", "width", "height", "format", "bytes", "sha1", "hash", "error"]


def _find_duplicates(df, root: Path, problems: list, near_duplicates: bool, threshold: int, progress: bool, n_workers: int):
    """Exact duplicates (content hash, only of files of equal size) and near-duplicate groups; adds the problems."""
    from concurrent.futures import ThreadPoolExecutor

    same_size = Counter(df["bytes"])
    if len(df):
        df["sha1"] = [_sha1(root / n) if same_size[b] > 1 and b else "" for n, b in zip(df["image"], df["bytes"])]
    duplicates = _groups_of_equal(dict(zip(df["image"], df["sha1"])))
    for group in duplicates:
        for name in group[1:]:
            problems.append(LabelProblem(root / name, 0, f"is the same file as {group[0]}; it would be counted twice (and could land in train and val). The split keeps one with remove_duplicates=True.", "duplicate", "warning"))
    near: list[list[str]] = []
    if near_duplicates and len(df):
        readable = df[df["width"] > 0]["image"].tolist()
        with ThreadPoolExecutor(n_workers) as pool:  # OpenCV releases the GIL: every core hashes
            hashed = progress_bar(_imap(pool, dhash, [root / n for n in readable]), len(readable), "Hashing for near-duplicates", progress)
            hashes = {name: value for name, value in zip(readable, list(hashed))}  # list(): the bar sees its last item
        df["hash"] = [hashes.get(n) for n in df["image"]]
        exact = {n for g in duplicates for n in g}
        near = [g for g in near_duplicate_groups(hashes, threshold) if not set(g) <= exact]
        for group in near:
            problems.append(
                LabelProblem(root / group[0], 0, f"near-duplicates ({len(group)} images that look almost the same): {', '.join(group[:6])}{' ...' if len(group) > 6 else ''}. The split keeps them together.", "near-duplicate", "warning")
            )
    return duplicates, near


def classification_images(folder: str | Path) -> list[tuple[str, str, str | None]]:
    """Images of an ImageFolder: ``(path relative to folder, class, split or None)``.

    Reads ``folder/<class>/*.jpg`` or ``folder/{train,val,test}/<class>/*.jpg``; empty if neither.
    """
    folder = Path(folder)
    if not folder.is_dir() or (folder / "images").is_dir():
        return []
    subdirs = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if subdirs and set(subdirs) <= set(("train", "val", "test")) and "train" in subdirs:
        layout = [(s, folder / s) for s in subdirs]
    else:
        layout = [(None, folder)]
    found = []
    for split, root in layout:
        for cls in sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for image in list_images(root / cls):
                found.append(((f"{split}/" if split else "") + f"{cls}/{image.name}", cls, split))
    return found


def _inspect_classify(path: Path, found, near_duplicates: bool, threshold: int, progress: bool, workers: int | None) -> DatasetReport:
    from concurrent.futures import ThreadPoolExecutor

    names = sorted({cls for _, cls, _ in found})
    ids = {n: i for i, n in enumerate(names)}
    problems: list[LabelProblem] = []
    rows = []
    with ThreadPoolExecutor(1) as pool:
        results = _imap(pool, lambda item: (item, _inspect_image(path / item[0])), found)
        for (rel, cls, _), facts in progress_bar(results, len(found), "Checking images", progress):
            own = _name_problems(path / rel) + facts["problems"]
            problems += own
            rows.append(dict(image=rel, label=None, has_label=True, n_objects=1, classes=[ids[cls]], width=facts["width"], height=facts["height"],
                             format=facts["format"], bytes=facts["size"], sha1="", hash=None, error=any(p.severity == "error" for p in own)))
    df = pd.DataFrame(rows, columns=_COLUMNS)
    duplicates, near = _find_duplicates(df, path, problems, near_duplicates, threshold, progress, _workers(workers))
    report = DatasetReport(path=path, names=names, images=df, problems=problems, duplicates=duplicates, near_duplicates=near,
                           task="classify", image_root=path, splits={rel: split for rel, _, split in found if split})
    report.advice = _advice(report)
    return report


def _advice(report: DatasetReport) -> list[str]:
    advice = []
    df = report.images
    if not len(df):
        return advice
    backgrounds = int((df["n_objects"] == 0).sum())
    share = backgrounds / len(df)
    if share > MAX_BACKGROUND_SHARE:
        advice.append(
            f"{share:.0%} of the images are backgrounds (no objects); Ultralytics' docs recommend about 0-10 %. "
            "Keep fewer with split_dataset(..., max_backgrounds=0.1), or check that they really hold no objects."
        )
    counts = {n: c for n, c in report.instances_per_class.items()}
    for name, count in counts.items():
        if count == 0:
            advice.append(f"class {name!r} has no instances: the model cannot learn it. Annotate some or leave it out with select_classes().")
    present = [c for c in counts.values() if c]
    if len(present) > 1 and max(present) / min(present) > IMBALANCE_RATIO:
        rare = min((n for n in counts if counts[n]), key=counts.get)
        common = max(counts, key=counts.get)
        advice.append(
            f"classes are imbalanced: {counts[common]} {common!r} vs {counts[rare]} {rare!r} instances ({max(present) / min(present):.0f}x). "
            f"Annotate more {rare!r} images; expect lower accuracy on it."
        )
    return advice


# --------------------------------------------------------------------------------------------
# Import: Label Studio folder or zip, Pascal VOC, COCO JSON; merging; class subsets

#: Marks an export folder this package wrote (import, merge, class subset); only those are replaced.
EXPORT_MARKER = ".yolo-training-export"


@dataclass
class ImportResult:
    """An export written or found by :func:`import_export` / :func:`merge_exports` / :func:`select_classes`.

    Pass it wherever a folder is expected (``inspect_dataset(result)``): it behaves as its path.
    """

    path: Path
    names: list[str]
    source_format: str
    images: int
    notes: list[str] = field(default_factory=list)

    def __fspath__(self) -> str:
        return str(self.path)

    def summary(self) -> str:
        lines = [f"{self.source_format} -> {self.path}: {self.images} images, classes {self.names}"]
        lines += [f"  - {n}" for n in self.notes[:30]]
        if len(self.notes) > 30:
            lines.append(f"  ... and {len(self.notes) - 30} more (see .notes)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(self.summary())}</pre>"


def _is_yolo_export(folder: Path) -> bool:
    return (folder / "images").is_dir() and ((folder / "classes.txt").is_file() or (folder / "notes.json").is_file())


def _is_voc(folder: Path) -> bool:
    return (folder / "Annotations").is_dir() and (folder / "JPEGImages").is_dir()


def _coco_json(folder: Path) -> Path | None:
    candidates = [folder] if folder.is_file() else sorted(folder.glob("*.json")) + sorted(folder.glob("annotations/*.json"))
    for c in candidates:
        if c.suffix.lower() != ".json" or c.name == "notes.json":
            continue
        try:
            head = c.read_text(encoding="utf-8", errors="replace")[:1_000_000]
        except OSError:
            continue
        if '"images"' in head and '"annotations"' in head and '"categories"' in head:
            return c
    return None


def _find_root(folder: Path) -> Path:
    """The folder holding the export inside an unpacked zip (often one level down)."""
    for candidate in [folder] + sorted(p for p in folder.rglob("*") if p.is_dir() and "__MACOSX" not in p.parts):
        if _is_yolo_export(candidate) or _is_voc(candidate) or _coco_json(candidate) is not None:
            return candidate
    return folder


def _new_export(out: Path, overwrite: bool) -> None:
    replace_output(out, EXPORT_MARKER, overwrite, "an earlier import",
                   "Written by yolo-training; replaced when made again with overwrite=True.")
    (out / "images").mkdir()
    (out / "labels").mkdir()


def _write_names(out: Path, names: list[str]) -> None:
    (out / "classes.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    notes = {"categories": [{"id": i, "name": n} for i, n in enumerate(names)], "info": {"contributor": "yolo-training"}}
    (out / "notes.json").write_text(json.dumps(notes, indent=2, ensure_ascii=False), encoding="utf-8")


def _fmt(values) -> str:
    return " ".join(f"{v:.6f}" for v in values)


def _convert_voc(src: Path, out: Path, progress: bool) -> tuple[list[str], int, list[str]]:
    import xml.etree.ElementTree as ET

    notes: list[str] = []
    parsed = []
    names_seen: set[str] = set()
    xmls = sorted((src / "Annotations").glob("*.xml"))
    images = {p.stem: p for p in list_images(src / "JPEGImages")}
    for xml in progress_bar(xmls, len(xmls), "Reading VOC", progress):
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError as err:
            notes.append(f"{xml}, line {err.position[0]}: not valid XML ({err}); skipped.")
            continue
        stem = Path(root.findtext("filename") or xml.stem).stem
        image = images.get(stem) or images.get(xml.stem)
        if image is None:
            notes.append(f"{xml}: no image {stem}.* in JPEGImages/; skipped.")
            continue
        try:
            w = float(root.findtext("size/width") or 0)
            h = float(root.findtext("size/height") or 0)
        except ValueError:
            w = h = 0
        if not w or not h:
            from PIL import Image

            with Image.open(image) as im:
                w, h = im.size
            notes.append(f"{xml}: no <size>; read {int(w)}x{int(h)} from the image.")
        objects = []
        for obj in root.iter("object"):
            name = (obj.findtext("name") or "").strip()
            box = obj.find("bndbox")
            try:
                x0, y0, x1, y1 = (float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
            except (AttributeError, TypeError, ValueError):
                notes.append(f"{xml}: an object {name!r} without a complete <bndbox>; skipped.")
                continue
            names_seen.add(name)
            objects.append((name, ((x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h)))
        parsed.append((image, objects))
    names = sorted(names_seen)  # VOC has no ids: sorted names, stated in classes.txt
    ids = {n: i for i, n in enumerate(names)}
    for image, objects in parsed:
        link_or_copy(image, out / "images" / image.name)
        (out / "labels" / f"{image.stem}.txt").write_text("".join(f"{ids[n]} {_fmt(b)}\n" for n, b in objects), encoding="utf-8")
    converted = {image.stem: image.name for image, _ in parsed}
    sets = src / "ImageSets" / "Main"
    if sets.is_dir():
        (out / "splits").mkdir()
        for split in ("train", "val", "test"):
            f = sets / f"{split}.txt"
            if f.is_file():
                stems = [line.split()[0] for line in f.read_text().splitlines() if line.strip()]
                (out / "splits" / f"{split}.txt").write_text("".join(f"{converted[s]}\n" for s in stems if s in converted), encoding="utf-8")
        notes.append(f"the publisher's split copied to {out / 'splits'} (use split_dataset(..., export_splits=True))")
    return names, len(parsed), notes


def _convert_coco(json_path: Path, out: Path, task: str, progress: bool) -> tuple[list[str], int, list[str]]:
    notes: list[str] = []
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
        categories = sorted(data["categories"], key=lambda c: int(c["id"]))
        coco_images = data["images"]
        annotations = data["annotations"]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise DatasetError(f"{json_path} is not a COCO annotation file with images, annotations and categories ({err}).") from err
    names = [str(c["name"]) for c in categories]
    dup = [n for n, k in Counter(names).items() if k > 1]
    if dup:
        raise DatasetError(f"{json_path}: category names {dup} appear under several ids; give each class one name.")
    ids = {int(c["id"]): i for i, c in enumerate(categories)}
    if task not in ("segment", "detect", "auto"):
        raise DatasetError(f"task={task!r}: COCO converts to 'detect' (boxes, the default) or 'segment' (polygons).")
    task = "segment" if task == "segment" else "detect"  # COCO always carries boxes; polygons on request
    by_image = defaultdict(list)
    for a in annotations:
        by_image[a.get("image_id")].append(a)
    base = json_path.parent
    roots = [base, base / "images", base.parent / "images", base.parent]
    count = 0
    for im in progress_bar(coco_images, len(coco_images), "Converting COCO", progress):
        rel = str(im.get("file_name", "")).replace("\\", "/")
        src = next((r / rel for r in roots if (r / rel).is_file()), None) or next((r / Path(rel).name for r in roots if (r / Path(rel).name).is_file()), None)
        if src is None:
            notes.append(f"{json_path}: image {rel!r} (id {im.get('id')}) is not next to the JSON or in images/; skipped.")
            continue
        w, h = float(im.get("width") or 0), float(im.get("height") or 0)
        if not w or not h:
            from PIL import Image

            with Image.open(src) as pil:
                w, h = pil.size
        lines = []
        for a in by_image.get(im.get("id"), []):
            cat = ids.get(int(a.get("category_id", -1)))
            if cat is None:
                notes.append(f"{json_path}: annotation {a.get('id')} has category {a.get('category_id')}, not in categories; skipped.")
                continue
            seg = a.get("segmentation")
            if task == "segment":
                if not isinstance(seg, list) or not seg:
                    notes.append(f"{json_path}: annotation {a.get('id')} has no polygon (RLE or none); skipped for segmentation.")
                    continue
                part = max(seg, key=len)
                if len(seg) > 1:
                    notes.append(f"{json_path}: annotation {a.get('id')} has {len(seg)} polygon parts; kept the largest.")
                lines.append(f"{cat} " + _fmt(v / (w if i % 2 == 0 else h) for i, v in enumerate(part)) + "\n")
            else:
                x, y, bw, bh = (float(v) for v in a["bbox"])
                lines.append(f"{cat} {_fmt(((x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h))}\n")
        name = Path(rel).name
        if (out / "images" / name).exists():
            notes.append(f"{json_path}: two images named {name}; kept the first.")
            continue
        link_or_copy(src, out / "images" / name)
        (out / "labels" / f"{Path(name).stem}.txt").write_text("".join(lines), encoding="utf-8")
        count += 1
    return names, count, notes


def import_export(
    source: str | Path,
    out: str | Path | None = None,
    task: str = "auto",
    overwrite: bool = False,
    progress: bool = True,
) -> ImportResult:
    """Bring an annotation export into the YOLO layout the course uses, and say what was done.

    ``source``: a Label Studio "YOLO with images" export (folder or downloaded ``.zip``, unpacked
    safely), a Pascal VOC folder (``Annotations/`` + ``JPEGImages/``, its ``ImageSets/Main`` split
    kept in ``splits/``) or COCO JSON (the file or its folder; boxes, or polygons with
    ``task="segment"``). A YOLO folder is used where it is, unless ``out`` is given. Converted
    exports go to ``out`` (default: beside the source, ``<name>-yolo``); images are hard-linked.
    """
    import tempfile

    source = Path(source)
    if not source.exists():
        raise DatasetError(f"{source.resolve()} does not exist. Give the export folder or the downloaded .zip.")
    notes: list[str] = []
    if source.is_file() and source.suffix.lower() == ".zip":
        out = Path(out) if out is not None else source.with_suffix("")
        out.resolve().parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out.resolve().parent, prefix=".unzip-") as tmp:
            root = _find_root(safe_extract(source, tmp))
            inner = import_export(root, out, task=task, overwrite=overwrite, progress=progress)
        inner.notes.insert(0, f"unpacked {source.name} safely")
        return inner
    coco = _coco_json(source) if not _is_yolo_export(source) and not _is_voc(source) else None
    if _is_yolo_export(source):
        names = read_class_names(source)
        if out is None:
            return ImportResult(find_export(source), names, "YOLO export", len(list_images(source / "images")), notes)
        out = Path(out)
        _new_export(out, overwrite)
        for image in list_images(source / "images"):
            link_or_copy(image, out / "images" / image.name)
        if (source / "labels").is_dir():
            for label in sorted((source / "labels").glob("*.txt")):
                link_or_copy(label, out / "labels" / label.name)
        _write_names(out, names)
        return ImportResult(out, names, "YOLO export", len(list_images(out / "images")), notes)
    if _is_voc(source):
        out = Path(out) if out is not None else source.parent / f"{source.name}-yolo"
        _new_export(out, overwrite)
        names, n, notes = _convert_voc(source, out, progress)
        kind = "Pascal VOC"
    elif coco is not None:
        out = Path(out) if out is not None else (source if source.is_dir() else source.parent).parent / f"{(source if source.is_dir() else source.parent).name}-yolo"
        _new_export(out, overwrite)
        names, n, notes = _convert_coco(coco, out, task, progress)
        kind = f"COCO JSON ({coco.name})"
    else:
        raise DatasetError(
            f"{source} is not an export this package reads: expected images/ with classes.txt or notes.json (Label Studio YOLO), "
            "Annotations/ + JPEGImages/ (Pascal VOC) or a COCO .json with images, annotations and categories."
        )
    if not n:
        raise DatasetError(f"No image of {source} could be converted:\n" + "\n".join(notes[:10]))
    _write_names(out, names)
    return ImportResult(out, names, kind, n, notes)


def _read_export(export: Path) -> tuple[list[str], list[Path]]:
    export = find_export(export)
    return read_class_names(export), list_images(export / "images")


def merge_exports(exports: list[str | Path], out: str | Path, overwrite: bool = False) -> ImportResult:
    """Combine several exports (two students, several labelling batches) into one.

    Classes are matched by name, never by id: the merged ids follow the first export, then
    names as they first appear. ``notes`` lists every conflict: a name with different ids, a
    name only some exports have, the same image (same content) in two exports (kept once), and
    different images with the same file name (renamed with the export's number).
    """
    import hashlib

    exports = [Path(e) for e in exports]
    if len(exports) < 2:
        raise DatasetError("merge_exports needs at least two exports.")
    read = [(e, *_read_export(e)) for e in exports]
    names: list[str] = []
    for _, export_names, _ in read:
        names += [n for n in export_names if n not in names]
    notes: list[str] = []
    for name in names:
        ids = {str(e): en.index(name) for e, en, _ in read if name in en}
        if len(set(ids.values())) > 1:
            notes.append(f"class {name!r} has different ids: " + ", ".join(f"{i} in {e}" for e, i in ids.items()) + f"; merged as {names.index(name)}")
        if len(ids) < len(read):
            missing = [str(e) for e, en, _ in read if name not in en]
            notes.append(f"class {name!r} is only in {', '.join(ids)}; not in {', '.join(missing)} (its images there may show {name!r} unlabelled)")
    out = Path(out)
    _new_export(out, overwrite)
    seen_hash: dict[str, Path] = {}
    used: set[str] = set()
    n = 0
    for k, (export, export_names, images) in enumerate(read, start=1):
        remap = {i: names.index(name) for i, name in enumerate(export_names)}
        for image in images:
            digest = hashlib.sha1(image.read_bytes()).hexdigest()
            if digest in seen_hash:
                notes.append(f"{image} is the same image as {seen_hash[digest]}; kept once (the labels of the first)")
                continue
            seen_hash[digest] = image
            name = image.name
            if Path(name).stem.lower() in used:
                name = f"{Path(name).stem}-export{k}{image.suffix}"
                notes.append(f"{image}: another export has an image with this name; saved as {name}")
            used.add(Path(name).stem.lower())
            link_or_copy(image, out / "images" / name)
            label = export / "labels" / f"{image.stem}.txt"
            if label.is_file():
                lines = []
                for number, raw in enumerate(label.read_text(encoding="utf-8-sig").splitlines(), start=1):
                    parts = raw.split()
                    if parts and parts[0].isdigit() and int(parts[0]) in remap:
                        parts[0] = str(remap[int(parts[0])])
                    elif parts:
                        notes.append(f"{label}, line {number}: class {parts[0]!r} is not in its export's classes; copied unchanged")
                    lines.append(" ".join(parts))
                (out / "labels" / f"{Path(name).stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
            n += 1
    _write_names(out, names)
    return ImportResult(out, names, f"merge of {len(read)} exports", n, notes)


def select_classes(
    source: str | Path,
    out: str | Path,
    classes: list[str] | dict[str, str | list[str]],
    drop_empty: bool = False,
    overwrite: bool = False,
) -> ImportResult:
    """A new export with a subset of the classes, or some merged into one, ids renumbered.

    ``classes=["5 euro"]`` keeps one class; ``{"note": ["5 euro", "10 euro"]}`` merges two names
    into ``note`` (a dict maps new name -> old name(s); its order gives the new ids). Objects of
    other classes are removed; images left without objects stay as backgrounds unless
    ``drop_empty``. Then split it as usual: ``config.yaml`` gets the new names.
    """
    source = Path(source)
    old_names, images = _read_export(source)
    mapping = {n: n for n in classes} if not isinstance(classes, dict) else dict(classes)
    new_names = list(mapping)
    old_to_new: dict[int, int] = {}
    for new, olds in mapping.items():
        for old in [olds] if isinstance(olds, str) else olds:
            if old not in old_names:
                raise DatasetError(f"class {old!r} is not in {source}; its classes are {old_names}.")
            old_to_new[old_names.index(old)] = new_names.index(new)
    out = Path(out)
    _new_export(out, overwrite)
    removed = Counter()
    n = empty = 0
    for image in images:
        label = source / "labels" / f"{image.stem}.txt"
        lines = []
        if label.is_file():
            for raw in label.read_text(encoding="utf-8-sig").splitlines():
                parts = raw.split()
                if not parts:
                    continue
                cls = int(float(parts[0])) if parts[0].replace(".", "", 1).isdigit() else -1
                if cls in old_to_new:
                    lines.append(" ".join([str(old_to_new[cls])] + parts[1:]))
                else:
                    removed[old_names[cls] if 0 <= cls < len(old_names) else parts[0]] += 1
        if not lines and drop_empty:
            empty += 1
            continue
        link_or_copy(image, out / "images" / image.name)
        (out / "labels" / f"{image.stem}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        n += 1
    _write_names(out, new_names)
    notes = ["ids: " + ", ".join(f"{old_names[o]!r} {o} -> {new_names[i]!r} {i}" for o, i in sorted(old_to_new.items()))]
    notes += [f"removed {k} objects of {name!r}" for name, k in removed.items()]
    if drop_empty:
        notes.append(f"left out {empty} images without any kept object")
    return ImportResult(out, new_names, f"classes of {source}", n, notes)
