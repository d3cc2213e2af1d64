"""What a recognised dataset is, whatever its layout: images, their labels, their split, its names.

Every layout the package reads (see :mod:`yolo_training.data.formats.recognition`) becomes a :class:`Layout`: one
:class:`Item` per image with its YOLO label file (or the YOLO lines converted from VOC or COCO),
the split its publisher gave it, and the problems met while pairing files. Inspection, splitting
and import all work from it, so each layout is read in one place.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..core.common import is_image
from .labels import LabelProblem, read_text

SPLIT_NAMES = ("train", "val", "test")
#: Split folder and file names as publishers write them (compared in lower case): Kaggle's
#: ``training_set``/``test_set``, Keras' ``Train``/``Validation`` and Roboflow's ``valid`` included.
SPLIT_ALIASES = {
    "train": "train", "training": "train", "training_set": "train", "train_set": "train",
    "val": "val", "valid": "val", "validation": "val", "validation_set": "val", "val_set": "val", "valid_set": "val",
    "test": "test", "testing": "test", "test_set": "test", "testing_set": "test",
}
_CVAT_SUBSET = re.compile(r"^obj_(?P<split>\w+?)_data$", re.IGNORECASE)
_SPLIT_STEM = re.compile(r"(?:^|[_\-. ])(?P<split>train|training|val|valid|validation|test|testing)(?:\d*|[_\-. ].*)$", re.IGNORECASE)


def split_name(word: str) -> str | None:
    """The split a folder or file name stands for (``valid`` -> ``val``, ``obj_train_data`` -> ``train``), or None."""
    word = word.lower()
    if word in SPLIT_ALIASES:
        return SPLIT_ALIASES[word]
    m = _CVAT_SUBSET.match(word)
    return SPLIT_ALIASES.get(m["split"].lower()) if m else None


def split_of_stem(stem: str) -> str | None:
    """The split a file stem names (``instances_val2017``, ``_annotations.coco`` in ``valid/``: see callers)."""
    m = _SPLIT_STEM.search(stem)
    return SPLIT_ALIASES[m["split"].lower()] if m else None


@dataclass
class Item:
    """One image of a dataset.

    ``key`` is its name in reports and splits: its path below :attr:`Layout.image_root`, with
    ``/``. ``label`` is its YOLO label file (None: none), or for VOC/COCO the annotation file its
    YOLO lines ``text`` were converted from (``origins``: the line in that file and what each YOLO
    line was). ``size`` is the (width, height, line) the annotation file declares, checked against
    the image. ``cls`` is the class of an image in class folders.
    """

    key: str
    image: Path
    label: Path | None = None
    split: str | None = None
    text: str | None = None
    origins: list[tuple[int, str]] | None = None
    size: tuple[float, float, int] | None = None
    cls: int | None = None

    def yolo_text(self) -> str | None:
        """Its YOLO label lines (converted or read from its label file); None when it has no labels."""
        if self.text is not None:
            return self.text
        if self.label is None:
            return None
        try:
            return read_text(self.label)
        except (OSError, UnicodeDecodeError):
            return None


@dataclass
class Layout:
    """A dataset as recognised: what it is (``kind``), its class names and images."""

    kind: str
    root: Path
    names: list[str]
    items: list[Item]
    image_root: Path
    problems: list[LabelProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    task: str | None = None  # "classify" for class folders; otherwise the labels decide
    #: Files the reader read besides the items' images and labels (data YAML, names files, lists), with their role.
    used: dict[Path, str] = field(default_factory=dict)
    #: Every file of the folder, used or not read (:func:`~yolo_training.data.formats.accounting.account`).
    files: list = field(default_factory=list)

    def not_read(self, severity: str | None = None) -> list:
        """The files that were not read (of one severity: ``"error"``, ``"warning"``, ``"info"``)."""
        return [f for f in self.files if not f.used and (severity is None or f.severity == severity)]

    @property
    def splits(self) -> dict[str, str]:
        """Image key -> the split its publisher gave it (empty when the dataset is not split)."""
        return {item.key: item.split for item in self.items if item.split}

    def split_counts(self) -> dict[str, int]:
        counts = Counter(item.split for item in self.items if item.split)
        return {s: counts[s] for s in SPLIT_NAMES if counts[s]}

    def headline(self) -> str:
        """One line: what was recognised and how it is split ("Roboflow YOLO export, 3 splits kept: ...")."""
        counts = self.split_counts()
        if "train" in counts and len(counts) > 1:
            return f"{self.kind}, {len(counts)} splits kept: " + " / ".join(f"{n:,}" for n in counts.values()) + f" ({' / '.join(counts)})"
        if counts:
            return f"{self.kind}: {len(self.items):,} images, its own split has only {' and '.join(counts)} (split_dataset splits by ratios)"
        return f"{self.kind}: {len(self.items):,} images, not split yet"


class Scan:
    """One walk of a folder: its images and the other files that may describe them.

    Hidden files and folders (``.DS_Store``, ``.yolo-training-*`` markers) and macOS' ``__MACOSX``
    are left out.
    """

    def __init__(self, root: Path):
        self.root = root
        self.images: list[Path] = []
        self.files: dict[str, list[Path]] = defaultdict(list)  # suffix -> files (not images)
        self.dirs: set[Path] = set()
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
            base = Path(folder)
            self.dirs.add(base)
            for name in sorted(names):
                if name.startswith("."):
                    continue
                if is_image(name):
                    self.images.append(base / name)
                else:
                    self.files[os.path.splitext(name)[1].lower()].append(base / name)

    def top(self, suffix: str) -> list[Path]:
        """Files with this ending, shallowest first."""
        return sorted(self.files.get(suffix, []), key=lambda p: (len(p.relative_to(self.root).parts), p.as_posix()))

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def image_root_of(images: list[Path], root: Path) -> Path:
    """The deepest folder holding every image (their keys are paths below it)."""
    if not images:
        return root
    try:
        common = Path(os.path.commonpath([str(p.parent) for p in images]))
    except ValueError:  # different drives on Windows
        return root
    return common


def key_of(image: Path, image_root: Path) -> str:
    try:
        return image.relative_to(image_root).as_posix()
    except ValueError:
        return image.as_posix()


def split_from_path(key: str) -> str | None:
    """The split named by a folder of ``key`` (``images/val/a.jpg``, ``valid/images/a.jpg``), nearest first."""
    for part in reversed(key.split("/")[:-1]):
        found = split_name(part)
        if found:
            return found
    return None


def export_split_files(source: str | Path) -> dict[str, Path]:
    """The split files an export brings, if any: ``splits/{train,val,test}.txt`` (written by
    :func:`~yolo_training.data.convert.import_export`), Pascal VOC's ``ImageSets/Main/*.txt`` or
    ``{train,val,test}.txt`` (CVAT, darknet).

    Args:
        source: the export folder.

    Returns:
        Split name -> its list file; empty unless at least ``train`` and ``val`` are listed.

    Examples:
        >>> export_split_files("bccd-voc")  # doctest: +SKIP
        {'train': PosixPath('bccd-voc/ImageSets/Main/train.txt'), ...}
    """
    source = Path(source)
    for folder in (source / "splits", source / "ImageSets" / "Main", source):
        found = {}
        for name in ("train", "val", "valid", "test"):
            f = folder / f"{name}.txt"
            if f.is_file() and SPLIT_ALIASES[name] not in found:
                found[SPLIT_ALIASES[name]] = f
        if "train" in found and "val" in found:
            return found
    return {}


def apply_split_files(items: list[Item], root: Path, problems: list[LabelProblem], lists: dict[str, Path] | None = None) -> str | None:
    """Give items the split their publisher's list files name (by path, file name or stem).

    ``lists`` (split -> list file) default to the export's own (:func:`export_split_files`);
    darknet's ``obj.data`` names its own. Paths in a list may be relative or absolute, Windows or
    POSIX (``C:\\darknet\\data\\obj\\a.jpg``): an image is found by its path below the
    dataset, its file name or its stem. Returns the folder of the lists, or None when there are
    none. A listed image that is not in the dataset is a problem with its file and line.
    """
    lists = export_split_files(root) if lists is None else lists
    if not lists:
        return None
    by_name: dict[str, Item] = {}
    for item in items:
        for name in (item.key, item.image.name, item.image.stem):
            by_name.setdefault(name, item)
    for split, file in lists.items():
        for number, line in enumerate(read_text(file).splitlines(), start=1):
            entry = line.strip().split()[0] if line.strip() else ""
            if not entry:
                continue
            entry = entry.replace("\\", "/")
            item = by_name.get(entry) or by_name.get(entry.rsplit("/", 1)[-1]) or by_name.get(Path(entry).stem)
            if item is None:
                problems.append(LabelProblem(file, number, f"lists {entry!r}, which is not among the images; ignored.", "missing-image", "warning"))
            elif item.split and item.split != split:
                problems.append(LabelProblem(file, number, f"lists {entry!r}, already in {item.split}; kept there (an image is in one split).", "split-overlap", "warning", item.key))
            else:
                item.split = split
    return str(next(iter(lists.values())).parent)


# --------------------------------------------------------------------------------------------
# YOLO label files: found where Ultralytics looks, or beside the image

#: ``.txt`` files that are not label files: class names, split lists, read-me files.
NOT_LABELS = {"classes", "train", "val", "valid", "test", "trainval", "notes", "readme", "license", "labels", "data"}


def is_label_file(path: Path) -> bool:
    stem = path.stem.lower()
    return path.suffix.lower() == ".txt" and stem not in NOT_LABELS and not stem.startswith(("readme", "license"))


class _Listing:
    """Folder listings, read once each: whether a label file exists without a stat per image."""

    def __init__(self):
        self._files: dict[str, set[str]] = {}

    def files(self, folder: str) -> set[str]:
        found = self._files.get(folder)
        if found is None:
            try:
                with os.scandir(folder) as entries:
                    found = {e.name for e in entries if e.name.endswith(".txt")}
            except OSError:
                found = set()
            self._files[folder] = found
        return found

    def exists(self, path: str) -> bool:
        folder, name = os.path.split(path)
        return name in self.files(folder)

    def folder_named(self, parent: str, name: str) -> str | None:
        """The sub-folder of ``parent`` called ``name`` in any case (``Labels``), or None."""
        key = f"{parent}{os.sep}*"
        found = self._files.get(key)
        if found is None:
            try:
                with os.scandir(parent) as entries:
                    found = {e.name for e in entries if e.is_dir()}
            except OSError:
                found = set()
            self._files[key] = found
        return next((n for n in sorted(found) if n.lower() == name), None)


def _labels_any_case(image: Path, listing: _Listing) -> str | None:
    """Where the label file of ``image`` is when its folders are ``Images``/``Labels`` (any case):
    Ultralytics looks only in the lower-case ``labels``, Windows users often write ``Images``."""
    parts = image.parts
    i = next((k for k in range(len(parts) - 2, -1, -1) if parts[k].lower() == "images"), None)
    if i is None or parts[i] == "images":
        return None
    labels = listing.folder_named(str(Path(*parts[:i])), "labels")
    return str(Path(*parts[:i], labels, *parts[i + 1:-1], image.stem + ".txt")) if labels else None


def pair_labels(images: list[Path]) -> tuple[dict[Path, Path | None], set[str]]:
    """Each image's YOLO label file, or None: first where Ultralytics looks (the last ``images``
    folder of the path replaced by ``labels``), then beside the image (LabelImg, CVAT), then in
    ``Labels`` for ``Images`` (any case).

    Returns the pairs and the folders where label files were looked for.
    """
    from ultralytics.data.utils import img2label_paths

    listing = _Listing()
    pairs: dict[Path, Path | None] = {}
    folders: set[str] = set()
    for image, ultralytics_path in zip(images, img2label_paths([str(p) for p in images])):
        beside = os.path.splitext(str(image))[0] + ".txt"
        label = next((p for p in (ultralytics_path, beside) if listing.exists(p)), None)
        if label is None and (any_case := _labels_any_case(image, listing)):
            ultralytics_path = any_case  # its folder is where the orphan labels are looked for
            label = any_case if listing.exists(any_case) else None
        pairs[image] = Path(label) if label else None
        folders.add(os.path.dirname(label or ultralytics_path))
    return pairs, folders


def orphan_labels(folders: set[str], pairs: dict[Path, Path | None], image_folders: set[str]) -> list[Path]:
    """Label files in ``folders`` that no image uses (in an image folder, only those that look like YOLO)."""
    used = {str(p) for p in pairs.values() if p}
    orphans = []
    for folder in sorted(folders):
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.startswith(".") or path in used or not is_label_file(Path(name)):
                continue
            if folder in image_folders and not _looks_like_yolo(Path(path)):
                continue
            orphans.append(Path(path))
    return orphans


def _looks_like_yolo(path: Path) -> bool:
    try:
        first = next((line for line in read_text(path).splitlines() if line.strip()), "")
    except (OSError, UnicodeDecodeError):
        return False
    parts = first.split()
    try:
        return not first or (len(parts) >= 5 and all(float(p) == float(p) for p in parts))
    except ValueError:
        return False


@dataclass(frozen=True)
class Sniff:
    """What a file that was not read looks like: its format, and how many objects and classes it holds.

    ``objects`` and ``classes`` are None where counting them would mean reading the whole format.
    ``read`` is False for a format this package recognises but does not read (yet).
    """

    format: str
    objects: int | None = None
    classes: int | None = None
    read: bool = True

    def describe(self) -> str:
        """``"CVAT for images 1.1 XML, 125 objects in 5 classes"``."""
        counts = []
        if self.objects is not None:
            counts.append(f"{self.objects:,} object(s)")
        if self.classes is not None:
            counts.append(f"{self.classes} class(es)")
        return self.format + (f", {' in '.join(counts)}" if counts else "")


def file_head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of a file, without a UTF-8 byte order mark or leading blanks (b"" when unreadable)."""
    try:
        with open(path, "rb") as f:
            return f.read(size).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return b""


