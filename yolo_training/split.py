"""Splitting an export into train/val(/test) folders and writing ``config.yaml``.

The export stays untouched: images and labels are hard-linked (copied where the file system
cannot link) into the course's structure beside it::

    annotations/
      export/            <- Label Studio export, never changed
      images/train/ ...  <- generated (a marker file says so)
      labels/train/ ...

Generated folders carry a marker file; only folders with that marker are ever replaced.

The split is stratified (every class in every split, in proportion; an image with several
classes counts for each) and leakage-aware: near-duplicate photos and frames of one video are
grouped, and a group never straddles two splits.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd
import yaml

from ._errors import ConfigError, DatasetError
from ._folders import check_output, replace_output
from ._common import link_or_copy, list_images, progress_bar
from .dataset import HASH_THRESHOLD, DatasetReport, check_line, inspect_dataset

SPLIT_NAMES = ("train", "val", "test")
#: Marks folders written by :func:`split_dataset`; folders without it are never replaced.
SPLIT_MARKER = ".yolo-training-split"
#: Repairs ``fix=True`` applies (see :func:`split_dataset`).
FIXES = ("format", "clip", "degenerate", "exif")


@dataclass
class SplitResult:
    """Where the split went and what each part holds, what was left out and what was repaired."""

    out: Path
    config: Path | None
    files: dict[str, list[str]]  # split name -> image file names
    table: pd.DataFrame  # images, backgrounds, groups and instances per class for each split
    linked: bool  # True when files were hard-linked, False when copied
    removed: dict[str, list[str]] = field(default_factory=dict)  # reason -> image names left out
    repairs: list[str] = field(default_factory=list)  # one line per repair, with file and line
    groups: list[list[str]] = field(default_factory=list)  # groups of more than one image kept together
    n_groups: int = 0

    @property
    def largest_group(self) -> int:
        return max((len(g) for g in self.groups), default=1)

    def summary(self) -> str:
        how = "hard-linked" if self.linked else "copied"
        lines = [f"Split written to {self.out} (files {how}); config: {self.config}"]
        lines.append(f"{self.n_groups} groups kept whole ({len(self.groups)} of several images, largest {self.largest_group})")
        for reason, names in self.removed.items():
            lines.append(f"left out, {reason}: {len(names)}" + (f" (e.g. {', '.join(names[:3])})" if names else ""))
        if self.repairs:
            lines.append(f"{len(self.repairs)} repair(s):")
            lines += [f"  - {r}" for r in self.repairs[:20]]
            if len(self.repairs) > 20:
                lines.append(f"  ... and {len(self.repairs) - 20} more (see result.repairs)")
        lines.append(self.table.to_string())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from html import escape

        head = self.summary().rsplit("\n", len(self.table) + 1)[0]
        return f"<pre>{escape(head)}</pre>" + self.table.to_html()


def _allocate(n: int, ratios: tuple[float, ...]) -> list[int]:
    """Split ``n`` items by ``ratios`` with largest-remainder rounding."""
    exact = [n * r for r in ratios]
    counts = [int(e) for e in exact]
    for i in sorted(range(len(ratios)), key=lambda i: exact[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    return counts


def assign_groups(
    groups: dict[str, list[str]],
    classes_per_image: dict[str, list[int]],
    ratios: tuple[float, ...],
    seed: int = 42,
    fixed: dict[str, str] | None = None,
) -> dict[str, str]:
    """Stratified, reproducible assignment of whole groups of images to split names.

    Greedy: groups are visited largest first, then by their rarest class, in a seeded order, and
    each goes to the split that is least full relative to its share, in images, backgrounds and
    every class the group holds. ``fixed`` (image -> split) is kept as given and counted first. Every split
    gets at least one group when there are enough.
    """
    names = SPLIT_NAMES[: len(ratios)]
    fixed = dict(fixed or {})
    classes = sorted({c for cl in classes_per_image.values() for c in cl})
    dim_of = {c: 2 + i for i, c in enumerate(classes)}  # 0: images, 1: backgrounds, 2...: classes
    n_dims = 2 + len(classes)
    cache: dict[str, dict[int, int]] = {}

    def image_vector(m: str) -> dict[int, int]:
        v = cache.get(m)
        if v is None:
            cl = set(classes_per_image.get(m, []))
            v = {0: 1, **({1: 1} if not cl else {}), **{dim_of[c]: 1 for c in cl}}
            cache[m] = v
        return v

    def vector(members: Iterable[str]) -> dict[int, int]:
        total: dict[int, int] = {}
        for m in members:
            for d, k in image_vector(m).items():
                total[d] = total.get(d, 0) + k
        return total

    def add(split: str, v: dict[int, int], sign: int = 1) -> None:
        row = current[split]
        for d, k in v.items():
            row[d] += sign * k

    all_images = [m for g in groups.values() for m in g]
    tv = vector(all_images)
    totals = [max(tv.get(d, 0), 1) for d in range(n_dims)]
    current = {s: [0] * n_dims for s in names}
    share = dict(zip(names, ratios))
    for image, split in fixed.items():
        add(split, image_vector(image))
    free = {}
    for key in sorted(groups):
        members = [m for m in groups[key] if m not in fixed]
        pinned = {fixed[m] for m in groups[key] if m in fixed}
        if members:
            free[key] = (members, sorted(pinned))
    keys = sorted(free)
    random.Random(seed).shuffle(keys)

    def rarest(key):
        dims = {d for m in free[key][0] for d in image_vector(m) if d >= 2}
        return min((totals[d] for d in dims), default=len(all_images) + 1)

    keys.sort(key=lambda k: (-len(free[k][0]), rarest(k)))  # stable: ties keep the seeded order
    assignment = dict(fixed)
    placed: dict[str, list[str]] = {s: [] for s in names}
    for key in keys:
        members, pinned = free[key]
        v = vector(members)
        if pinned:  # a group with an explicitly placed image follows it: no leakage
            best = pinned[0]
        else:
            def fill(s: str) -> tuple[float, float]:
                # how full the split would be relative to its share: the group's classes and backgrounds, then images
                row, r = current[s], share[s]
                level = sum(k * (row[d] + k) / totals[d] for d, k in v.items() if d) / r
                return level + (row[0] + v[0]) / (r * totals[0]), -r

            best = min(names, key=fill)
        add(best, v)
        placed[best].append(key)
        for m in members:
            assignment[m] = best
    # exact image counts where single images allow it: move the single image whose classes the
    # donor holds most of (relative to its share) to the split below its count
    target = dict(zip(names, _allocate(len(all_images), ratios)))
    count = Counter(assignment[m] for m in all_images)

    def level(s: str, image: str) -> float:
        return sum(current[s][d] / (share[s] * totals[d]) for d in image_vector(image) if d)

    for _ in range(len(all_images)):
        over = [s for s in names if count[s] > target[s]]
        under = [s for s in names if count[s] < target[s]]
        if not over or not under:
            break
        donor, taker = over[0], under[0]
        singles = [k for k in placed[donor] if len(free[k][0]) == 1 and not free[k][1]]
        if not singles:
            break
        key = max(singles, key=lambda k: (level(donor, free[k][0][0]) - level(taker, free[k][0][0]), k))
        image = free[key][0][0]
        placed[donor].remove(key)
        placed[taker].append(key)
        add(donor, image_vector(image), -1)
        add(taker, image_vector(image))
        assignment[image] = taker
        count[donor] -= 1
        count[taker] += 1
    # every split must hold at least one image: move the smallest group of the fullest split
    for s in names:
        if not any(split == s for split in assignment.values()):
            donor = max(names, key=lambda d: (len(placed[d]) > 1, current[d][0]))
            if len(placed[donor]) <= 1:
                break
            key = min(placed[donor], key=lambda k: (len(free[k][0]), k))
            placed[donor].remove(key)
            placed[s].append(key)
            for m in free[key][0]:
                assignment[m] = s
            add(s, vector(free[key][0]))
            add(donor, vector(free[key][0]), -1)
    return assignment


def assign_splits(classes_per_image: dict[str, list[int]], ratios: tuple[float, ...], seed: int = 42) -> dict[str, str]:
    """Stratified, reproducible assignment of image names to split names (each image on its own)."""
    return assign_groups({name: [name] for name in classes_per_image}, classes_per_image, ratios, seed)


# Label Studio prefixes uploaded files with 8 hex digits and a dash.
_LS_PREFIX = re.compile(r"^[0-9a-f]{8}-")
_FRAME_AUTO = re.compile(r"^(?P<prefix>.*?(?:frame|frm)[^0-9]*?)(?P<num>\d+)$", re.IGNORECASE)
_FRAME_ANY = re.compile(r"^(?P<prefix>.*?)(?P<num>\d+)$")


def frame_sequences(names: Iterable[str], frames: bool | str = "auto") -> dict[str, list[str]]:
    """Image names grouped by video: same name up to a frame number (``clip3_frame_0012.jpg``).

    ``frames="auto"`` only reads names that say ``frame``/``frm`` (camera names like
    ``IMG_0034`` are separate photos); ``True`` reads any name ending in a number.
    """
    if not frames:
        return {}
    pattern = _FRAME_AUTO if frames == "auto" else _FRAME_ANY
    sequences: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for name in names:
        stem = _LS_PREFIX.sub("", Path(name).stem)
        m = pattern.match(stem)
        if m:
            sequences[m["prefix"].rstrip("_- .").lower()].append((int(m["num"]), name))
    return {p: [n for _, n in sorted(v)] for p, v in sorted(sequences.items()) if len(v) > 1}


def _group_images(
    names: list[str], report: DatasetReport, frames: bool | str, max_group: int, extra: Callable[[str], str] | dict | None
) -> tuple[dict[str, list[str]], list[str]]:
    """Union of near-duplicate groups, frame sequences (cut into runs of ``max_group``) and
    user groups. Returns group key -> members, and notes on sequences that were cut."""
    parent = {n: n for n in names}

    def find(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def union(members):
        members = [m for m in members if m in parent]
        for m in members[1:]:
            a, b = find(members[0]), find(m)
            if a != b:
                parent[max(a, b)] = min(a, b)

    notes = []
    for group in report.duplicates + report.near_duplicates:
        union(group)
    for prefix, seq in frame_sequences(names, frames).items():
        if len(seq) > max_group:  # one long video: contiguous runs, leakage only at run edges
            runs = (len(seq) + max_group - 1) // max_group
            notes.append(f"sequence {prefix!r} ({len(seq)} frames) cut into {runs} runs of consecutive frames")
            for i in range(0, len(seq), max_group):
                union(seq[i : i + max_group])
        else:
            union(seq)
    if extra is not None:
        by_key = defaultdict(list)
        for n in names:
            key = extra.get(n) if isinstance(extra, dict) else extra(n)
            if key is not None:
                by_key[key].append(n)
        for members in by_key.values():
            union(members)
    groups = defaultdict(list)
    for n in names:
        groups[find(n)].append(n)
    return dict(groups), notes


def _is_generated(folder: Path) -> bool:
    return (folder / SPLIT_MARKER).is_file()


def _prepare(folder: Path, overwrite: bool) -> None:
    replace_output(folder, SPLIT_MARKER, overwrite, "an earlier split",
                   "Generated by yolo-training's split_dataset: this folder is replaced when the split is made again.")


def write_config(config: str | Path, dataset_root: str | Path, names: list[str], splits: tuple[str, ...] = ("train", "val")) -> Path:
    """Write a ``config.yaml`` for Ultralytics whose ``path`` is relative to the file itself."""
    config = Path(config).resolve()
    root = Path(dataset_root).resolve()
    try:
        rel = Path(os.path.relpath(root, config.parent)).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        rel = root.as_posix()
    data = {"path": rel}
    for split in splits:
        data[split] = f"images/{split}"
    data["nc"] = len(names)
    data["names"] = dict(enumerate(names))
    header = (
        "# Written by yolo-training (split_dataset). `path` is relative to this file;\n"
        "# yolo_training.train() resolves it, so training works from any folder.\n"
    )
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return config


def load_config(config: str | Path = "config.yaml") -> dict:
    """Read ``config.yaml`` and resolve its ``path`` against the file's own folder.

    Checks that the split folders exist and hold images, and says how to create them if not.
    """

    config = Path(config)
    if not config.is_file():
        raise ConfigError(
            f"{config.resolve()} does not exist. Create it with `yolo-training split` "
            "(or split_dataset() in a notebook), which splits annotations/export and writes config.yaml."
        )
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{config} is not valid YAML: {err}") from err
    for key in ("train", "val", "names"):
        if key not in data:
            raise ConfigError(f"{config} has no '{key}' entry. Write it again with `yolo-training split`.")
    root = Path(data.get("path") or ".")
    root = root if root.is_absolute() else (config.resolve().parent / root)
    data["path"] = str(root.resolve())
    for split in ("train", "val", "test"):
        if split not in data or data[split] is None:
            continue
        folder = Path(data["path"]) / data[split]
        if not folder.is_dir():
            raise ConfigError(
                f"The {split} folder {folder} named in {config} does not exist yet. Run `yolo-training split` "
                "(or split_dataset()) to create the split folders from annotations/export."
            )
        if folder.is_dir() and folder.parent.name == "images" and not list_images(folder):
            raise ConfigError(f"The {split} folder {folder} named in {config} holds no images. Run the split again.")
    return data


def _read_list(value, where: str) -> list[str]:
    """A list of image names/stems/paths, or a text file with one per line."""
    if isinstance(value, (str, Path)) and Path(value).is_file():
        return [line.strip() for line in Path(value).read_text(encoding="utf-8").splitlines() if line.strip()]
    if isinstance(value, (str, Path)):
        raise DatasetError(f"{where}={value!r} is neither a list of images nor an existing text file listing them.")
    return [str(v) for v in value]


def export_split_files(source: str | Path) -> dict[str, Path]:
    """The split files an export brings, if any: ``splits/{train,val,test}.txt`` (written by
    :func:`import_export`), Pascal VOC's ``ImageSets/Main/*.txt`` or ``{train,val,test}.txt``."""
    source = Path(source)
    for folder in (source / "splits", source / "ImageSets" / "Main", source):
        found = {s: folder / f"{s}.txt" for s in SPLIT_NAMES if (folder / f"{s}.txt").is_file()}
        if "train" in found and "val" in found:
            return found
    return {}


