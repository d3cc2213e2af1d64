"""CVAT's own XML: "CVAT for images 1.1" (``<image>`` with ``<box>``, ``<polygon>``) and "CVAT for video 1.1" (``<track>``).

The format CVAT exports by default: one ``annotations.xml`` with the task's (or project's, or
job's) labels in ``<meta>``, in the order that gives the class ids.

* **For images**: each ``<image name width height>`` (``name`` may hold sub-folders; CVAT puts
  the images under ``images/``) with its shapes. ``<box>`` (turned by ``rotation`` if any),
  ``<polygon>``, ``<ellipse>`` and ``<mask>`` (CVAT's run-length code over its box) are regions:
  a box for detection, a polygon with ``task="segment"`` (:mod:`.regions`). ``<polyline>``,
  ``<points>``, ``<skeleton>``, ``<cuboid>`` and ``<tag>`` are not, and each is a problem.
  ``occluded="1"`` objects are kept. ``width``/``height`` are the declared size, checked by the
  inspection; a ``subset`` attribute (project exports) is the publisher's split.
* **For video**: ``<track id label>`` holding one shape per frame (``outside="1"``: the object is
  not in view, no object). CVAT writes every frame of a track, interpolated ones too
  (``keyframe="0"``), numbered as the video's frames. The frames are the images of the export
  (``images/frame_000000.PNG``, "Save images") or, without them, extracted from the video file
  beside the XML into the project's cache (:func:`~yolo_training.core.env.cache_dir`, with
  :func:`~yolo_training.data.acquire.extract_frames`): never into the student's folder. A tracking
  set is read as a detection set, one image per frame; :func:`read_cvat_tracks` keeps the tracks.

Parsed with the standard library's expat (line numbers for every message). Datumaro reads this
format too, but with lxml, pyarrow and shapely behind it; the package needs a few hundred lines.
"""

from __future__ import annotations

import hashlib
import re
import xml.parsers.expat
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ...core.common import COMMON_VIDEO_SUFFIXES
from ...core.env import cache_dir, shown_path
from ...core.errors import DatasetError
from ...core.folders import cached_folder
from ..labels import LabelProblem
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
    split_from_path,
    split_name,
)
from . import regions

_SHAPES = re.compile(rb"<(box|polygon|polyline|points|ellipse|mask|skeleton)\b")
_LABEL = re.compile(rb"<label>\s*<name>([^<]*)</name>")
#: The shapes that are regions (objects a detector or segmenter learns).
REGION_SHAPES = ("box", "polygon", "ellipse", "mask")
#: The shapes that are not, as a sentence names them.
NOT_REGIONS = {
    "polyline": "a polyline (a line, not a region)",
    "points": "points (not a region)",
    "skeleton": "a skeleton (key points, not a region)",
    "cuboid": "a cuboid (a 3-D box)",
    "tag": "a tag (a label of the whole image, not an object)",
}
_FRAME = re.compile(r"^frame_(\d+)$", re.IGNORECASE)
_META_OWNERS = ("task", "project", "job")


@dataclass
class Shape:
    """One shape of the XML: its element, label, attributes and line; the frame and track of a track's shape."""

    tag: str
    label: str
    attrs: dict
    line: int
    frame: int | None = None
    track: int | None = None


@dataclass
class CvatImage:
    """One ``<image>``: its name, declared size, subset, line and shapes."""

    name: str
    width: float
    height: float
    subset: str
    line: int
    shapes: list[Shape] = field(default_factory=list)


@dataclass
class CvatFile:
    """What one CVAT XML says: labels (in id order), images or tracks, the task's frames, and a parse error."""

    path: Path
    labels: list[str] = field(default_factory=list)
    labels_line: int = 0
    images: list[CvatImage] = field(default_factory=list)
    tracks: dict[int, tuple[str, int]] = field(default_factory=dict)  # id -> (label, line)
    track_shapes: list[Shape] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)  # size, start_frame, stop_frame, frame_filter, width, height, source, subset
    size_line: int = 0
    root: str = ""
    error: tuple[int, str] | None = None

    @property
    def video(self) -> bool:
        """True for "CVAT for video 1.1": tracks, no images."""
        return bool(self.tracks) and not self.images

    def frames(self) -> list[int]:
        """The task's frames as the video numbers them (``start_frame`` and ``frame_filter``'s step), else those with shapes."""
        step = 1
        m = re.search(r"step\s*=\s*(\d+)", self.meta.get("frame_filter", ""))
        if m and int(m[1]) > 0:
            step = int(m[1])
        try:
            start, size = int(self.meta.get("start_frame") or 0), int(self.meta["size"])
        except (KeyError, ValueError):
            seen = [s.frame for s in self.track_shapes if s.frame is not None]
            return list(range(0, max(seen) + 1)) if seen else []
        frames = [start + i * step for i in range(size)]
        if self.meta.get("stop_frame", "").isdigit():
            frames = [f for f in frames if f <= int(self.meta["stop_frame"])]
        return frames