_zip_roots: dict[Path, Path] = {}


def unpacked_from(folder: Path, archive: Path) -> None:
    """Remember that ``folder`` is ``archive`` unpacked, so messages name the zip, never the temporary folder."""
    _zip_roots[Path(folder)] = Path(archive)


def forget_unpacked(folder: Path) -> None:
    """The unpacked zip's folder is gone: stop naming paths below it after the zip."""
    _zip_roots.pop(Path(folder), None)


def shown(path: Path, root: Path | None = None) -> str:
    """A path as the student knows it: ``pen.zip:images/a.jpg`` inside an unpacked zip, else below ``root`` (or whole)."""
    path = Path(path)
    for folder, archive in _zip_roots.items():
        if path == folder or folder in path.parents:
            member = path.relative_to(folder).as_posix()
            return archive.name + (f":{member}" if member != "." else "")
    if root is not None:
        try:
            return path.relative_to(root).as_posix() or "."
        except ValueError:
            pass
    return str(path)


def images_by_name(images: list[Path]) -> dict[str, list[Path]]:
    """The images by their file name in lower case (several folders may hold the same name)."""
    found: dict[str, list[Path]] = defaultdict(list)
    for image in images:
        found[image.name.lower()].append(image)
    return found


def find_image(name: str, near: Path, by_name: dict[str, list[Path]]) -> Path | None:
    """The image an annotation names (a relative path, Windows or POSIX, or a bare name), nearest ``near`` first."""
    rel = name.replace("\\", "/")
    for root in (near, near / "images", near.parent / "images", near.parent):
        if (root / rel).is_file():
            return root / rel
    candidates = by_name.get(Path(rel).name.lower())
    if not candidates:
        return None
    return min(candidates, key=lambda p: (p.parent != near, len(p.parts), p.as_posix()))


