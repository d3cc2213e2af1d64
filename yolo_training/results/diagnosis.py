"""Reading a run as an instructor would: findings with evidence and a suggestion, and runs side by side.

:func:`diagnose` reads ``results.csv`` (still improving, converged, overfitting from which
epoch, unstable, underfitting), a validation of ``best.pt`` (precision against recall, the
weakest class and what it is confused with, boxes on background) and the training labels (few
examples, class imbalance). :func:`compare_runs` puts several runs in one table and one figure.
Every "best epoch" here is the epoch of ``best.pt`` as the run recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..core.common import class_colors
from ..core.errors import ResultsError, YoloTrainingError
from ..training.runs import Run, best_epoch, find_run, load_results, loss_names, main_metric
from .validation import dataset_yaml, validate


@dataclass
class Finding:
    """One observation about a run: what, the evidence (epochs and values) and what to do.

    Examples:
        >>> [f.kind for f in diagnose("course", validate_model=False)]  # doctest: +SKIP
        ['still_improving']
    """

    kind: str  # still_improving, converged, overfitting, unstable, underfitting, precision_recall, ...
    title: str
    evidence: str
    suggestion: str
    severity: str = "info"  # info, warning, problem

    def __str__(self) -> str:
        return f"[{self.severity}] {self.title}\n    evidence:   {self.evidence}\n    suggestion: {self.suggestion}"


class Diagnosis(list):
    """The findings of :func:`diagnose`, a list of :class:`Finding`; prints as a report.

    Examples:
        >>> print(diagnose("course"))  # doctest: +SKIP
    """

    def kinds(self) -> list[str]:
        return [f.kind for f in self]

    def __str__(self) -> str:
        return "\n".join(str(f) for f in self) or "No findings."

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(str(self))}</pre>"


#: Thresholds of :func:`diagnose`, all in one place.
DIAGNOSIS_THRESHOLDS = dict(
    min_epochs=3,  # fewer epochs: no trend finding
    window=0.3,  # the "end of training": the last 30 % of epochs (at least 3)
    improving=0.02,  # the main metric gained more than this over the window: still improving
    overfit_rise=0.05,  # val loss above its minimum by more than 5 % at the end
    unstable_drop=0.25,  # a fall of the metric by more than 25 % of its best value from one epoch to the next
    flat_loss=0.05,  # losses that fell by less than 5 % over the run are "flat"
    low_map=0.3,  # mAP50 below this with flat losses: underfitting
    imbalance=0.15,  # |precision - recall| above this
    few_instances=50,
    class_ratio=3.0,
)


@dataclass
class _Curves:
    """The series of a results table the trend findings read."""

    metric: str
    epochs: np.ndarray
    values: np.ndarray
    train_loss: np.ndarray | None
    val_loss: np.ndarray | None
    best: int

    @classmethod
    def of(cls, df: pd.DataFrame) -> "_Curves":
        metric = main_metric(df)
        return cls(metric, df["epoch"].to_numpy(), df[metric].to_numpy(dtype=float), _total_loss(df, "train"),
                   _total_loss(df, "val"), best_epoch(df))


def _total_loss(df: pd.DataFrame, prefix: str) -> np.ndarray | None:
    losses = loss_names(df)
    if not losses:
        return None
    return df[[f"{prefix}_{x}" for x in losses]].sum(axis=1, min_count=1).to_numpy(dtype=float)


def _diverged_findings(c: _Curves) -> list[Finding]:
    findings = []
    for name, series in (("train loss", c.train_loss), ("val loss", c.val_loss)):
        if series is not None and not np.isfinite(series).all():
            bad = int(c.epochs[~np.isfinite(series)][0])
            findings.append(Finding(
                "unstable", f"The {name} became NaN or infinite", f"first at epoch {bad}",
                "Training diverged: lower the learning rate (lr0=0.001), check the labels for broken boxes, train again.", "problem",
            ))
    return findings


def _overfitting_finding(c: _Curves, th: dict) -> Finding | None:
    """Val loss has a minimum well before the end and rose since, while train loss kept falling."""
    if c.val_loss is None or not np.isfinite(c.val_loss).all():
        return None
    n, i_min = len(c.epochs), int(np.argmin(c.val_loss))
    rise = (c.val_loss[-1] - c.val_loss[i_min]) / max(abs(c.val_loss[i_min]), 1e-9)
    if i_min > n - 3 or rise <= th["overfit_rise"] or not c.train_loss[-1] < c.train_loss[i_min]:
        return None
    return Finding(
        "overfitting", f"Overfitting from epoch {int(c.epochs[i_min])}",
        f"val loss lowest at epoch {int(c.epochs[i_min])} ({c.val_loss[i_min]:.3f}), then rose to {c.val_loss[-1]:.3f} "
        f"at epoch {int(c.epochs[-1])} (+{rise:.0%}) while train loss fell from {c.train_loss[i_min]:.3f} to {c.train_loss[-1]:.3f}",
        f"The model memorises the training images. best.pt (epoch {c.best}) is the one to use; add more varied images or "
        "augmentation, or stop earlier (patience=...).",
        "warning",
    )


def _unstable_finding(c: _Curves, th: dict) -> Finding | None:
    """Big falls of the metric from one epoch to the next."""
    peak = np.nanmax(c.values) if np.isfinite(c.values).any() else 0.0
    drops = [(int(c.epochs[i]), c.values[i - 1], c.values[i]) for i in range(1, len(c.epochs))
             if peak > 0 and c.values[i - 1] - c.values[i] > th["unstable_drop"] * peak]
    if len(drops) < 2:
        return None
    shown = "; ".join(f"epoch {e}: {a:.3f} -> {b:.3f}" for e, a, b in drops[:4])
    return Finding(
        "unstable", f"{c.metric} jumps up and down ({len(drops)} big falls)", shown,
        "Lower the learning rate (lr0), use a larger batch, or check for wrong labels; more validation images also "
        "make the metric steadier.", "warning",
    )


def _flat_finding(c: _Curves, df: pd.DataFrame, th: dict, gain: float, start: int) -> Finding:
    """Converged, or underfitting when the losses stayed flat and the score low."""
    flat_losses = False
    if c.train_loss is not None:
        train_drop = (c.train_loss[0] - c.train_loss[-1]) / max(abs(c.train_loss[0]), 1e-9)
        val_drop = (c.val_loss[0] - c.val_loss[-1]) / max(abs(c.val_loss[0]), 1e-9)
        flat_losses = train_drop < th["flat_loss"] and val_drop < th["flat_loss"]
    low = df["mAP50"].iloc[-1] < th["low_map"] if "mAP50" in df.columns else c.values[-1] < th["low_map"]
    if flat_losses and low:
        return Finding(
            "underfitting", "Underfitting: both losses stay high and flat",
            f"train loss {c.train_loss[0]:.3f} -> {c.train_loss[-1]:.3f}, val loss {c.val_loss[0]:.3f} -> {c.val_loss[-1]:.3f} "
            f"over epochs {int(c.epochs[0])}-{int(c.epochs[-1])}; {c.metric} only {c.values[-1]:.3f}",
            "The model does not learn the task: train longer, use a bigger model or image size (imgsz), start from "
            "pretrained weights, and check that the labels match the images.", "problem",
        )
    w = len(c.epochs) - start
    return Finding(
        "converged", "Converged: the metrics stopped improving",
        f"{c.metric} changed by {gain:+.3f} over the last {w} epochs (epochs {int(c.epochs[start])}-{int(c.epochs[-1])}), "
        f"best {c.values[c.best == c.epochs].max():.3f} at epoch {c.best}",
        "More epochs will not help; to gain more, add images (especially of the weakest class), use a bigger "
        "model or a larger imgsz.",
    )


def _progress_finding(c: _Curves, df: pd.DataFrame, th: dict) -> Finding | None:
    """Still improving at the end, or flat (converged or underfitting), judged over the last epochs."""
    n = len(c.epochs)
    start = n - min(max(3, int(round(n * th["window"]))), n)
    before = start - 1 if start else 0
    gain = c.values[-1] - c.values[before]
    loss_falling = c.val_loss is not None and c.val_loss[-1] < np.min(c.val_loss[: max(start, 1)])
    if gain > th["improving"] and (c.best >= c.epochs[start] or loss_falling):
        return Finding(
            "still_improving", "Still improving at the end: train longer",
            f"{c.metric} rose from {c.values[before]:.3f} (epoch {int(c.epochs[before])}) "
            f"to {c.values[-1]:.3f} (epoch {int(c.epochs[-1])}); best epoch {c.best} of {int(c.epochs[-1])}",
            f"Train for more epochs (e.g. {int(c.epochs[-1]) * 2}), or continue from last.pt with the same settings.",
        )
    if abs(gain) <= th["improving"]:
        return _flat_finding(c, df, th, gain, start)
    return None


def _trend_findings(df: pd.DataFrame, th: dict) -> list[Finding]:
    c = _Curves.of(df)
    findings = _diverged_findings(c)
    if len(df) < th["min_epochs"]:
        findings.append(Finding(
            "too_short", f"Only {len(df)} epoch(s): too few to see a trend",
            f"{c.metric} {c.values[-1]:.3f} after epoch {c.epochs[-1]}",
            "Train for more epochs (on a CPU, 30 at imgsz=320 is a good start) before judging the model.", "warning",
        ))
        return findings
    overfitting = _overfitting_finding(c, th)
    findings += [f for f in (overfitting, _unstable_finding(c, th)) if f is not None]
    if overfitting is None and (progress := _progress_finding(c, df, th)) is not None:
        findings.append(progress)
    return findings


def _precision_recall_finding(p: float, r: float, where: str, th: dict) -> Finding | None:
    if p - r > th["imbalance"]:
        return Finding(
            "precision_recall", "Precision much higher than recall: the model misses objects",
            f"precision {p:.3f}, recall {r:.3f} ({where})",
            "When it draws a box it is usually right, but many objects get no box. Lower the confidence threshold when "
            "predicting (conf=0.1), add images of the objects it misses (small, partly hidden, unusual light).",
            "warning",
        )
    if r - p > th["imbalance"]:
        return Finding(
            "precision_recall", "Recall much higher than precision: many false alarms",
            f"precision {p:.3f}, recall {r:.3f} ({where})",
            "It finds most objects but also draws boxes where there are none or with the wrong class. Raise the "
            "confidence threshold (conf=0.5) and add background images (no objects) and look-alikes to the training set.",
            "warning",
        )
    return None


def _confusion_findings(table: pd.DataFrame, th: dict) -> list[Finding]:
    findings = []
    classes = table[(table["class"] != "all") & (table["instances"] > 0)]
    matrix = table.attrs.get("confusion_matrix")
    if len(classes) >= 1:
        weakest = classes.sort_values("mAP50-95").iloc[0]
        name = weakest["class"]
        evidence = (f"{name!r}: mAP50-95 {weakest['mAP50-95']:.3f}, mAP50 {weakest['mAP50']:.3f}, precision "
                    f"{weakest['precision']:.3f}, recall {weakest['recall']:.3f} on {int(weakest['instances'])} instances")
        confused = ""
        if matrix is not None and name in matrix.columns:
            column = matrix[name].drop(labels=[name])
            column = column[column > 0].sort_values(ascending=False)
            if len(column):
                parts = [f"{int(v)} taken for {'nothing (missed)' if k == 'background' else repr(k)}" for k, v in column.items()]
                confused = "; of its true objects: " + ", ".join(parts) + f" ({int(matrix.loc[name, name])} right)"
        if len(classes) > 1 or confused:
            findings.append(Finding(
                "weakest_class", f"Weakest class: {name!r}", evidence + confused,
                f"Add more (and more varied) images of {name!r}; if it is confused with another class, add images where "
                "both appear and check that their labels are not swapped.", "info",
            ))
    if matrix is not None and "background" in matrix.columns:
        false_alarms = matrix["background"].drop(labels=["background"])
        total = int(false_alarms.sum())
        if total:
            worst = false_alarms.idxmax()
            found = int(np.trace(matrix.to_numpy()[:-1, :-1]))
            findings.append(Finding(
                "background_false_positives", f"{total} box(es) on background (no object there)",
                f"most often predicted as {worst!r} ({int(false_alarms[worst])}); {found} objects found correctly",
                "Add background images (photos without any object, with an empty label file) and look-alike objects; "
                "or raise the confidence threshold.", "warning" if total > found / 4 else "info",
            ))
    return findings


def _class_counts(dataset, folder: Path, data) -> tuple[dict[str, int], str] | None:
    from ..data.inspection import DatasetReport, inspect_dataset
    from ..data.labels import read_labels

    if dataset is not None:
        report = dataset if isinstance(dataset, DatasetReport) else inspect_dataset(dataset)
        return report.instances_per_class, f"dataset report of {report.path}"
    try:
        spec = yaml.safe_load(Path(dataset_yaml(folder, data)).read_text(encoding="utf-8"))
    except (ResultsError, OSError, yaml.YAMLError):
        return None
    names = spec.get("names") or {}
    names = names if isinstance(names, dict) else dict(enumerate(names))
    root = Path(spec.get("path", "."))
    train = spec.get("train")
    if not names or not train:
        return None
    images_dir = Path(train) if Path(train).is_absolute() else root / train
    from ultralytics.data.utils import img2label_paths

    labels_dir = Path(img2label_paths([str(images_dir / "x.jpg")])[0]).parent
    if not labels_dir.is_dir():
        return None
    counts = dict.fromkeys(range(len(names)), 0)
    for label in labels_dir.glob("*.txt"):
        for c in read_labels(label, label, len(names)).classes:
            counts[c] += 1
    return {names[c]: n for c, n in counts.items()}, f"training labels in {labels_dir}"


def _data_findings(counts: dict[str, int], source: str, th: dict) -> list[Finding]:
    findings = []
    few = {k: v for k, v in counts.items() if v < th["few_instances"]}
    if few:
        findings.append(Finding(
            "few_instances", f"Few examples of {len(few)} class(es)",
            ", ".join(f"{k!r}: {v} instances" for k, v in few.items()) + f" ({source})",
            f"Aim for at least {th['few_instances']} labelled instances per class (hundreds are better): photograph and "
            "label more of them.", "warning",
        ))
    present = {k: v for k, v in counts.items() if v > 0}
    if len(present) > 1:
        hi, lo = max(present, key=present.get), min(present, key=present.get)
        if present[hi] / present[lo] > th["class_ratio"]:
            findings.append(Finding(
                "class_imbalance", "Class imbalance",
                f"{hi!r} has {present[hi]} instances, {lo!r} only {present[lo]} ({present[hi] / present[lo]:.1f}x; {source})",
                f"The model sees {lo!r} rarely and learns it worst: add images of {lo!r}.", "warning",
            ))
    return findings


def diagnose(
    run: Run | str | Path, dataset=None, validate_model: bool = True, data: str | Path | None = None, **thresholds
) -> Diagnosis:
    """Read a run the way the course does and return findings with evidence and a suggestion.

    From ``results.csv``: still improving, converged, overfitting (from which epoch), unstable,
    underfitting, precision/recall imbalance. With the best model (``validate_model``): the
    weakest class, what it is confused with, boxes on background. From the data: classes with
    few instances, class imbalance.

    Args:
        run: a :class:`~yolo_training.Run`, run folder or run name (with or without ``best.pt``).
        dataset: a :class:`~yolo_training.DatasetReport` or export folder (default: the run's
            training labels).
        validate_model: also validate ``best.pt`` for the per-class findings.
        data: a ``config.yaml`` to validate on (default: the run's dataset).
        **thresholds: any of :data:`DIAGNOSIS_THRESHOLDS`, to judge more or less strictly.

    Returns:
        A :class:`Diagnosis`: a list of :class:`Finding` that prints as a report.

    Examples:
        >>> print(diagnose("course"))  # doctest: +SKIP
    """
    unknown = set(thresholds) - set(DIAGNOSIS_THRESHOLDS)
    if unknown:
        raise YoloTrainingError(f"Unknown threshold(s) {sorted(unknown)}; known: {', '.join(DIAGNOSIS_THRESHOLDS)}.")
    th = {**DIAGNOSIS_THRESHOLDS, **thresholds}
    folder = find_run(run)
    df = load_results(folder)
    findings = Diagnosis(_trend_findings(df, th))
    table = None
    the_run = Run.from_dir(folder)
    if validate_model and (the_run.best.is_file() or the_run.last.is_file()):
        try:
            table = validate(folder, data=data)
        except ResultsError as err:
            findings.append(Finding("not_validated", "Per-class analysis skipped", str(err), "Pass data='config.yaml'."))
    if table is not None:
        overall = table.iloc[0]
        pr = _precision_recall_finding(float(overall["precision"]), float(overall["recall"]), "validation of best.pt", th)
        findings += _confusion_findings(table, th)
    elif {"precision", "recall"} <= set(df.columns):
        row = df[df["epoch"] == best_epoch(df)].iloc[0]
        pr = _precision_recall_finding(float(row["precision"]), float(row["recall"]), f"best epoch {int(row['epoch'])}", th)
    else:
        pr = None
    if pr is not None:
        findings.append(pr)
    counts = _class_counts(dataset, folder, data)
    if counts is not None:
        findings += _data_findings(*counts, th)
    return findings


# ---------------------------------------------------------------------------------------------
# Comparing runs


def _comparison_row(label: str, folder: Path, df: pd.DataFrame) -> dict:
    args = Run.from_dir(folder).args
    best = best_epoch(df)
    at_best = df[df["epoch"] == best].iloc[0]
    row = dict(run=label, model=Path(str(args.get("model", "?"))).stem, epochs=args.get("epochs"),
               epochs_done=int(df["epoch"].max()), imgsz=args.get("imgsz"), batch=args.get("batch"), best_epoch=best)
    for m in ("precision", "recall", "mAP50", "mAP50-95", "top1"):
        if m in df.columns:
            row[m] = float(at_best[m])
    row["minutes"] = round(float(df["time"].iloc[-1]) / 60, 2) if df["time"].notna().any() else np.nan
    return row


def _comparison_figure(labels: list[str], tables: list[pd.DataFrame]):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax_metric, ax_loss = fig.subplots(1, 2)
    for color, label, df in zip(class_colors(len(tables)), labels, tables):
        metric = main_metric(df)
        ax_metric.plot(df["epoch"], df[metric], "-", color=color, label=f"{label} {metric}")
        if "mAP50" in df.columns and metric != "mAP50":
            ax_metric.plot(df["epoch"], df["mAP50"], ":", color=color, label=f"{label} mAP50")
        losses = loss_names(df)
        if losses:
            ax_loss.plot(df["epoch"], df[[f"train_{x}" for x in losses]].sum(axis=1), "-", color=color, label=f"{label} train")
            ax_loss.plot(df["epoch"], df[[f"val_{x}" for x in losses]].sum(axis=1), "--", color=color, label=f"{label} val")
    ax_metric.set(xlabel="epoch", title="mAP per epoch (higher is better)", ylim=(0, 1.02))
    ax_loss.set(xlabel="epoch", title="total loss per epoch (train solid, val dashed)")
    ax_metric.legend(fontsize=7)
    ax_loss.legend(fontsize=7)
    return fig


def compare_runs(runs: list["Run | str | Path"], labels: list[str] | None = None) -> tuple[pd.DataFrame, object]:
    """Several runs side by side: their settings and best metrics, and their curves in one figure.

    Args:
        runs: :class:`~yolo_training.Run` objects, run folders or run names.
        labels: a label per run (default: ``task/name``).

    Returns:
        ``(table, figure)``: one row per run (model, epochs, epochs done, imgsz, batch, the epoch
        of ``best.pt`` and its metrics, minutes), and mAP and total losses per epoch.

    Examples:
        >>> table, fig = compare_runs(["course", "course-continued"])  # doctest: +SKIP
    """
    if not runs:
        raise YoloTrainingError("compare_runs needs a list of at least one run.")
    folders = [find_run(r) for r in runs]
    labels = list(labels) if labels else [f"{f.parent.name}/{f.name}" for f in folders]
    if len(labels) != len(folders):
        raise YoloTrainingError(f"{len(labels)} labels for {len(folders)} runs.")
    tables = [load_results(folder) for folder in folders]
    table = pd.DataFrame([_comparison_row(label, folder, df) for label, folder, df in zip(labels, folders, tables)])
    return table, _comparison_figure(labels, tables)