def _number(value: str | None, default: float = 0.0) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def parse_cvat(path: Path) -> CvatFile:
    """Parse one CVAT XML with line numbers (expat); a broken file gives ``error`` = (line, message).

    Args:
        path: the XML file.

    Returns:
        A :class:`CvatFile`.

    Examples:
        >>> parse_cvat(Path("task/annotations.xml")).labels  # doctest: +SKIP
        ['car', 'person']
    """
    result = CvatFile(path)
    stack: list[str] = []
    text: list[str] = []
    label: dict = {}
    owner: list = [None]  # the <image> or <track> being read

    def start(tag, attrs):
        stack.append(tag)
        text.clear()
        depth, line = len(stack), parser.CurrentLineNumber
        if depth == 1:
            result.root = tag
        elif depth == 2 and tag == "image":
            owner[0] = CvatImage(attrs.get("name", ""), _number(attrs.get("width")), _number(attrs.get("height")), attrs.get("subset", ""), line)
            result.images.append(owner[0])
        elif depth == 2 and tag == "track":
            track = int(_number(attrs.get("id"), len(result.tracks)))
            result.tracks[track] = (attrs.get("label", ""), line)
            owner[0] = (track, attrs.get("label", ""))
        elif depth == 3 and stack[1] in ("image", "track") and owner[0] is not None:
            if stack[1] == "image":
                owner[0].shapes.append(Shape(tag, attrs.get("label", ""), dict(attrs), line))
            else:
                track, track_label = owner[0]
                frame = int(_number(attrs.get("frame"), -1))
                result.track_shapes.append(Shape(tag, track_label, dict(attrs), line, frame, track))
        elif stack[:2] == ["annotations", "meta"] and tag == "label" and stack[-2] == "labels" and len(stack) == 5 and stack[2] in _META_OWNERS:
            label.clear()
            label.update(name="", parent="", line=line)
        elif tag == "labels" and depth == 4 and stack[1] == "meta" and stack[2] in _META_OWNERS and not result.labels_line:
            result.labels_line = line
        elif tag == "original_size":
            result.size_line = line

    def end(tag):
        value = "".join(text).strip()
        text.clear()
        inner = stack[2:] if stack[:2] == ["annotations", "meta"] else []  # the path below <meta>, this tag last
        stack.pop()
        if inner:
            path_ = "/".join(inner)
            head, _, rest = path_.partition("/")
            if head not in _META_OWNERS:
                if path_ in ("original_size/width", "original_size/height", "source"):  # a job's export
                    result.meta.setdefault(path_.rsplit("/", 1)[-1], value)
            elif rest in ("labels/label/name", "labels/label/parent") and label:
                label[rest.rsplit("/", 1)[1]] = value
            elif rest == "labels/label" and label:
                if not label["parent"] and label["name"] and label["name"] not in result.labels:
                    result.labels.append(label["name"])
                label.clear()
            elif rest in ("size", "start_frame", "stop_frame", "frame_filter", "mode", "source", "subset"):
                result.meta.setdefault(rest, value)
            elif rest in ("original_size/width", "original_size/height"):
                result.meta.setdefault(rest.rsplit("/", 1)[1], value)
        elif len(stack) == 1 and tag in ("image", "track"):
            owner[0] = None

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text.append
    try:
        with open(path, "rb") as f:
            parser.ParseFile(f)
    except xml.parsers.expat.ExpatError as err:
        result.error = (err.lineno, f"not valid XML ({xml.parsers.expat.errors.messages[err.code]})")
    except OSError as err:
        result.error = (0, f"cannot be read ({err})")
    if result.error is None and result.root != "annotations":
        result.error = (1, f"its root element is <{result.root}>, not CVAT's <annotations>")
    return result