def _resolve(entries: list[str], images: list[str], where: str) -> list[str]:
    by_name = {n: n for n in images}
    by_stem = {Path(n).stem: n for n in images}
    out, unknown = [], []
    for e in entries:
        exact = e.replace("\\", "/")
        key = Path(exact).name
        hit = by_name.get(exact) or by_name.get(key) or by_stem.get(key) or by_stem.get(Path(key).stem)
        (out if hit else unknown).append(hit or e)
    if unknown:
        raise DatasetError(
            f"{len(unknown)} image(s) in {where} are not in the export: {', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}. "
            "Use file names (or stems) of images in its images/ folder."
        )
    return out


def _fixes(fix) -> set[str]:
    if not fix:
        return set()
    if fix is True:
        return set(FIXES)
    chosen = {fix} if isinstance(fix, str) else set(fix)
    unknown = chosen - set(FIXES)
    if unknown:
        raise DatasetError(f"fix={fix!r}: unknown repair(s) {sorted(unknown)}; choose from {FIXES} or fix=True for all.")
    return chosen


def _repaired_label(label: Path, fixes: set[str], repairs: list[str]) -> str | None:
    """The label text with tiny overshoots clipped and degenerate shapes dropped (None: unchanged)."""
    lines, changed = [], False
    for number, raw in enumerate(label.read_bytes().decode("utf-8-sig").splitlines(), start=1):
        parts = raw.split()
        try:
            values = [float(v) for v in parts[1:]]
        except ValueError:
            values = []
        issue = check_line(values) if len(values) >= 4 else None
        kind = issue[0] if issue else None
        if kind == "degenerate" and "degenerate" in fixes:
            repairs.append(f"{label}, line {number}: dropped a degenerate {'box' if len(values) == 4 else 'polygon'}")
            changed = True
            continue
        if kind == "overshoot" and "clip" in fixes:
            if len(values) == 4:
                x, y, w, h = values
                x0, y0 = max(0.0, x - w / 2), max(0.0, y - h / 2)
                x1, y1 = min(1.0, x + w / 2), min(1.0, y + h / 2)
                values = [(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]
            else:
                values = [min(1.0, max(0.0, v)) for v in values]
            raw = " ".join([parts[0]] + [f"{v:.6f}" for v in values])
            repairs.append(f"{label}, line {number}: clipped to the image")
            changed = True
        lines.append(raw)
    return "\n".join(lines) + ("\n" if lines else "") if changed else None


def _repair_image(src: Path, dst: Path, fixes: set[str], kinds: set[str], repairs: list[str]) -> bool:
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


def _check_outputs(folders: list[Path], overwrite: bool) -> None:
    """Refuse before anything is deleted: every existing output folder must be ours, and overwrite given."""
    for folder in folders:
        check_output(folder, SPLIT_MARKER, True, "")
    for folder in folders:
        check_output(folder, SPLIT_MARKER, overwrite, "an earlier split")


def split_dataset(
    source: str | Path = "annotations/export",
    out: str | Path | None = None,
    ratios: tuple[float, ...] = (0.8, 0.2),
    seed: int = 42,
    config: str | Path | None = "config.yaml",
    overwrite: bool = False,
    *,
    train: Iterable[str] | str | None = None,
    val: Iterable[str] | str | None = None,
    test: Iterable[str] | str | None = None,
    export_splits: bool = False,
    group: bool = True,
    frames: bool | str = "auto",
    groups: Callable[[str], str] | dict | None = None,
    threshold: int = HASH_THRESHOLD,
    fix: bool | str | Iterable[str] = False,
    remove_duplicates: bool = False,
    remove_near_duplicates: bool = False,
    keep_complete: bool = False,
    drop_unlabelled: bool = False,
    max_backgrounds: float | None = None,
    report: DatasetReport | None = None,
    progress: bool = True,
) -> SplitResult:
    """Split an export into ``out/images|labels/{train,val[,test]}`` and write ``config.yaml``.

    ``ratios``: (train, val) or (train, val, test), summing to 1. Stratified by class and
    reproducible for the same input and ``seed``. With ``group`` (default), near-duplicate photos
    and frames of one video (``frames``: "auto" reads names with "frame"; True any trailing
    number; ``groups``: your own image -> group key) stay in one split. ``train``/``val``/``test``
    (lists of names or a text file) or ``export_splits=True`` (the export's own split files)
    place images explicitly; the rest is split by ``ratios``.

    Images Ultralytics cannot train on (see :func:`inspect_dataset`) are left out and listed in
    ``result.removed``, unless ``fix`` repairs them into the split: ``"format"`` (real format
    for the extension, no alpha), ``"clip"`` (tiny overshoots), ``"degenerate"`` (drop zero-area
    shapes), ``"exif"`` (upright pixels), or ``True`` for all. Cleaning (never deleting from the
    export): ``remove_duplicates``, ``remove_near_duplicates``, ``keep_complete`` (only images
    holding every class), ``drop_unlabelled`` (no label file), ``max_backgrounds`` (a share, e.g. 0.1).

    Files are hard-linked (copied where that fails); the export is never changed. ``out``
    defaults to the export's parent. Earlier splits are replaced only with ``overwrite=True``.
    """
    if report is None:
        report = inspect_dataset(source, near_duplicates=group or remove_near_duplicates, threshold=threshold, progress=progress)
    source = report.path
    fixes = _fixes(fix)
    explicit = {s: v for s, v in (("train", train), ("val", val), ("test", test)) if v is not None}
    classify = report.task == "classify"
    if export_splits and not explicit:
        if classify and report.splits:
            explicit = {sp: [n for n, o in report.splits.items() if o == sp] for sp in SPLIT_NAMES if sp in report.splits.values()}
        else:
            explicit = export_split_files(source)
        if not explicit:
            raise DatasetError(f"export_splits=True, but {source} has no split files (splits/train.txt and val.txt, or ImageSets/Main/).")
    if "test" in explicit and len(ratios) == 2:
        ratios = (ratios[0] * 0.9, ratios[1] * 0.9, 0.1) if not explicit.keys() >= {"train", "val"} else (0.7, 0.2, 0.1)
    if len(ratios) not in (2, 3) or any(r <= 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise DatasetError(f"ratios={ratios} must be 2 or 3 positive numbers that sum to 1, e.g. (0.8, 0.2) or (0.7, 0.2, 0.1).")
    out = Path(out) if out is not None else (source.parent / f"{source.name}-split" if classify else source.parent)
    if classify and out.resolve() == source.resolve():
        raise DatasetError(f"out={out} is the image folder itself; the split must go into another folder.")
    if (out / "images").resolve() == (source / "images").resolve():
        raise DatasetError(f"out={out} is the export itself; the split must go beside it (e.g. its parent folder).")
    split_names = SPLIT_NAMES[: len(ratios)]
    df = report.images
    image_of_label = {label: image for image, label in zip(df["image"], df["label"]) if label}
    problems_of: dict[str, list] = defaultdict(list)
    for p in report.problems:
        file = Path(p.file)
        if classify:
            image = os.path.relpath(file, report.image_root).replace(os.sep, "/")
        else:
            image = file.name if file.parent.name == "images" else image_of_label.get(file.name)
        if image is not None:
            problems_of[image].append(p)

    # 1. leave out what cannot be trained on (unless repaired) and what the cleaning options remove
    removed: dict[str, list[str]] = {}
    keep = []
    repairable = {"format": "format", "degenerate": "degenerate"}
    for name in df["image"]:
        errors = [p for p in problems_of[name] if p.severity == "error"]
        unfixed = [p for p in errors if repairable.get(p.kind) not in fixes]
        if unfixed:
            removed.setdefault("cannot be trained on (see the report)", []).append(name)
        else:
            keep.append(name)
    if remove_duplicates:
        gone = {n for g in report.duplicates for n in g[1:]}
        removed["exact duplicates"] = [n for n in keep if n in gone]
        keep = [n for n in keep if n not in gone]
    if remove_near_duplicates:
        gone = {n for g in report.near_duplicates for n in g[1:]}
        removed["near-duplicates"] = [n for n in keep if n in gone]
        keep = [n for n in keep if n not in gone]
    all_classes = dict(zip(df["image"], df["classes"]))
    has_label = dict(zip(df["image"], df["has_label"]))
    classes_of = {n: list(all_classes[n]) for n in keep}
    if keep_complete:
        everything = set(range(len(report.names)))
        removed["not every class annotated"] = [n for n in keep if not everything <= set(classes_of[n])]
        keep = [n for n in keep if everything <= set(classes_of[n])]
    if drop_unlabelled:
        removed["no label file"] = [n for n in keep if not has_label[n]]
        keep = [n for n in keep if has_label[n]]
    if max_backgrounds is not None:
        if not 0 <= max_backgrounds < 1:
            raise DatasetError(f"max_backgrounds={max_backgrounds} must be a share between 0 and 1, e.g. 0.1 for at most 10 %.")
        backgrounds = [n for n in keep if not classes_of[n]]
        n_objects = len(keep) - len(backgrounds)
        allowed = int(max_backgrounds * n_objects / (1 - max_backgrounds))
        if len(backgrounds) > allowed:
            random.Random(seed).shuffle(backgrounds)
            gone = set(backgrounds[allowed:])
            removed["backgrounds above the share"] = sorted(gone)
            keep = [n for n in keep if n not in gone]
    keep_set = set(keep)
    if len(keep) < len(split_names):
        raise DatasetError(
            f"{source} leaves {len(keep)} usable image(s) after checks and cleaning, too few for {len(split_names)} splits: "
            f"each split needs at least one. Left out: { {k: len(v) for k, v in removed.items()} }. Annotate more images or fix the problems in the report."
        )

    # 2. groups and the assignment
    fixed: dict[str, str] = {}
    for split, value in explicit.items():
        listed = _resolve(_read_list(value, split), df["image"].tolist(), f"{split}=" if not export_splits else str(value))
        for name in listed:
            if name in fixed and fixed[name] != split:
                raise DatasetError(f"{name} is listed for both {fixed[name]} and {split}; an image can only be in one split.")
            if name in keep_set:
                fixed[name] = split
    if group:
        max_group = max(1, int(len(keep) * min(ratios)))  # a group never outgrows the smallest split
        image_groups, notes = _group_images(keep, report, frames, max_group, groups)
    else:
        image_groups, notes = {n: [n] for n in keep}, []
    if explicit.keys() >= set(split_names):  # every split listed: unlisted images stay out
        unlisted = [n for n in keep if n not in fixed]
        if unlisted:
            removed["not in the explicit lists"] = unlisted
        image_groups = {k: [m for m in g if m in fixed] for k, g in image_groups.items()}
        image_groups = {k: g for k, g in image_groups.items() if g}
    if len(image_groups) < len(split_names):
        raise DatasetError(
            f"{source}: the {len(keep)} images form only {len(image_groups)} group(s) of near-duplicates or video frames, too few "
            f"for {len(split_names)} splits. Add images from other scenes, or pass group=False (validation then overlaps training)."
        )
    assignment = assign_groups(image_groups, classes_of, tuple(ratios), seed, fixed)
    files: dict[str, list[str]] = {s: sorted(n for n, sp in assignment.items() if sp == s) for s in split_names}
    empty = [s for s in split_names if not files[s]]
    if empty:
        raise DatasetError(f"The split {empty} would be empty: the explicit lists leave no image for it. List images for it or change the ratios.")

    # 3. write: refuse before deleting anything
    if classify:
        linked, repairs = _write_classify(report, out, files, overwrite, fixes, problems_of, progress)
        return _finish(report, out, files, image_groups, removed, repairs, notes, linked, None if config is None else out, split_names)
    _check_outputs([out / "images", out / "labels"], overwrite)
    for kind in ("images", "labels"):
        _prepare(out / kind, overwrite)
    linked = True
    repairs: list[str] = []
    todo = [(s, n) for s in split_names for n in files[s]]
    for split in split_names:
        (out / "images" / split).mkdir()
        (out / "labels" / split).mkdir()
    # plain strings and one directory listing: this loop runs for every file (see bench_dataset.py)
    src_images, src_labels = os.fspath(source / "images"), os.fspath(source / "labels")
    dst_images, dst_labels = os.fspath(out / "images"), os.fspath(out / "labels")
    label_files = set(os.listdir(src_labels)) if os.path.isdir(src_labels) else set()
    for split, image_name in progress_bar(todo, len(todo), "Linking files", progress):
        src = os.path.join(src_images, image_name)
        dst = os.path.join(dst_images, split, image_name)
        kinds = {p.kind for p in problems_of[image_name]} if image_name in problems_of else set()
        if not (kinds and fixes and _repair_image(Path(src), Path(dst), fixes, kinds, repairs)):
            linked &= link_or_copy(src, dst)
        label_name = os.path.splitext(image_name)[0] + ".txt"
        if label_name in label_files:
            label = os.path.join(src_labels, label_name)
            text = _repaired_label(Path(label), fixes, repairs) if fixes & {"clip", "degenerate"} and kinds & {"overshoot", "degenerate"} else None
            if text is None:
                linked &= link_or_copy(label, os.path.join(dst_labels, split, label_name))
            else:
                Path(dst_labels, split, label_name).write_text(text, encoding="utf-8")
    config_path = write_config(config, out, report.names, split_names) if config is not None else None
    return _finish(report, out, files, image_groups, removed, repairs, notes, linked, config_path, split_names)


def _write_classify(report, out: Path, files, overwrite: bool, fixes, problems_of, progress: bool) -> tuple[bool, list[str]]:
    """Classification: ``out/{train,val,test}/<class>/`` as Ultralytics reads it, a marker in each split."""
    folders = [out / s for s in files]
    _check_outputs(folders, overwrite)
    for folder in folders:
        _prepare(folder, overwrite)
    linked, repairs = True, []
    todo = [(s, n) for s in files for n in files[s]]
    for split, rel in progress_bar(todo, len(todo), "Linking files", progress):
        cls = rel.split("/")[-2]  # <class>/<file> or <split>/<class>/<file>
        dst = out / split / cls / rel.split("/")[-1]
        dst.parent.mkdir(exist_ok=True)
        if dst.exists():  # the same file name in two of the export's own splits
            dst = dst.with_name(f"{rel.split('/')[0]}-{dst.name}")
        src = report.image_root / rel
        kinds = {p.kind for p in problems_of.get(rel, [])}
        if not (kinds and fixes and _repair_image(src, dst, fixes, kinds, repairs)):
            linked &= link_or_copy(src, dst)
    return linked, repairs


def _finish(report, out, files, image_groups, removed, repairs, notes, linked, config_path, split_names) -> SplitResult:
    df = report.images
    group_of = {m: k for k, g in image_groups.items() for m in g}
    rows = {}
    for split in split_names:
        subset = df[df["image"].isin(files[split])]
        row = {"images": len(subset), "backgrounds": int((subset["n_objects"] == 0).sum()), "groups": len({group_of[n] for n in files[split]})}
        counts = Counter(c for classes in subset["classes"] for c in classes)
        for i, name in enumerate(report.names):
            row[name] = counts.get(i, 0)
        rows[split] = row
    table = pd.DataFrame(rows).T
    several = sorted((sorted(g) for g in image_groups.values() if len(g) > 1), key=lambda g: (-len(g), g))
    result = SplitResult(
        out=out.resolve(), config=config_path, files=files, table=table, linked=linked,
        removed={k: v for k, v in removed.items()}, repairs=repairs + notes, groups=several, n_groups=len(image_groups),
    )
    return result