class ImageIndex:
    """A folder's images by path, by file name and by stem: the image an annotation names is always one of them.

    Unlike :func:`find_image`, a name that leads outside the folder (``../x.jpg``, ``C:\\Users\\...``)
    never gives a file there, and a path with ``..`` gives the image as the folder's walk spells it.
    """

    def __init__(self, images: list[Path]):
        self.by_path = {os.path.normcase(os.path.normpath(p)): p for p in images}
        self.by_name, self.by_stem = images_by_name(images), defaultdict(list)
        for image in images:
            self.by_stem[image.stem.lower()].append(image)

    def at(self, path: Path) -> Path | None:
        """The image at ``path`` (normalised: ``a/../b.jpg``), if it is one of the folder's."""
        return self.by_path.get(os.path.normcase(os.path.normpath(path)))

    def named(self, name: str, near: Path) -> Path | None:
        """The image called ``name`` (any case), nearest ``near`` first."""
        return self._nearest(self.by_name.get(name.lower()), near)

    def stemmed(self, stem: str, near: Path) -> Path | None:
        """The image whose name without its ending is ``stem`` (any case), nearest ``near`` first."""
        return self._nearest(self.by_stem.get(stem.lower()), near)

    @staticmethod
    def _nearest(candidates: list[Path] | None, near: Path) -> Path | None:
        if not candidates:
            return None
        return min(candidates, key=lambda p: (p.parent != near, near not in p.parents, len(p.parts), p.as_posix()))


def image_size(image: Path) -> tuple[int, int]:
    """(width, height) of an image file as displayed (its EXIF rotation applied, as Ultralytics' ``exif_size``), read from its header."""
    from PIL import Image
    from ultralytics.data.utils import exif_size

    with Image.open(image) as im:
        return exif_size(im)
