"""What a dataset holds and everything wrong with it, in one report, without changing anything.

:func:`inspect_dataset` takes any dataset :mod:`~yolo_training.data.formats.recognition` recognises (a folder or
its ``.zip``) and checks every image (:mod:`~yolo_training.data.image_checks`), every label line
(:mod:`~yolo_training.data.labels`), the pairing of images with labels, the size an annotation file
declares, and exact and near-duplicates (:mod:`~yolo_training.data.duplicates`). The
:class:`DatasetReport` says first what was recognised ("Roboflow YOLO export, 3 splits kept:
4,212 / 1,203 / 601"), then counts, advice and every problem with its file and line.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.common import progress_bar
from .duplicates import DOMINANT_SHARE, HASH_THRESHOLD, content_digests, dhash, exact_duplicate_groups, fingerprint, near_duplicate_groups
from .formats.recognition import opened, recognise
from .image_checks import inspect_image, name_problems
from .labels import ImageLabels, LabelProblem, parse_labels, read_labels
from .layout import Item, Layout

#: Ultralytics' docs recommend about 0-10 % background images.
MAX_BACKGROUND_SHARE = 0.10
#: Instances of the most frequent class per instance of the rarest one above which we warn.
IMBALANCE_RATIO = 10.0
#: A declared image size (VOC ``<size>``, COCO ``width``/``height``) this far off the real one is reported.
SIZE_TOLERANCE = 1.0

COLUMNS = ["image", "label", "has_label", "n_objects", "classes", "width", "height", "format", "bytes", "sha1", "hash", "error"]


@dataclass
class DatasetReport:
    """What a dataset holds: one row per image in :attr:`images`, the problems, and a summary.

    ``images`` columns: image (its name in the dataset: the path below :attr:`image_root`),
    label, has_label, n_objects, classes, width, height, format, bytes, sha1, hash (difference
    hash or None), error (Ultralytics cannot use it as it is). :attr:`kind` says what was
    recognised; :attr:`splits` holds the publisher's split, if any.

    Examples:
        >>> report = inspect_dataset("annotations/export")  # doctest: +SKIP
        >>> report.errors, report.images_per_class  # doctest: +SKIP
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
    #: image -> split its publisher gave it (``valid/``, ``images/val/``, ``ImageSets/Main/val.txt``...)
    splits: dict[str, str] = field(default_factory=dict)
    #: what was recognised, e.g. "Roboflow YOLO export"
    kind: str = ""
    #: the dataset as recognised: each image's file, label file or converted label lines
    layout: Layout | None = field(default=None, repr=False, compare=False)
    #: what was given to :func:`inspect_dataset` when it was not the folder itself (a .zip)
    source: Path | None = None

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

    @property
    def files(self) -> list:
        """Every file of the dataset, used or not read (:class:`~yolo_training.data.formats.accounting.FileUse`)."""
        return self.layout.files if self.layout is not None else []

    def _backgrounds(self) -> tuple[int, int, int]:
        """(empty label files, images without a label file, label files whose every line was rejected)."""
        df = self.images
        if not len(df):
            return 0, 0, 0
        rejected_images = {p.image for p in self.problems if p.severity == "error" and p.image and p.line}
        no_objects = (df["n_objects"] == 0) & df["has_label"]
        rejected = no_objects & df["image"].isin(rejected_images)
        return int((no_objects & ~rejected).sum()), int((~df["has_label"]).sum()), int(rejected.sum())

    def _file_lines(self) -> list[str]:
        files = self.files
        if not files:
            return []
        unread = [f for f in files if not f.used]
        lines = [f"  files: {len(files) - len(unread):,} used, {len(unread):,} not read"]
        for severity in ("error", "warning"):
            lines += [f"    - [{severity}] {f}" for f in unread if f.severity == severity][:20]
        other = [f.name for f in unread if f.severity == "info"]
        if other:
            lines.append(f"    - {', '.join(other[:5])}{f' and {len(other) - 5} more' if len(other) > 5 else ''}: not read (no annotations)")
        return lines

    def summary(self) -> str:
        df = self.images
        empty, missing, rejected = self._backgrounds()
        lines = [
            self.layout.headline() if self.layout is not None else f"Dataset {self.path}",
            f"  at {self.source or self.path} ({self.task})",
            f"  images: {len(df)}   label files: {int(df['has_label'].sum()) if len(df) else 0}   classes: {len(self.names)}",
            f"  backgrounds: {empty + missing} ({empty} empty label files, {missing} images without a label file)"
            + (f"; {rejected} label file(s) whose every line was rejected (see the problems)" if rejected else ""),
        ]
        if self.task == "classify":  # one class folder per image: no label files, no backgrounds
            lines[2:] = [f"  images: {len(df)}   classes: {len(self.names)} (class folders)"]
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
        lines += self._file_lines()
        lines += [f"  note: {n}" for n in (self.layout.notes if self.layout is not None else [])]
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