def is_cvat(path: Path) -> bool:
    """True when an XML file's first bytes are CVAT's: an ``<annotations>`` root with a ``<version>``."""
    head = file_head(path, 4096)
    return path.suffix.lower() == ".xml" and b"<annotations" in head and b"<version>" in head


def claims(scan: Scan) -> list[Path]:
    """The CVAT XML files below the folder (``annotations.xml``, shallowest first)."""
    return [p for p in scan.top(".xml") if is_cvat(p)]


# --------------------------------------------------------------------------------------------
# Shapes as regions


def _points(text: str) -> list[tuple[float, float]]:
    points = []
    for pair in text.replace(" ", "").split(";"):
        if pair:
            x, y = pair.split(",")
            points.append((float(x), float(y)))
    return points


def _rle_mask(attrs: dict):
    """CVAT's ``<mask rle left top width height>``: counts of 0s and 1s in turn, row by row over its box; None when they do not fill it."""
    import numpy as np

    width, height = int(_number(attrs.get("width"))), int(_number(attrs.get("height")))
    counts = [int(v) for v in attrs.get("rle", "").replace(" ", "").split(",") if v]  # a ValueError is the caller's "not numbers"
    if width <= 0 or height <= 0 or sum(counts) != width * height:
        return None
    pixels = np.zeros(width * height, np.uint8)
    offset, value = 0, 0
    for count in counts:
        pixels[offset : offset + count] = value
        offset, value = offset + count, 1 - value
    return pixels.reshape(height, width)


def region_of(shape: Shape) -> tuple[regions.Region | None, str]:
    """The region a CVAT shape draws, or None and why (a sentence: "is a polyline ...").

    Args:
        shape: one parsed shape.

    Returns:
        (region, "") or (None, the reason).

    Examples:
        >>> region_of(Shape("box", "car", {"xtl": "1", "ytl": "2", "xbr": "11", "ybr": "12"}, 5))[0].box
        (1.0, 2.0, 11.0, 12.0)
    """
    a = shape.attrs
    if shape.tag in NOT_REGIONS:
        return None, f"is {NOT_REGIONS[shape.tag]}"
    if shape.tag not in REGION_SHAPES:
        return None, f"is a <{shape.tag}>, a shape this package does not read"
    try:
        rotation = float(a.get("rotation") or 0)
        if shape.tag == "box":
            return regions.rectangle(float(a["xtl"]), float(a["ytl"]), float(a["xbr"]), float(a["ybr"]), rotation), ""
        if shape.tag == "polygon":
            points = _points(a.get("points", ""))
            found = regions.polygon(points)
            return (found, "") if found else (None, f"is a polygon of {len(points)} point(s), fewer than the 3 of a region")
        if shape.tag == "ellipse":
            cx, cy, rx, ry = (float(a[k]) for k in ("cx", "cy", "rx", "ry"))
            return regions.ellipse(cx, cy, rx, ry, rotation), ""
        pixels = _rle_mask(a)
        if pixels is None:
            return None, f"has an rle that does not fill its {a.get('width')}x{a.get('height')} box"
        found = regions.mask(pixels, _number(a.get("left")), _number(a.get("top")))
        return (found, "") if found else (None, "is an empty mask")
    except (KeyError, ValueError) as err:
        return None, f"has attributes that are not numbers ({err})"


# --------------------------------------------------------------------------------------------
# Reading


def _names(parsed: list[CvatFile], given: list[str] | None, scan: Scan) -> list[str]:
    declared = [f for f in parsed if f.labels]
    if declared:
        first = declared[0]
        for other in declared[1:]:
            if other.labels != first.labels:
                raise DatasetError(f"The CVAT files do not list the same labels:\n  {shown(first.path, scan.root)}: {first.labels}\n  "
                                   f"{shown(other.path, scan.root)}: {other.labels}\nExport them again from one project.")
        if given is not None and given != first.labels:
            raise DatasetError(f"names={given} disagree with the labels of {shown(first.path, scan.root)} (<labels> in <meta>, line {first.labels_line}): "
                               f"{first.labels}. Leave names= out (the XML gives the class ids), or fix the file.")
        return first.labels
    if given is not None:
        return given
    used = {s.label for f in parsed for im in f.images for s in im.shapes if s.tag in REGION_SHAPES}
    used |= {s.label for f in parsed for s in f.track_shapes if s.tag in REGION_SHAPES}
    return sorted(used)


