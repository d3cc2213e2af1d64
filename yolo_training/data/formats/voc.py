"""Pascal VOC annotations (one ``.xml`` per image), in any arrangement, read as YOLO lines.

VOC files are found by content (an ``<annotation>`` root), wherever they are: ``Annotations/`` +
``JPEGImages/`` (the original VOC), ``annotations/`` + ``images/`` (many sets on GitHub), or each
``.xml`` beside its image (LabelImg). An XML is matched to its image by ``<filename>``, then by
its own name. Boxes are turned into fractions of the ``<size>`` the XML declares (the image the
annotator saw); that size is checked against the real image by the inspection. VOC has no class
ids: the names are sorted, unless ``names=`` gives the order.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..labels import LabelProblem
from ..layout import Item, Layout, Scan, Sniff, apply_split_files, image_root_of, key_of, shown, split_from_path


@dataclass
class VocFile:
    """What one VOC XML says: the image it names, its declared size and its objects, with lines."""

    path: Path
    filename: str = ""
    filename_line: int = 0
    width: float = 0.0
    height: float = 0.0
    size_line: int = 0
    objects: list[tuple[str, tuple[float, float, float, float] | None, int]] = field(default_factory=list)  # name, box, line
    error: tuple[int, str] | None = None


def is_voc(path: Path) -> bool:
    """True when the XML file's root element is ``<annotation>`` (read from its first bytes)."""
    try:
        with open(path, "rb") as f:
            head = f.read(2048)
    except OSError:
        return False
    return re.search(rb"<annotation[\s>]", head) is not None  # not CVAT's <annotations>


def read_voc(path: Path) -> VocFile:
    """Parse one VOC XML with line numbers (expat); a broken file gives ``error`` = (line, message)."""
    result = VocFile(path)
    stack: list[str] = []
    text: list[str] = []
    current: dict = {}

    def start(tag, attrs):
        stack.append(tag)
        text.clear()
        if tag == "object" and len(stack) == 2:
            current.clear()
            current.update(line=parser.CurrentLineNumber, name="", box={})
        elif tag == "size" and len(stack) == 2:
            result.size_line = parser.CurrentLineNumber
        elif tag == "filename" and len(stack) == 2:
            result.filename_line = parser.CurrentLineNumber

    def end(tag):
        value = "".join(text).strip()
        text.clear()
        path_ = "/".join(stack[1:])
        stack.pop()
        if path_ == "filename":
            result.filename = value
        elif path_ in ("size/width", "size/height"):
            try:
                setattr(result, path_[5:], float(value))
            except ValueError:
                pass
        elif path_ == "object/name":
            current["name"] = value
        elif path_.startswith("object/bndbox/"):
            current["box"][tag] = value
        elif path_ == "object":
            result.objects.append((current["name"], _box(current["box"]), current["line"]))

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text.append
    try:
        with open(path, "rb") as f:
            parser.ParseFile(f)
    except xml.parsers.expat.ExpatError as err:
        result.error = (err.lineno, f"not valid XML ({xml.parsers.expat.errors.messages[err.code]})")
    return result


