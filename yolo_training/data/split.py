"""Splitting a dataset into train/val(/test) folders and writing ``config.yaml``.

The dataset stays untouched: images and labels are hard-linked (copied where the file system
cannot link; converted VOC/COCO labels written) into the course's structure beside it::

    annotations/
      export/            <- the dataset as downloaded or exported, never changed
      images/train/ ...  <- generated (a marker file says so)
      labels/train/ ...

Even a dataset already in Ultralytics' layout is linked, never trained in place: Ultralytics
writes ``labels/*.cache`` files beside the labels it reads, and the source must not change.
Generated folders carry a marker file; only folders with that marker are ever replaced.

A split its publisher made (Roboflow's ``valid/``, ``images/val/``, VOC's ``ImageSets``) is kept
by default. Otherwise the split is stratified (every class in every split, in proportion; an
image with several classes counts for each) and leakage-aware: near-duplicate photos and frames
of one video are grouped (:mod:`~yolo_training.data.grouping`), and a group never straddles two splits.
"""

from __future__ import annotations

import os
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from ..core.common import link_or_copy, progress_bar
from ..core.errors import DatasetError
from ..core.folders import check_output, replace_output
from .config import write_config
from .convert import unique_name
from .duplicates import HASH_THRESHOLD
from .formats.accounting import refuse_lost
from .formats.recognition import opened, recognise
from .grouping import SPLIT_NAMES, assign_groups, group_images
from .inspection import DatasetReport, inspect_layout
from .labels import read_text
from .layout import Item, shown
from .repairs import REPAIRABLE, chosen_fixes, repair_image, repaired_labels

#: Marks folders written by :func:`split_dataset`; folders without it are never replaced.
SPLIT_MARKER = ".yolo-training-split"


@dataclass
class SplitResult:
    """Where the split went and what each part holds, what was left out and what was repaired.

    Examples:
        >>> result = split_dataset("annotations/export", overwrite=True)  # doctest: +SKIP
        >>> result.table  # doctest: +SKIP
    """

    out: Path
    config: Path | None
    files: dict[str, list[str]]  # split name -> image file names
    table: pd.DataFrame  # images, backgrounds, groups and instances per class for each split
    linked: bool  # True when files were hard-linked, False when copied
    removed: dict[str, list[str]] = field(default_factory=dict)  # reason -> image names left out
    repairs: list[str] = field(default_factory=list)  # one line per repair, with file and line
    groups: list[list[str]] = field(default_factory=list)  # groups of more than one image kept together
    n_groups: int = 0
    how: str = ""  # how the split was made: the publisher's kept, or by ratios

    @property
    def largest_group(self) -> int:
        return max((len(g) for g in self.groups), default=1)

    def summary(self) -> str:
        linked = "hard-linked" if self.linked else "copied"
        lines = [self.how] if self.how else []
        lines.append(f"Split written to {self.out} (files {linked}); config: {self.config}")
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


def _read_list(value, where: str) -> list[str]:
    """A list of image names/stems/paths, or a text file with one per line."""
    if isinstance(value, (str, Path)) and Path(value).is_file():
        return [line.strip() for line in Path(value).read_text(encoding="utf-8").splitlines() if line.strip()]
    if isinstance(value, (str, Path)):
        raise DatasetError(f"{where}={value!r} is neither a list of images nor an existing text file listing them.")
    return [str(v) for v in value]


def _resolve(entries: list[str], images: list[str], where: str) -> list[str]:
    """The dataset's names of listed images, given by name, path or stem."""
    by_name = {n: n for n in images}
    by_stem: dict[str, str] = {}
    for n in images:
        by_name.setdefault(n.rsplit("/", 1)[-1], n)
        by_stem.setdefault(Path(n).stem, n)
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


def _check_outputs(folders: list[Path], overwrite: bool) -> None:
    """Refuse before anything is deleted: every existing output folder must be ours, and overwrite given."""
    for folder in folders:
        check_output(folder, SPLIT_MARKER, True, "")
    for folder in folders:
        check_output(folder, SPLIT_MARKER, overwrite, "an earlier split")




# --------------------------------------------------------------------------------------------
# split_dataset, step by step


@dataclass
class _Cleaning:
    """What the caller asked to leave out (see :func:`split_dataset`)."""

    fixes: set[str]
    remove_duplicates: bool = False
    remove_near_duplicates: bool = False
    keep_complete: bool = False
    drop_unlabelled: bool = False
    max_backgrounds: float | None = None
    seed: int = 42