@dataclass
class _Found:
    """An image (or frame) found for an XML, its shapes and sizes: its item once every image is found (and keys known)."""

    image: Path
    xml: Path
    shapes: list[Shape]
    size: tuple[float, float]
    declared: tuple[float, float, int] | None
    split: str | None
    key: str = ""
    report_each: bool = True  # a video's non-regions are reported once per track instead


class _Lines:
    """YOLO lines of shapes, the problems of those that are not regions, and counts for the notes."""

    def __init__(self, ids: dict[str, int], task: str, problems: list[LabelProblem]):
        self.ids, self.task, self.problems = ids, task, problems
        self.occluded = 0

    def item(self, found: _Found) -> Item:
        lines, origins = [], []
        path, key = found.xml, found.key
        for shape in found.shapes:
            what = f"<{shape.tag} label={shape.label!r}>" + (f" of track {shape.track}, frame {shape.frame}" if shape.track is not None else "")
            region, why = region_of(shape)
            if region is None:
                if shape.tag in NOT_REGIONS or shape.tag not in REGION_SHAPES:
                    if found.report_each:
                        self.problems.append(LabelProblem(path, shape.line, f"{what} {why}: left out. A detector learns boxes and a segmenter "
                                                          "polygons: draw a box or polygon around the object if it should be found.", "not-a-region", "warning", key))
                    continue
                self.problems.append(LabelProblem(path, shape.line, f"{what} {why}: the split leaves this image out (without it the object would be "
                                                  "taught as background); fix the shape in CVAT and export again.", "malformed", "error", key))
                continue
            if shape.label not in self.ids:
                self.problems.append(LabelProblem(path, shape.line, f"{what}: {shape.label!r} is not among the class names {list(self.ids)}; left out.", "class-id", "error", key))
                continue
            self.occluded += shape.attrs.get("occluded") == "1"
            lines.append(region.yolo_line(self.ids[shape.label], found.size[0], found.size[1], self.task) + "\n")
            origins.append((shape.line, f"{what}: "))
        return Item(key, found.image, path, found.split, "".join(lines), origins, found.declared)


def _find(name: str, subset: str, xml_path: Path, root: Path, images: ImageIndex) -> Path | None:
    """The image an ``<image name>`` names: below images/ (of its subset) beside the XML, beside it, at the top; then by name, then by stem."""
    rel = name.replace("\\", "/").lstrip("/")
    bases = ([xml_path.parent / "images" / subset] if subset else []) + [xml_path.parent / "images", xml_path.parent, root / "images", root]
    for base in bases:
        found = images.at(base / rel)
        if found is not None:
            return found
    file = rel.rsplit("/", 1)[-1]
    return images.named(file, xml_path.parent) or images.stemmed(file, xml_path.parent) or images.stemmed(Path(file).stem, xml_path.parent)


def _split_of(subset: str) -> str | None:
    return split_name(subset.strip()) if subset else None


def _read_images(cvat: CvatFile, scan: Scan, images: ImageIndex, problems: list[LabelProblem], listed: dict[Path, Path]) -> list[_Found]:
    """The image of each ``<image>`` of the file, with its shapes."""
    found = []
    for entry in cvat.images:
        image = _find(entry.name, entry.subset, cvat.path, scan.root, images)
        if image is None:
            problems.append(LabelProblem(cvat.path, entry.line, f"<image name={entry.name!r}> is not in {shown(scan.root)}; its shapes are left out. "
                                         "Export the task again with 'Save images', or put the image under images/.", "missing-image", "warning"))
            continue
        if image in listed:
            problems.append(LabelProblem(cvat.path, entry.line, f"<image name={entry.name!r}> is {shown(image, scan.root)}, listed already in "
                                         f"{shown(listed[image], scan.root)}; only that listing is used.", "duplicate-annotation", "warning"))
            continue
        listed[image] = cvat.path
        declared = (entry.width, entry.height, entry.line) if entry.width > 0 and entry.height > 0 else None
        size = (entry.width, entry.height) if declared else _image_size(image)
        found.append(_Found(image, cvat.path, entry.shapes, size, declared, _split_of(entry.subset) or split_from_path(scan.relative(image))))
    return found