def inspect_dataset(
    path: str | Path = "annotations/export",
    near_duplicates: bool = True,
    threshold: int = HASH_THRESHOLD,
    progress: bool = True,
    workers: int | None = None,
    *,
    names: list[str] | dict | None = None,
    task: str = "auto",
    source: str | None = None,
) -> DatasetReport:
    """Read a dataset and report what is in it and what is wrong, without failing on bad files.

    ``path`` is any dataset :func:`~yolo_training.data.formats.recognition.recognise` reads, as a folder or as
    the downloaded ``.zip`` (unpacked into a temporary folder, removed afterwards): a Label Studio
    export, an Ultralytics or Roboflow dataset with its ``data.yaml``, YOLO folders split by
    their publisher, CVAT "YOLO 1.1", Pascal VOC in any arrangement, COCO JSON, or class folders
    for classification. Checks every label line (numbers, class ids, coordinates, degenerate
    shapes), every image (readable, truncated, content vs. extension, alpha, EXIF rotation,
    names), pairs images with labels, compares the image size an annotation file declares with
    the image, finds exact duplicates (content hash) and, with ``near_duplicates``,
    near-duplicates (difference hash within ``threshold`` bits, computed on all cores).
    Nothing is changed.

    Args:
        path: the dataset folder or ``.zip``.
        near_duplicates: look for near-duplicate images (the slowest check).
        threshold: the most hash bits two near-duplicates differ in.
        progress: show a progress bar.
        workers: threads for hashing (default: every core).
        names: class names for a dataset that does not name them (YOLO folders without
            ``classes.txt``), a list in id order or ``{id: name}``.
        task: ``"segment"`` reads COCO polygons instead of boxes.
        source: with two sources of annotations in one folder, the file to read (``"annotations.xml"``).

    Returns:
        The report: ``report.summary()`` (also what printing it shows), ``report.problems``
        (each with file and line), ``report.images`` (one row per image), ``report.advice``,
        ``report.files`` (every file of the dataset, used or not read, with the reason).

    Raises:
        DatasetError: the dataset cannot be recognised, or its class names are missing or disagree.

    Examples:
        >>> report = yt.inspect_dataset("annotations/export")  # doctest: +SKIP
        >>> print(report.summary().splitlines()[0])  # doctest: +SKIP
        Label Studio YOLO export: 360 images, not split yet
    """
    given = Path(path)
    with opened(given) as folder:
        layout = recognise(folder, names, task, source)
        report = inspect_layout(layout, near_duplicates, threshold, progress, workers)
        if folder != given:  # a zip: name files as they are in it, the unpacked copy is about to go
            report.source = given
            for problem in report.problems:
                problem.file = _inside_zip(Path(problem.file), folder, given)
    return report


def _inside_zip(file: Path, folder: Path, archive: Path) -> Path:
    try:
        return archive / file.relative_to(folder)
    except ValueError:
        return file


def _workers(workers: int | None) -> int:
    return max(1, workers or os.cpu_count() or 1)


def _imap(pool, fn, items: list, chunk: int = 16, window: int = 32):
    """``pool.map`` over chunks of ``items``, at most ``window`` chunks in flight: memory stays
    flat however many images, and the per-task overhead is paid once per chunk."""
    pending: deque = deque()
    for start in range(0, len(items), chunk):
        pending.append(pool.submit(lambda part: [fn(x) for x in part], items[start : start + chunk]))
        if len(pending) >= window:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