def _problems_by_image(report: DatasetReport) -> dict[str, list]:
    problems_of: dict[str, list] = defaultdict(list)
    for p in report.problems:
        if p.image is not None:
            problems_of[p.image].append(p)
    return problems_of


def _usable(report: DatasetReport, problems_of: dict, cleaning: _Cleaning) -> tuple[list[str], dict[str, list[str]]]:
    """The images to split, and those left out by reason: errors not repaired, then cleaning."""
    df = report.images
    removed: dict[str, list[str]] = {}
    keep = []
    for name in df["image"]:
        if any(p.severity == "error" and REPAIRABLE.get(p.kind) not in cleaning.fixes for p in problems_of.get(name, ())):
            removed.setdefault("cannot be trained on (see the report)", []).append(name)
        else:
            keep.append(name)

    def drop(reason: str, gone: set[str]) -> None:
        nonlocal keep
        removed[reason] = [n for n in keep if n in gone]
        keep = [n for n in keep if n not in gone]

    classes_of = dict(zip(df["image"], df["classes"]))
    if cleaning.remove_duplicates:
        drop("exact duplicates", {n for g in report.duplicates for n in g[1:]})
    if cleaning.remove_near_duplicates:
        drop("near-duplicates", {n for g in report.near_duplicates for n in g[1:]})
    if cleaning.keep_complete:
        everything = set(range(len(report.names)))
        drop("not every class annotated", {n for n in keep if not everything <= set(classes_of[n])})
    if cleaning.drop_unlabelled:
        has_label = dict(zip(df["image"], df["has_label"]))
        drop("no label file", {n for n in keep if not has_label[n]})
    if cleaning.max_backgrounds is not None:
        backgrounds = [n for n in keep if not classes_of[n]]
        allowed = int(cleaning.max_backgrounds * (len(keep) - len(backgrounds)) / (1 - cleaning.max_backgrounds))
        if len(backgrounds) > allowed:
            random.Random(cleaning.seed).shuffle(backgrounds)
            removed["backgrounds above the share"] = sorted(backgrounds[allowed:])
            gone = set(backgrounds[allowed:])
            keep = [n for n in keep if n not in gone]
    return keep, removed


@dataclass
class _Placement:
    """Images whose split is given (by the caller's lists or the publisher), and the splits to make."""

    fixed: dict[str, str]
    ratios: tuple[float, ...]
    split_names: tuple[str, ...]
    how: str
    closed: bool  # every split is given: images not placed stay out


def _no_images_why(report: DatasetReport) -> str:
    """What the problems say about images that were not found, and what to do."""
    missing = [p for p in report.problems if p.kind == "missing-image"]
    if not missing:
        return "put the images beside the annotations (or in images/), then call again."
    return (f"{len(missing)} image(s) are named but not found, e.g. {Path(missing[0].file).name}: {missing[0].message} "
            "Put the images where the annotations say, or give the folder that holds both.")


def _named(report: DatasetReport) -> str:
    """The dataset as the student knows it: its folder, or its zip (never the folder the zip was unpacked into)."""
    return str(report.source) if report.source is not None else shown(report.path)


def _publisher_split(report: DatasetReport, export_splits: bool, keep_split: bool) -> dict[str, list[str]]:
    splits = {s: [n for n, sp in report.splits.items() if sp == s] for s in SPLIT_NAMES}
    splits = {s: names for s, names in splits.items() if names}
    if export_splits and not ("train" in splits and len(splits) > 1):
        raise DatasetError(f"export_splits=True, but {_named(report)} has no split of its own (splits/train.txt and val.txt, ImageSets/Main/, or train/ and val/ folders).")
    if not (export_splits or keep_split) or "train" not in splits or len(splits) < 2:
        return {}
    return splits