def _image_size(image: Path) -> tuple[float, float]:
    try:
        w, h = image_size(image)
    except Exception:  # an unreadable image is reported by the inspection
        return 1.0, 1.0
    return float(w), float(h)


def _video_of(cvat: CvatFile, scan: Scan) -> Path | None:
    """The video the task was made from: the one ``<source>`` names, else the only video beside the XML (or in the folder)."""
    videos = sorted(p for suffix in COMMON_VIDEO_SUFFIXES + (".m4v", ".mpg", ".mpeg", ".wmv") for p in scan.files.get(suffix, []))
    named = Path(cvat.meta.get("source", "").replace("\\", "/")).name.lower()
    if named:
        for video in videos:
            if video.name.lower() == named:
                return video
    for pool in ([v for v in videos if v.parent == cvat.path.parent], videos):
        if len(pool) == 1:
            return pool[0]
        if len(pool) > 1:
            raise DatasetError(f"{shown(cvat.path, scan.root)} is a CVAT video task, and {len(pool)} videos are beside it "
                               f"({', '.join(shown(v, scan.root) for v in pool[:5])}): keep only the one the task was made from, or export "
                               "the task again with 'Save images' (its frames in images/).")
    return None


def _file_digest(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def video_frames(video: Path, frames: list[int], source: str) -> dict[int, Path]:
    """The frames of ``video`` numbered ``frames``, extracted once into the project's cache (a marked folder).

    Args:
        video: the video file.
        frames: the frame numbers wanted (evenly spaced: a CVAT task's ``start_frame`` and step).
        source: how the video is named to the student, for the folder's marker.

    Returns:
        Frame number -> its JPEG (``frame_000012.jpg``), for those the video holds.

    Examples:
        >>> video_frames(Path("task/clip.mp4"), [0, 1, 2], "clip.mp4")[2].name  # doctest: +SKIP
        'frame_000002.jpg'
    """
    from ..acquire import extract_frames

    if not frames:
        return {}
    step = frames[1] - frames[0] if len(frames) > 1 else 1
    every = step if frames[0] % step == 0 and all(b - a == step for a, b in zip(frames, frames[1:])) else 1
    last = frames[-1] // every + 1  # photos saved up to the last frame wanted
    digest = hashlib.sha1(f"{_file_digest(video)}:{every}:{last}".encode()).hexdigest()[:20]
    folder = cached_folder(
        cache_dir() / "dataset-images" / f"video-{digest}",
        lambda tmp: extract_frames(video, tmp, every_n_frames=every, max_frames=last, prefix="frame"),
        f"Written by yolo-training: the frames of {source}, a CVAT video task's images (its export holds no images/). "
        "Made again when needed; safe to delete.",
    )
    return {n: folder / f"frame_{n:06d}.jpg" for n in frames if (folder / f"frame_{n:06d}.jpg").is_file()}


def _frame_images(cvat: CvatFile, scan: Scan) -> dict[int, Path]:
    """Frame number -> its image in the export (``images/frame_000000.PNG``), nearest to the XML first."""
    found: dict[int, Path] = {}
    for image in sorted(scan.images, key=lambda p: (cvat.path.parent not in p.parents, len(p.parts), p.as_posix())):
        m = _FRAME.match(image.stem)
        if m:
            found.setdefault(int(m[1]), image)
    return found


def _read_video(cvat: CvatFile, scan: Scan, problems: list[LabelProblem], layout_used: dict, notes: list[str], prefix: str) -> list[_Found]:
    """Each frame of a video task (from the export's images, else extracted from the video), with the shapes in view on it."""
    frames = cvat.frames()
    images = _frame_images(cvat, scan)
    where = f"images of {shown(scan.root)}"
    if not images:
        video = _video_of(cvat, scan)
        if video is None:
            source = f" ({cvat.meta['source']!r})" if cvat.meta.get("source") else ""
            raise DatasetError(
                f"{shown(cvat.path, scan.root)} is a CVAT for video 1.1 XML ({len(cvat.tracks)} track(s) over {len(frames)} frame(s)), but its "
                f"frames are not here: neither images/frame_000000.PNG ... nor a video file. Export the task again with 'Save images', or put "
                f"the video{source} beside the XML."
            )
        layout_used[video] = "video (its frames are the images of the CVAT tracks)"
        images = video_frames(video, frames, shown(video, scan.root))
        where = f"frames of {shown(video, scan.root)}"
        notes.append(f"the frames of {shown(video, scan.root)} were extracted into {shown_path(cache_dir() / 'dataset-images')} "
                     "(the dataset's folder is not written to)")
    by_frame: dict[int, list[Shape]] = defaultdict(list)
    for shape in cvat.track_shapes:
        if shape.attrs.get("outside") != "1":
            by_frame[shape.frame].append(shape)
    for track, (label, line) in sorted(cvat.tracks.items()):  # non-regions once per track, not once per frame
        drawn = [s for s in cvat.track_shapes if s.track == track and s.attrs.get("outside") != "1" and s.tag not in REGION_SHAPES]
        if drawn:
            kinds = " and ".join(sorted({s.tag for s in drawn}))
            problems.append(LabelProblem(cvat.path, line, f"track {track} ({label!r}) draws {len(drawn)} {kinds} shape(s), not regions: left out. "
                                         "A detector learns boxes: track the object with a box or polygon if it should be found.", "not-a-region", "warning"))
    w, h = _number(cvat.meta.get("width")), _number(cvat.meta.get("height"))
    declared = (w, h, cvat.size_line) if w > 0 and h > 0 else None
    split = _split_of(cvat.meta.get("subset", ""))
    found, missing, missing_objects = [], [], 0
    wanted = set(frames)
    for frame in frames + sorted(f for f in by_frame if f not in wanted):
        image = images.get(frame)
        if image is None:
            missing.append(frame)
            missing_objects += len(by_frame.get(frame, []))
            continue
        size = (w, h) if declared else _image_size(image)
        key = "" if image.is_relative_to(scan.root) else f"{prefix}{image.name}"  # a frame in the cache: its own name
        found.append(_Found(image, cvat.path, [s for s in by_frame.get(frame, []) if s.tag in REGION_SHAPES], size, declared, split, key, False))
    if missing:
        span = f"{missing[0]}" if len(missing) == 1 else f"{missing[0]}..{missing[-1]}"
        problems.append(LabelProblem(cvat.path, 0, f"{len(missing)} frame(s) of the task ({span}, {missing_objects} object(s) on them) are not among the "
                                     f"{where}; left out. Export the task again with 'Save images'.", "missing-image", "warning"))
    notes.append(f"{shown(cvat.path, scan.root)}: a tracking set ({len(cvat.tracks)} track(s)) is read as a detection set, one image per frame "
                 f"({len(found)} frame(s)); read_cvat_tracks() gives the tracks themselves")
    return found


def read(scan: Scan, files: list[Path], names: list[str] | None, task: str) -> Layout:
    """The CVAT dataset below ``scan.root``: every image (or video frame) with its shapes as YOLO lines.

    Args:
        scan: the walk of the folder.
        files: the CVAT XML files (:func:`claims`).
        names: class names given by the student (they must agree with the XML's ``<labels>``).
        task: ``"segment"`` for polygons; anything else for boxes.

    Returns:
        The layout: images with their lines, the problems met (each with file and line), notes.

    Raises:
        DatasetError: an XML cannot be read, the labels disagree, or a video task's frames are not there.

    Examples:
        >>> layout = read(Scan(Path("cvat-task")), [Path("cvat-task/annotations.xml")], None, "detect")  # doctest: +SKIP
        >>> layout.kind  # doctest: +SKIP
        'CVAT for images 1.1 XML (annotations.xml)'
    """
    parsed = []
    for path in files:
        cvat = parse_cvat(path)
        if cvat.error:
            line, why = cvat.error
            raise DatasetError(f"{shown(path, scan.root)}, line {line}: {why}; nothing can be read from it. Export the annotations from CVAT again "
                               "('CVAT for images 1.1' or 'CVAT for video 1.1') and replace the file.")
        parsed.append(cvat)
    problems: list[LabelProblem] = []
    notes: list[str] = []
    used: dict[Path, str] = {}
    names = _names(parsed, names, scan)
    images = ImageIndex(scan.images)
    listed: dict[Path, Path] = {}
    found: list[_Found] = []
    for cvat in parsed:
        if cvat.video:
            found += _read_video(cvat, scan, problems, used, notes, f"{cvat.path.parent.name}/" if len(parsed) > 1 else "")
        else:
            found += _read_images(cvat, scan, images, problems, listed)
    image_root = image_root_of([f.image for f in found if not f.key], scan.root)
    lines = _Lines({n: i for i, n in enumerate(names)}, "segment" if task == "segment" else "detect", problems)
    items = []
    for f in found:
        f.key = f.key or key_of(f.image, image_root)
        items.append(lines.item(f))
    taken = {f.image for f in found}
    video_frames_here = any(c.video for c in parsed)
    for image in scan.images:
        if image not in taken and not (video_frames_here and _FRAME.match(image.stem)):
            problems.append(LabelProblem(image, 0, f"is not listed in {' or '.join(sorted({shown(f, scan.root) for f in files}))}; left out.", "no-label", "warning"))
    if lines.occluded:
        notes.append(f"{lines.occluded} object(s) marked occluded in CVAT are kept as objects")
    kind = ("CVAT for video 1.1 XML" if all(c.video for c in parsed) else "CVAT for images 1.1 XML") + (
        f" ({files[0].name})" if len(files) == 1 else f" ({len(files)} files)")
    layout = Layout(kind, scan.root, names, sorted(items, key=lambda i: i.key), image_root, problems, notes)
    layout.used.update(used)
    return layout


def read_cvat_tracks(xml_path: str | Path) -> "pandas.DataFrame":  # noqa: F821
    """The tracks of a "CVAT for video 1.1" XML, one row per object in view per frame: for tracking evaluation.

    Boxes, polygons, ellipses and masks become their bounding boxes; shapes with ``outside="1"``
    (the object out of view) and shapes that are not regions (polylines, points) give no row.

    Args:
        xml_path: the XML file (``annotations.xml`` of a CVAT video export).

    Returns:
        A DataFrame with columns ``frame``, ``track_id``, ``class`` (the label's name), ``x1``,
        ``y1``, ``x2``, ``y2`` (pixels) and ``occluded`` (bool), sorted by frame and track.

    Raises:
        DatasetError: the file is not a CVAT XML that can be read, or it has no ``<track>``.

    Examples:
        >>> tracks = yt.read_cvat_tracks("downloads/street/annotations.xml")  # doctest: +SKIP
        >>> tracks.groupby("track_id").frame.agg(["min", "max"])  # doctest: +SKIP
    """
    import pandas as pd

    path = Path(xml_path)
    if not path.is_file():
        raise DatasetError(f"{path} does not exist. Give the annotations.xml of a CVAT video export.")
    cvat = parse_cvat(path)
    if cvat.error:
        raise DatasetError(f"{path}, line {cvat.error[0]}: {cvat.error[1]}. Export the task from CVAT again as 'CVAT for video 1.1'.")
    if not cvat.tracks:
        raise DatasetError(f"{path} has no <track>: it is {'a CVAT for images 1.1 XML' if cvat.images else 'empty'}. "
                           "Export the task as 'CVAT for video 1.1' to keep its tracks.")
    rows = []
    for shape in cvat.track_shapes:
        if shape.attrs.get("outside") == "1":
            continue
        region, _ = region_of(shape)
        if region is not None:
            rows.append((shape.frame, shape.track, shape.label, *region.box, shape.attrs.get("occluded") == "1"))
    columns = ["frame", "track_id", "class", "x1", "y1", "x2", "y2", "occluded"]
    frame = pd.DataFrame(rows, columns=columns).astype({"frame": int, "track_id": int, "class": str, "occluded": bool})
    return frame.sort_values(["frame", "track_id"], ignore_index=True)


def looks_like(path: Path) -> Sniff | None:
    """A CVAT XML (its root is ``<annotations>`` with a ``<version>``); None for any other file."""
    if not is_cvat(path):
        return None
    try:
        body = path.read_bytes()
    except OSError:
        return None
    classes = len(set(_LABEL.findall(body))) or None
    cvat = parse_cvat(path)  # the objects the reader would read: regions in view
    objects = len(_SHAPES.findall(body)) if cvat.error else (
        sum(s.tag in REGION_SHAPES for im in cvat.images for s in im.shapes)
        + sum(s.tag in REGION_SHAPES and s.attrs.get("outside") != "1" for s in cvat.track_shapes))
    if b"<track " in body or b"<track>" in body:
        return Sniff("CVAT for video 1.1 XML", objects, classes)
    return Sniff("CVAT for images 1.1 XML", objects, classes)