def _box(values: dict) -> tuple[float, float, float, float] | None:
    try:
        return tuple(float(values[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
    except (KeyError, ValueError):
        return None


def _match(voc: VocFile, by_name: dict, by_stem: dict) -> Path | None:
    """The image a VOC file describes: by ``<filename>``, then by its stem, then by the XML's own stem."""
    name = voc.filename.replace("\\", "/").rsplit("/", 1)[-1]
    for candidates in (by_name.get(name.lower()), by_stem.get(Path(name).stem.lower()) if name else None, by_stem.get(voc.path.stem.lower())):
        if candidates:
            # beside the XML first (LabelImg), then the nearest folder
            return min(candidates, key=lambda p: (p.parent != voc.path.parent, _distance(p, voc.path), p.as_posix()))
    return None


def _distance(a: Path, b: Path) -> int:
    common = 0
    for x, y in zip(a.parts, b.parts):
        if x != y:
            break
        common += 1
    return len(a.parts) + len(b.parts) - 2 * common


def _kind(pairs: list[tuple[Path, Path]]) -> str:
    if not pairs:
        return "Pascal VOC"
    beside = sum(xml.parent == image.parent for xml, image in pairs)
    if beside > len(pairs) / 2:
        return "Pascal VOC, LabelImg layout (each .xml beside its image)"
    xml_dir, image_dir = pairs[0][0].parent.name, pairs[0][1].parent.name
    return f"Pascal VOC ({xml_dir}/ + {image_dir}/)"


def _yolo_lines(voc: VocFile, ids: dict[str, int], problems: list[LabelProblem], key: str) -> tuple[str, list[tuple[int, str]]]:
    lines, origins = [], []
    w, h = voc.width, voc.height
    for name, box, line in voc.objects:
        if box is None:
            problems.append(LabelProblem(voc.path, line, f"object {name!r} has no complete <bndbox> (xmin, ymin, xmax, ymax): the split leaves this image out (without the box the object would be taught as background); draw its box or delete the object.", "malformed", "error", key))
            continue
        if name not in ids:
            problems.append(LabelProblem(voc.path, line, f"object {name!r} is not among the class names {list(ids)}; left out.", "class-id", "error", key))
            continue
        x0, y0, x1, y1 = box
        lines.append(f"{ids[name]} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} {(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}")
        origins.append((line, f"object {name!r}: "))
    return "".join(line + "\n" for line in lines), origins


def _declared_size(voc: VocFile, image: Path, problems: list[LabelProblem], key: str) -> None:
    """Fill in a missing ``<size>`` from the image itself (what the annotator must have seen)."""
    if voc.width > 0 and voc.height > 0:
        return
    from PIL import Image

    try:
        with Image.open(image) as im:
            voc.width, voc.height = im.size[::-1] if im.getexif().get(274, 1) in (5, 6, 7, 8) else im.size
    except Exception:  # an unreadable image is reported by the inspection
        voc.width = voc.height = 1.0
    problems.append(LabelProblem(voc.path, voc.size_line, f"no usable <size>; boxes read against the image's own {int(voc.width)}x{int(voc.height)} pixels.", "voc-size", "warning", key))


def layout_from_voc(scan: Scan, xmls: list[Path], names: list[str] | None) -> Layout:
    """The VOC dataset below ``scan.root``: every image, its objects as YOLO lines, its split."""
    problems: list[LabelProblem] = []
    by_name, by_stem = defaultdict(list), defaultdict(list)
    for image in scan.images:
        by_name[image.name.lower()].append(image)
        by_stem[image.stem.lower()].append(image)
    described: dict[Path, VocFile] = {}
    for path in xmls:
        voc = read_voc(path)
        if voc.error:
            problems.append(LabelProblem(path, voc.error[0], f"{voc.error[1]}; this annotation file is left out. Save it again from the annotation tool.", "malformed", "error"))
            continue
        image = _match(voc, by_name, by_stem)
        if image is None:
            where = f"<filename> {voc.filename!r}" if voc.filename else "its name"
            problems.append(LabelProblem(path, voc.filename_line, f"{where} names an image that is not in {shown(scan.root)}; this annotation is left out. Add the image or remove the file.", "missing-image", "warning"))
        elif image in described:
            problems.append(LabelProblem(path, voc.filename_line, f"describes {image.name}, as {described[image].path.name} does; only that one is used.", "duplicate-annotation", "warning"))
        else:
            described[image] = voc
    if names is None:
        names = sorted({name for voc in described.values() for name, _, _ in voc.objects})  # VOC has no ids
    ids = {n: i for i, n in enumerate(names)}
    image_root = image_root_of(scan.images, scan.root)
    items = []
    for image in scan.images:
        key = key_of(image, image_root)
        voc = described.get(image)
        if voc is None:
            items.append(Item(key, image, None, split_from_path(scan.relative(image))))
            continue
        _declared_size(voc, image, problems, key)
        text, origins = _yolo_lines(voc, ids, problems, key)
        items.append(Item(key, image, voc.path, split_from_path(scan.relative(image)), text, origins, (voc.width, voc.height, voc.size_line)))
    apply_split_files(items, scan.root, problems)
    return Layout(_kind([(v.path, im) for im, v in described.items()]), scan.root, names, items, image_root, problems)


def looks_like(path: Path) -> Sniff | None:
    """A Pascal VOC XML that was not read: its objects; None for any other file."""
    if path.suffix.lower() != ".xml" or not is_voc(path):
        return None
    voc = read_voc(path)
    return Sniff("Pascal VOC XML", len(voc.objects), len({name for name, _, _ in voc.objects}))