def _placement(report: DatasetReport, keep: list[str], ratios, explicit: dict, export_splits: bool, keep_split: bool) -> _Placement:
    """Where images go before any splitting by ratios: the caller's lists first, else the publisher's split."""
    ratios = tuple(ratios)
    given = {s: _resolve(_read_list(v, s), report.images["image"].tolist(), f"{s}=") for s, v in explicit.items()}
    how = "the lists given (train=, val=, test=)"
    if not given:
        given = _publisher_split(report, export_splits, keep_split)
        how = "the publisher's split kept (keep_split=False splits by ratios instead)"
        if given and "val" not in given:  # train and test given: val comes out of train by the ratios
            ratios = ratios[:2] if len(ratios) == 3 else ratios
            names = SPLIT_NAMES[: len(ratios)] + ("test",)
            return _Placement(_fixed({"test": given["test"]}, set(keep)), ratios, names, how + "; val split from train by ratios", False)
        if given:
            names = tuple(s for s in SPLIT_NAMES if s in given)
            ratios = ratios if len(ratios) == len(names) else ((0.8, 0.2) if len(names) == 2 else (0.7, 0.2, 0.1))
            return _Placement(_fixed(given, set(keep)), ratios, names, how, True)
    if "test" in given and len(ratios) == 2:
        ratios = (ratios[0] * 0.9, ratios[1] * 0.9, 0.1) if not given.keys() >= {"train", "val"} else (0.7, 0.2, 0.1)
    if len(ratios) not in (2, 3) or any(r <= 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise DatasetError(f"ratios={ratios} must be 2 or 3 positive numbers that sum to 1, e.g. (0.8, 0.2) or (0.7, 0.2, 0.1).")
    names = SPLIT_NAMES[: len(ratios)]
    if not given:
        how = f"split by ratios {' / '.join(f'{r:g}' for r in ratios)}, stratified by class"
    return _Placement(_fixed(given, set(keep)), ratios, names, how, bool(given) and given.keys() >= set(names))


def _why_empty(placement: _Placement, group: bool) -> str:
    """Why a split got no image, and what to do: the lists given, the publisher's split, or groups of near-duplicates."""
    if placement.how.startswith("the lists given"):
        return "the explicit lists leave no image for it. List images for it or change the ratios."
    if group:
        return ("near-duplicates are kept together, and every group left holds an image whose split is given (by the publisher), "
                "so none is free for it. Pass group=False (validation then overlaps training) or keep_split=False (a new split).")
    return "the given split leaves no image for it. Pass keep_split=False to split by ratios."


def _fixed(given: dict[str, list[str]], keep: set[str]) -> dict[str, str]:
    fixed: dict[str, str] = {}
    for split, listed in given.items():
        for name in listed:
            if name in fixed and fixed[name] != split:
                raise DatasetError(f"{name} is listed for both {fixed[name]} and {split}; an image can only be in one split.")
            if name in keep:
                fixed[name] = split
    return fixed


def _groups(report: DatasetReport, keep: list[str], placement: _Placement, group: bool, frames, extra) -> tuple[dict[str, list[str]], list[str]]:
    """The groups to keep whole; with every split given, only the given images, and a note on leaks."""
    if not group:
        image_groups, notes = {n: [n] for n in keep}, []
    else:
        max_group = max(1, int(len(keep) * min(placement.ratios)))  # a group never outgrows the smallest split
        image_groups, notes = group_images(keep, report.duplicates + report.near_duplicates, frames if not placement.closed else False, max_group, extra)
    if placement.closed:
        fixed = placement.fixed
        leaks = [g for g in image_groups.values() if len({fixed.get(m) for m in g if m in fixed}) > 1]
        notes = [f"{len(leaks)} group(s) of near-duplicates straddle the given splits (e.g. {leaks[0][:3]}): validation overestimates the model"] if leaks else []
        image_groups = {k: [m for m in g if m in fixed] for k, g in image_groups.items()}
        image_groups = {k: g for k, g in image_groups.items() if g}
    return image_groups, notes


def _write_detect(report: DatasetReport, out: Path, files: dict[str, list[str]], overwrite: bool, fixes: set[str], problems_of: dict, progress: bool) -> tuple[bool, list[str]]:
    """Detection/segmentation: ``out/images/<split>/`` and ``out/labels/<split>/``, a marker in each."""
    _check_outputs([out / "images", out / "labels"], overwrite)
    for kind in ("images", "labels"):
        _prepare(out / kind, overwrite)
    items = {item.key: item for item in report.layout.items}
    linked, repairs = True, []
    todo = [(s, n) for s in files for n in files[s]]
    used: dict[str, set[str]] = {}
    for split in files:
        (out / "images" / split).mkdir()
        (out / "labels" / split).mkdir()
        used[split] = set()
    dst_images, dst_labels = os.fspath(out / "images"), os.fspath(out / "labels")
    for split, key in progress_bar(todo, len(todo), "Linking files", progress):
        item = items[key]
        name = unique_name(item.image, item.split or item.image.parent.name, used[split])
        dst = os.path.join(dst_images, split, name)
        kinds = {p.kind for p in problems_of[key]} if key in problems_of else set()
        if not (kinds and fixes and repair_image(item.image, Path(dst), fixes, kinds, repairs)):
            linked &= link_or_copy(item.image, dst)
        label_dst = os.path.join(dst_labels, split, os.path.splitext(name)[0] + ".txt")
        linked &= _write_label(item, label_dst, fixes, kinds, repairs)
    return linked, repairs


def _write_label(item: Item, dst: str, fixes: set[str], kinds: set[str], repairs: list[str]) -> bool:
    """The image's labels into the split: linked, or written when converted or repaired."""
    if item.label is None and item.text is None:
        return True  # a background without a label file: Ultralytics reads it as one
    repair = fixes & {"clip", "degenerate"} and kinds & {"overshoot", "degenerate"}
    if item.text is None and not repair:
        return link_or_copy(item.label, dst)
    text = item.text if item.text is not None else read_text(item.label)
    repaired = repaired_labels(text, fixes, repairs, item.label, item.origins) if repair else None
    Path(dst).write_text(repaired if repaired is not None else text, encoding="utf-8")
    return True


def _write_classify(report: DatasetReport, out: Path, files: dict[str, list[str]], overwrite: bool, fixes: set[str], problems_of: dict, progress: bool) -> tuple[bool, list[str]]:
    """Classification: ``out/{train,val,test}/<class>/`` as Ultralytics reads it, a marker in each split."""
    folders = [out / s for s in files]
    _check_outputs(folders, overwrite)
    for folder in folders:
        _prepare(folder, overwrite)
    items = {item.key: item for item in report.layout.items}
    linked, repairs = True, []
    todo = [(s, n) for s in files for n in files[s]]
    used: dict[tuple[str, str], set[str]] = defaultdict(set)
    for split, key in progress_bar(todo, len(todo), "Linking files", progress):
        item = items[key]
        cls = report.names[item.cls]
        (out / split / cls).mkdir(exist_ok=True)
        dst = out / split / cls / unique_name(item.image, item.split, used[(split, cls)])
        kinds = {p.kind for p in problems_of.get(key, [])}
        if not (kinds and fixes and repair_image(item.image, dst, fixes, kinds, repairs)):
            linked &= link_or_copy(item.image, dst)
    return linked, repairs


def _prepare(folder: Path, overwrite: bool) -> None:
    replace_output(folder, SPLIT_MARKER, overwrite, "an earlier split",
                   "Generated by yolo-training's split_dataset: this folder is replaced when the split is made again.")


def _output_folder(report: DatasetReport, out) -> Path:
    """Where the split goes (default: beside the dataset), refusing anywhere inside the dataset itself."""
    classify = report.task == "classify"
    origin = report.source or report.path  # the zip, or the dataset's folder
    if out is None:
        base = origin.with_suffix("") if report.source is not None else origin
        out = base.parent / f"{base.name}-split" if classify else origin.parent
    out = Path(out)
    if report.source is None:
        root = report.path.resolve()
        for part in [out] if classify else [out / "images", out / "labels"]:
            target = part.resolve()
            if target == root or root in target.parents:
                raise DatasetError(f"out={out} is the export itself, or inside it ({report.path}); the split must go beside it (e.g. its parent folder).")
    return out


def _finish(report, out, files, image_groups, removed, repairs, notes, linked, config_path, how) -> SplitResult:
    df = report.images.set_index("image")
    group_of = {m: k for k, g in image_groups.items() for m in g}
    rows = {}
    for split, names in files.items():
        subset = df.loc[names]
        row = {"images": len(subset), "backgrounds": int((subset["n_objects"] == 0).sum()), "groups": len({group_of.get(n, n) for n in names})}
        counts = Counter(c for classes in subset["classes"] for c in classes)
        for i, name in enumerate(report.names):
            row[name] = counts.get(i, 0)
        rows[split] = row
    table = pd.DataFrame(rows).T
    several = sorted((sorted(g) for g in image_groups.values() if len(g) > 1), key=lambda g: (-len(g), g))
    return SplitResult(
        out=out.resolve(), config=config_path, files=files, table=table, linked=linked, removed=dict(removed),
        repairs=repairs + notes + [f"left behind (allow_unread=True): {f}" for f in report.files if not f.used and f.severity == "error"],
        groups=several, n_groups=len(image_groups), how=how,
    )


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
    keep_split: bool = True,
    group: bool = True,
    frames: bool | str = "auto",
    groups: Callable[[str], str] | dict | None = None,
    threshold: int = HASH_THRESHOLD,
    fix: bool | str | Iterable[str] = "format",
    remove_duplicates: bool = False,
    remove_near_duplicates: bool = False,
    keep_complete: bool = False,
    drop_unlabelled: bool = False,
    max_backgrounds: float | None = None,
    report: DatasetReport | None = None,
    names: list[str] | dict | None = None,
    task: str = "auto",
    source_file: str | None = None,
    allow_unread: bool = False,
    progress: bool = True,
) -> SplitResult:
    """Split a dataset into ``out/images|labels/{train,val[,test]}`` and write ``config.yaml``.

    ``source`` is any dataset :func:`~yolo_training.data.inspection.inspect_dataset` reads, folder or
    ``.zip``. A split its publisher made (Roboflow's ``valid/``, ``images/val/``, a data YAML's
    ``val:``, VOC's ``ImageSets/Main``) is kept (``keep_split=False`` splits anew). Otherwise
    ``ratios`` (train, val) or (train, val, test) apply, stratified by class and reproducible for
    the same input and ``seed``; with ``group`` (default) near-duplicate photos and frames of one
    video (``frames``: "auto" reads names with "frame"; True any trailing number; ``groups``:
    your own image -> group key) stay in one split. ``train``/``val``/``test`` (lists of names
    or a text file) place images explicitly; the rest is split by ``ratios``.

    Every file of the dataset is accounted for (``report.files``): a split that would leave
    annotations behind (a file in a format this package does not read, or a second source with
    more objects than the one read) or a detection set without a single object is refused with
    the files and the way in, unless ``allow_unread=True``.

    Images Ultralytics cannot train on (see :func:`~yolo_training.data.inspection.inspect_dataset`)
    are left out and listed in ``result.removed``, unless ``fix`` repairs them into the split
    (:mod:`~yolo_training.data.repairs`: ``"format"``, ``"clip"``, ``"degenerate"``, ``"exif"``, or
    True for all; by default ``"format"``, as Ultralytics itself reads a WEBP or PNG named ``.jpg``:
    a real JPG is written into the split). Files are hard-linked (copied where that fails); the
    dataset is never changed.

    Args:
        source: the dataset folder or ``.zip``.
        out: where ``images/`` and ``labels/`` go (default: the dataset's parent folder;
            classification: ``<dataset>-split`` beside it).
        ratios: shares of train, val (and test), summing to 1.
        seed: the same seed gives the same split.
        config: the ``config.yaml`` to write (None: none).
        overwrite: replace an earlier split (only folders this function wrote).
        train: images for train (names, stems or a text file listing them); also ``val``, ``test``.
        export_splits: require the dataset's own split (an error when it has none).
        keep_split: keep the publisher's split when the dataset has one.
        group: keep near-duplicates and video frames in one split.
        frames: how video frames are recognised by name.
        groups: your own groups, image name -> key (a dict or a function).
        threshold: hash bits within which images are near-duplicates.
        fix: repairs into the split (see above; False: none, such images are left out).
        remove_duplicates: leave out all but one of exact duplicates.
        remove_near_duplicates: leave out all but one of each near-duplicate group.
        keep_complete: only images in which every class is annotated.
        drop_unlabelled: leave out images without a label file.
        max_backgrounds: the largest share of images without objects, e.g. 0.1.
        report: a report of this dataset from :func:`~yolo_training.data.inspection.inspect_dataset`
            (saves inspecting it again; not for a zip).
        names: class names for a dataset that does not name them (list in id order or ``{id: name}``).
        task: ``"segment"`` reads COCO polygons instead of boxes.
        source_file: with two sources of annotations in one folder, the file to read (``"annotations.xml"``).
        allow_unread: split even though annotation files were found but not read (they stay listed in the report).
        progress: show progress bars.

    Returns:
        The split: ``result.files`` (split -> images), ``result.table`` (images, backgrounds,
        groups and instances per class), ``result.removed``, ``result.repairs``, ``result.config``.

    Raises:
        DatasetError: the dataset cannot be read, would leave annotations behind, or leaves too few
            images; bad ratios or lists.
        NotGeneratedError: an output folder holds files this package did not write.
        OutputExistsError: an earlier split is there and ``overwrite`` is False.

    Examples:
        >>> result = yt.split_dataset("downloads/roboflow.zip", "annotations", config="config.yaml")  # doctest: +SKIP
        >>> print(result.how)  # doctest: +SKIP
        Roboflow YOLO export: the publisher's split kept (keep_split=False splits by ratios instead)
    """
    cleaning = _Cleaning(chosen_fixes(fix), remove_duplicates, remove_near_duplicates, keep_complete, drop_unlabelled, max_backgrounds, seed)
    if max_backgrounds is not None and not 0 <= max_backgrounds < 1:
        raise DatasetError(f"max_backgrounds={max_backgrounds} must be a share between 0 and 1, e.g. 0.1 for at most 10 %.")
    source = Path(report.source or report.path) if report is not None else Path(source)
    is_zip = source.suffix.lower() == ".zip"
    with opened(source, (Path(out) if out is not None else source.parent) if is_zip else None) as folder:
        if report is None or report.layout is None or is_zip:
            layout = recognise(folder, names, task, source_file)
            refuse_lost(layout, allow_unread, task if task != "auto" else None)
            report = inspect_layout(layout, group or remove_near_duplicates, threshold, progress)
            report.source = source if is_zip else None
        else:
            refuse_lost(report.layout, allow_unread, task if task != "auto" else None)
        explicit = {s: v for s, v in (("train", train), ("val", val), ("test", test)) if v is not None}
        return _split(report, out, ratios, seed, config, overwrite, cleaning, explicit, export_splits, keep_split, group, frames, groups, progress)