class _Checker:
    """Checks one image and its labels (read once), and hashes it when near-duplicates are wanted."""

    def __init__(self, layout: Layout, hashing: bool):
        self.n_classes = len(layout.names)
        self.hashing = hashing

    def __call__(self, item: Item) -> tuple[Item, dict, ImageLabels, tuple | None]:
        try:
            data = item.image.read_bytes()
        except OSError as err:
            data = None
            facts = dict(width=0, height=0, format="", size=0, problems=[LabelProblem(item.image, 0, f"cannot be read ({err}).", "unreadable", "error", item.key)])
        else:
            facts = inspect_image(item.image, item.key, data)
            facts["fingerprint"] = fingerprint(data)  # zlib releases the GIL: exact duplicates cost no second read
        if item.cls is not None:
            labels = ImageLabels(item.image, None, [item.cls], kind="class")
        elif item.text is not None:
            labels = parse_labels(item.text, self.n_classes, item.label, item.origins, item.key)
        elif item.label is not None:
            labels = read_labels(item.image, item.label, self.n_classes, item.key)
        else:
            labels = ImageLabels(item.image, None, kind="")
        signature = None
        if self.hashing and facts["width"] > 0:
            signature = dhash(item.image, data, (facts["width"], facts["height"]))
        return item, facts, labels, signature


def _declared_size_problem(item: Item, facts: dict) -> LabelProblem | None:
    """The size an annotation file declares against the image's own (as displayed)."""
    if not item.size or not facts["width"]:
        return None
    w, h, line = item.size
    real_w, real_h = facts["width"], facts["height"]
    if abs(w - real_w) <= SIZE_TOLERANCE and abs(h - real_h) <= SIZE_TOLERANCE:
        return None
    if abs(w - real_h) <= SIZE_TOLERANCE and abs(h - real_w) <= SIZE_TOLERANCE:
        why = "turned: the boxes were drawn on the image before its EXIF rotation was applied, or after; check them in the plots"
    elif abs(w / real_w - h / real_h) < 0.01:
        why = "scaled: the image was resized after annotation; the boxes are scaled with it"
    else:
        why = "of another shape: it may describe another image. Check the boxes in the plots, or annotate it again"
    return LabelProblem(item.label, line, f"declares the image {w:g}x{h:g}, but {item.image.name} is {real_w}x{real_h} ({why}).", "size-mismatch", "warning", item.key)


def _no_label_problem(item: Item, layout: Layout) -> LabelProblem:
    what = "annotation file" if layout.kind.startswith(("Pascal VOC", "COCO")) else f"label file ({item.image.stem}.txt)"
    return LabelProblem(item.image, 0, f"has no {what}; it counts as a background. If it shows objects, annotate it.", "no-label", "warning", item.key)


def inspect_layout(layout: Layout, near_duplicates: bool = True, threshold: int = HASH_THRESHOLD, progress: bool = True, workers: int | None = None) -> DatasetReport:
    """Check every image of a recognised dataset (see :func:`inspect_dataset`)."""
    from concurrent.futures import ThreadPoolExecutor

    stems: dict[tuple[Path, str], list[Item]] = defaultdict(list)
    for item in layout.items:
        stems[(item.image.parent, item.image.stem)].append(item)
    classify = layout.task == "classify"
    problems: list[LabelProblem] = []
    rows, hashes, prints, kinds = [], {}, {}, Counter()
    # hashing decodes images (OpenCV releases the GIL): every core; the checks alone are short
    # Python steps holding it, where one thread overlapping the file reads is fastest
    n_workers = _workers(workers) if near_duplicates else 1
    with ThreadPoolExecutor(n_workers) as pool:
        checked = _imap(pool, _Checker(layout, near_duplicates), layout.items)
        for item, facts, labels, signature in progress_bar(checked, len(layout.items), "Checking images", progress):
            own = name_problems(item.image, item.key) + facts["problems"] + labels.problems
            size_problem = _declared_size_problem(item, facts)
            if size_problem is not None:
                own.append(size_problem)
            if labels.label is None and not classify:
                own.append(_no_label_problem(item, layout))
            twins = stems[(item.image.parent, item.image.stem)]
            if len(twins) > 1 and item is not twins[0] and not classify:
                own.append(LabelProblem(item.image, 0, f"shares its name with {twins[0].image.name}: both would use {item.image.stem}.txt. Rename one (and its label); the split keeps only the first.", "same-stem", "error", item.key))
            kinds[labels.kind] += 1
            problems += own
            hashes[item.key] = signature
            prints[item.key] = facts.get("fingerprint")
            rows.append(dict(
                image=item.key, label=labels.label.name if labels.label else None, has_label=labels.label is not None or classify,
                n_objects=len(labels.classes), classes=labels.classes, width=facts["width"], height=facts["height"],
                format=facts["format"], bytes=facts["size"], sha1="", hash=signature, error=any(p.severity == "error" for p in own),
            ))
    problems += layout.problems
    df = pd.DataFrame(rows, columns=COLUMNS)
    duplicates, near = _duplicates(layout, df, prints, hashes if near_duplicates else None, threshold, problems)
    task = "classify" if classify else ("segment" if kinds["polygon"] > kinds["box"] else "detect")
    report = DatasetReport(
        path=layout.root, names=layout.names, images=df, problems=problems, duplicates=duplicates, near_duplicates=near,
        task=task, image_root=layout.image_root, splits=layout.splits, kind=layout.kind, layout=layout,
    )
    report.advice = advice(report)
    return report