def _split(report, out, ratios, seed, config, overwrite, cleaning, explicit, export_splits, keep_split, group, frames, extra, progress) -> SplitResult:
    """The steps of :func:`split_dataset` once the dataset is inspected."""
    out = _output_folder(report, out)
    problems_of = _problems_by_image(report)
    keep, removed = _usable(report, problems_of, cleaning)
    placement = _placement(report, keep, ratios, explicit, export_splits, keep_split)
    if not len(report.images):
        raise DatasetError(f"{_named(report)} ({report.kind}) has not one image that its annotations name: {_no_images_why(report)}")
    if len(keep) < len(placement.split_names):
        raise DatasetError(
            f"{_named(report)} leaves {len(keep)} usable image(s) after checks and cleaning, too few for {len(placement.split_names)} splits: "
            f"each split needs at least one. Left out: { {k: len(v) for k, v in removed.items()} }. Annotate more images or fix the problems in the report."
        )
    image_groups, notes = _groups(report, keep, placement, group, frames, extra)
    if placement.closed:
        unplaced = [n for n in keep if n not in placement.fixed]
        if unplaced:
            removed["not in the given split" if "publisher" in placement.how else "not in the explicit lists"] = unplaced
    elif len(image_groups) < len(placement.split_names):
        raise DatasetError(
            f"{_named(report)}: the {len(keep)} images form only {len(image_groups)} group(s) of near-duplicates or video frames, too few "
            f"for {len(placement.split_names)} splits. Add images from other scenes, or pass group=False (validation then overlaps training)."
        )
    usable = set(keep)
    classes = {n: list(c) for n, c in zip(report.images["image"], report.images["classes"]) if n in usable}
    assignment = assign_groups(image_groups, classes, placement.ratios, seed, placement.fixed)
    files = {s: sorted(n for n, sp in assignment.items() if sp == s) for s in placement.split_names}
    empty = [s for s in placement.split_names if not files[s]]
    if empty:
        raise DatasetError(f"The split {empty} would be empty: {_why_empty(placement, group)}")
    if report.task == "classify":
        linked, repairs = _write_classify(report, out, files, overwrite, cleaning.fixes, problems_of, progress)
        config_path = None if config is None else out
    else:
        linked, repairs = _write_detect(report, out, files, overwrite, cleaning.fixes, problems_of, progress)
        config_path = write_config(config, out, report.names, tuple(files)) if config is not None else None
    how = placement.how + ("; near-duplicates and video frames kept together" if group and not placement.closed else "")
    how = f"{report.kind}: {how}" if report.kind else how
    return _finish(report, out, files, image_groups, removed, repairs, notes, linked, config_path, how)