def _duplicates(layout: Layout, df: pd.DataFrame, prints: dict, hashes: dict | None, threshold: int, problems: list[LabelProblem]):
    """Exact duplicates (SHA-1 of files whose size and CRC agree) and near-duplicate groups; adds the problems."""
    paths = {item.key: item.image for item in layout.items}
    digests = content_digests(paths, prints)
    duplicates = exact_duplicate_groups(digests)
    for group in duplicates:
        for name in group[1:]:
            problems.append(LabelProblem(paths[name], 0, f"is the same file as {group[0]}; it would be counted twice (and could land in train and val). The split keeps one with remove_duplicates=True.", "duplicate", "warning", name))
    if len(df):
        df["sha1"] = [digests.get(n, "") for n in df["image"]]
    near: list[list[str]] = []
    if hashes is not None:
        exact = {n for g in duplicates for n in g}
        near = [g for g in near_duplicate_groups(hashes, threshold) if not set(g) <= exact]
        for group in near:
            problems.append(LabelProblem(
                paths[group[0]], 0,
                f"near-duplicates ({len(group)} images that look almost the same): {', '.join(group[:6])}{' ...' if len(group) > 6 else ''}. The split keeps them together.",
                "near-duplicate", "warning", group[0],
            ))
    return duplicates, near


def advice(report: DatasetReport) -> list[str]:
    """What to do about the dataset as a whole: backgrounds, classes, one dominant scene, leaks."""
    df = report.images
    if not len(df):
        return []
    return _balance_advice(report) + _scene_advice(report) + _split_leak_advice(report)


def _balance_advice(report: DatasetReport) -> list[str]:
    advice = []
    df = report.images
    backgrounds = int((df["n_objects"] == 0).sum())
    share = backgrounds / len(df)
    if share > MAX_BACKGROUND_SHARE:
        advice.append(
            f"{share:.0%} of the images are backgrounds (no objects); Ultralytics' docs recommend about 0-10 %. "
            "Keep fewer with split_dataset(..., max_backgrounds=0.1), or check that they really hold no objects."
        )
    counts = report.instances_per_class
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


def _scene_advice(report: DatasetReport) -> list[str]:
    if not report.near_duplicates:
        return []
    largest = max(len(g) for g in report.near_duplicates)
    share = largest / len(report.images)
    if share < DOMINANT_SHARE or largest < 10:
        return []
    return [
        f"one scene dominates: {largest} of the {len(report.images)} images ({share:.0%}) are near-duplicates of one another "
        "(the same view, as from a fixed camera). Validation on frames of the same scene overestimates the model: it has "
        "seen that very view in training. Record a second session, or another place, and use it for validation "
        "(split_dataset(..., val=[its images]))."
    ]


def _split_leak_advice(report: DatasetReport) -> list[str]:
    if not report.splits:
        return []
    across = [g for g in report.duplicates + report.near_duplicates if len({report.splits.get(n) for n in g}) > 1]
    if not across:
        return []
    return [
        f"{len(across)} group(s) of duplicates or near-duplicates straddle the publisher's splits (e.g. {across[0][:3]}): "
        "the validation score will be optimistic. split_dataset(..., keep_split=False) makes a grouped split instead."
    ]
