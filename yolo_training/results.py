"""Reading a run: metrics from first principles, the plots, a diagnosis, and comparing runs.

* :func:`explain_metrics` works IoU, precision, recall, the PR curve, AP, mAP50 and mAP50-95
  through on a few hand-made boxes a student can count (the numbers match Ultralytics' own code).
* :func:`load_results` reads ``results.csv`` with readable column names; :func:`show_results`
  shows the plots Ultralytics wrote with a "We want / We don't want" caption each;
  :func:`plot_training`, :func:`plot_confusion_matrix` and :func:`plot_predictions` draw
  the plots that are hard to read in Ultralytics' versions.
* :func:`validate` gives the per-class table; :func:`diagnose` reads a run as an instructor
  would; :func:`compare_runs` puts several runs side by side.

Figures are plain :class:`matplotlib.figure.Figure` objects (not registered with pyplot): a
notebook shows the one a cell returns, a script can ``fig.savefig(...)``.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ._common import display_in_notebook, in_notebook, list_images
from ._errors import ResultsError, YoloTrainingError
from .train import Run, pick_device

# ---------------------------------------------------------------------------------------------
# Ultralytics' plots, with what to look for

#: The plots of a run, in the order the course reads them: file patterns and a two-line caption.
PLOTS = {
    "results": (
        ("results.png",),
        "We want: losses falling and then levelling off, precision, recall and mAP rising and then flat.\n"
        "We don't want: val losses turning up while train losses keep falling (overfitting), or jagged curves.",
    ),
    "confusion_matrix": (
        ("confusion_matrix.png",),
        "We want: the counts on the diagonal (each class recognised as itself).\n"
        "We don't want: counts off it: a class taken for another, objects missed (row 'background') "
        "or boxes on nothing (column 'background').",
    ),
    "confusion_matrix_normalized": (
        ("confusion_matrix_normalized.png",),
        "We want: values near 1.0 on the diagonal: each true class (a column) mostly predicted as itself.\n"
        "We don't want: a column whose mass sits off the diagonal: that class is missed or confused.",
    ),
    "labels": (
        ("labels.jpg", "labels_correlogram.jpg"),
        "We want: enough boxes of every class, in varied places and sizes.\n"
        "We don't want: a class with far fewer boxes than the others, or all boxes of one size or place.",
    ),
    "train_batch": (
        ("train_batch*.jpg",),
        "We want: boxes that sit tightly on the objects, on augmented (mosaic, flipped, recoloured) images.\n"
        "We don't want: boxes that miss objects or have the wrong name: the labels are wrong.",
    ),
    "val_batch": (
        ("val_batch*_labels.jpg", "val_batch*_pred.jpg"),
        "We want: left (true boxes) and right (predictions) to look alike, with high confidences.\n"
        "We don't want: objects on the left with no box on the right (missed), or boxes on the right with none on the left.",
    ),
    "PR_curve": (
        ("BoxPR_curve.png", "PR_curve.png", "MaskPR_curve.png"),
        "We want: curves that hug the top right corner (high precision at every recall); the area is the AP.\n"
        "We don't want: a curve that drops early: that class cannot be found without many false alarms.",
    ),
    "F1_curve": (
        ("BoxF1_curve.png", "F1_curve.png", "MaskF1_curve.png"),
        "We want: a high, broad plateau: F1 stays high over a wide range of confidence thresholds.\n"
        "We don't want: a low or narrow peak: only one exact threshold works.",
    ),
    "P_curve": (
        ("BoxP_curve.png", "P_curve.png", "MaskP_curve.png"),
        "We want: precision rising quickly to near 1 as the confidence threshold rises.\n"
        "We don't want: precision that stays low even for confident boxes: confident mistakes.",
    ),
    "R_curve": (
        ("BoxR_curve.png", "R_curve.png", "MaskR_curve.png"),
        "We want: recall that stays high up to a high confidence threshold.\n"
        "We don't want: recall that collapses at low thresholds: objects are found only with little confidence.",
    ),
}


def _run_dir(run: Run | str | Path) -> Path:
    folder = run.dir if isinstance(run, Run) else Path(run)
    if not folder.is_dir():
        raise ResultsError(f"There is no run folder {folder.resolve()}.")
    return folder


def _batch_number(path: Path) -> int:
    found = re.search(r"batch(\d+)", path.name)
    return int(found.group(1)) if found else 0


def plot_paths(run: Run | str | Path) -> dict[str, list[Path]]:
    """The plot files of a run that exist, by name (see :data:`PLOTS`).

    ``val_batch`` lists ``val_batchN_labels.jpg``, ``val_batchN_pred.jpg`` pairs in turn.
    """
    folder = _run_dir(run)
    found = {}
    for key, (patterns, _) in PLOTS.items():
        if key == "val_batch":
            labels = {_batch_number(p): p for p in folder.glob(patterns[0])}
            preds = {_batch_number(p): p for p in folder.glob(patterns[1])}
            paths = [p for n in sorted(set(labels) | set(preds)) for p in (labels.get(n), preds.get(n)) if p]
        elif key == "train_batch":
            paths = sorted(folder.glob(patterns[0]), key=_batch_number)
        else:
            paths = [folder / f for f in patterns if (folder / f).is_file()]
            if key.endswith("_curve"):
                paths = paths[:1] + [p for p in paths[1:] if p.name.startswith("Mask")]
        if paths:
            found[key] = paths
    return found


def show_results(run: Run | str | Path, which: str | list[str] | None = None) -> dict[str, list[Path]]:
    """Show a run's plots with a caption each: inline in Jupyter, as paths in a terminal.

    ``which`` picks some of :data:`PLOTS` (``"results"``, ``"confusion_matrix"``,
    ``"confusion_matrix_normalized"``, ``"labels"``, ``"train_batch"``, ``"val_batch"``,
    ``"PR_curve"``, ``"F1_curve"``, ``"P_curve"``, ``"R_curve"``); by default all that exist.
    Returns their paths.
    """
    folder = _run_dir(run)
    found = plot_paths(folder)
    keys = [which] if isinstance(which, str) else list(which or PLOTS)
    unknown = [k for k in keys if k not in PLOTS]
    if unknown:
        raise ResultsError(f"Unknown plot(s) {unknown}; choose from {', '.join(PLOTS)}.")
    shown = {k: found[k] for k in keys if k in found}
    if in_notebook():
        import base64
        from html import escape

        from IPython.display import HTML, Image, display

        for key, paths in shown.items():
            caption = "<br>".join(escape(line) for line in PLOTS[key][1].splitlines())
            display(HTML(f"<h4>{key}</h4><p>{caption}</p>"))
            if len(paths) == 1:
                display(Image(filename=str(paths[0])))
                continue
            per_row = 2 if key == "val_batch" else 3
            rows = [paths[i : i + per_row] for i in range(0, len(paths), per_row)]
            html = "".join(
                "<tr>"
                + "".join(
                    f'<td style="vertical-align:top"><img style="max-width:100%" '
                    f'src="data:image/{p.suffix.lstrip(".").replace("jpg", "jpeg")};base64,'
                    f'{base64.b64encode(p.read_bytes()).decode()}"><br>{p.name}</td>'
                    for p in row
                )
                + "</tr>"
                for row in rows
            )
            display(HTML(f"<table>{html}</table>"))
    else:
        print(f"Plots of {folder}:")
        for key, paths in shown.items():
            print(f"  {key:28s} {', '.join(str(p) for p in paths)}")
            for line in PLOTS[key][1].splitlines():
                print(f"  {'':28s} {line}")
    missing = [k for k in keys if k not in found]
    if missing:
        print(f"Not in this run (yet): {', '.join(missing)}.")
    return shown


# ---------------------------------------------------------------------------------------------
# Metrics from first principles, on boxes a student can count

#: The hand-made example: two images of 200 x 120 pixels, boxes as (x1, y1, x2, y2) in pixels.
EXAMPLE_NAMES = ["10 euro", "5 euro"]
EXAMPLE_TRUTH = [  # image, class, x1, y1, x2, y2
    ("A", 0, 10, 10, 70, 50),
    ("A", 0, 100, 10, 160, 50),
    ("A", 1, 40, 70, 90, 110),
    ("B", 1, 20, 20, 80, 60),
    ("B", 0, 120, 30, 180, 70),
]
EXAMPLE_PREDICTIONS = [  # image, class, confidence, x1, y1, x2, y2
    ("A", 0, 0.95, 12, 10, 70, 50),  # a near-perfect box
    ("A", 0, 0.80, 110, 10, 170, 50),  # shifted by 10 px: IoU 0.71
    ("A", 0, 0.60, 15, 12, 72, 52),  # a second box on an object already found: a duplicate
    ("A", 1, 0.70, 40, 70, 80, 110),  # a bit too narrow: IoU 0.80
    ("B", 1, 0.90, 30, 20, 90, 60),  # shifted: IoU 0.71
    ("B", 1, 0.50, 120, 30, 180, 70),  # right place, wrong class: the 10 euro note is missed
    ("B", 0, 0.30, 0, 90, 30, 115),  # a box on the background
]
#: The IoU thresholds of mAP50-95, as in Ultralytics and COCO.
IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def iou(box_a, box_b) -> float:
    """Intersection over union of two boxes ``(x1, y1, x2, y2)``: overlap area / combined area."""
    width = max(0.0, min(box_a[2], box_b[2]) - max(box_a[0], box_b[0]))
    height = max(0.0, min(box_a[3], box_b[3]) - max(box_a[1], box_b[1]))
    inter = width * height
    area_a = (box_a[2] - box_a[0]) * (box_a[3] - box_a[1])
    area_b = (box_b[2] - box_b[0]) * (box_b[3] - box_b[1])
    return inter / (area_a + area_b - inter)


def match_predictions(truth: pd.DataFrame, preds: pd.DataFrame, thresholds=IOU_THRESHOLDS) -> np.ndarray:
    """Which predictions are true positives at each IoU threshold: a (predictions, thresholds) bool array.

    Per image, predictions are taken from the most to the least confident; each claims the
    unclaimed true box of its class it overlaps most, if that IoU reaches the threshold. A second
    box on an already claimed object is a false positive. (The same rule as Ultralytics' validator.)
    """
    correct = np.zeros((len(preds), len(thresholds)), dtype=bool)
    for image in preds["image"].unique():
        t = truth[truth["image"] == image]
        p = preds[preds["image"] == image].sort_values("confidence", ascending=False, kind="stable")
        for k, threshold in enumerate(thresholds):
            claimed = set()
            for row_index, pred in p.iterrows():
                best, best_iou = None, 0.0
                for t_index, target in t.iterrows():
                    if target["class"] != pred["class"] or t_index in claimed:
                        continue
                    value = iou(pred[["x1", "y1", "x2", "y2"]].tolist(), target[["x1", "y1", "x2", "y2"]].tolist())
                    if value > best_iou:
                        best, best_iou = t_index, value
                if best is not None and best_iou >= threshold:
                    claimed.add(best)
                    correct[preds.index.get_loc(row_index), k] = True
    return correct


def average_precision(recall: np.ndarray, precision: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AP: the area under the precision-recall curve, as COCO and Ultralytics compute it.

    The curve starts at (recall 0, precision 1) and ends at recall 1; precision is replaced by
    its "envelope" (the best precision at this recall or any higher one), then sampled at 101
    recall values 0, 0.01, ..., 1 and integrated with the trapezoid rule. Returns AP and the curve.
    """
    recall_points = np.concatenate(([0.0], recall, [recall[-1] if len(recall) else 1.0], [1.0]))
    precision_points = np.concatenate(([1.0], precision, [0.0], [0.0]))
    envelope = np.flip(np.maximum.accumulate(np.flip(precision_points)))
    x = np.linspace(0, 1, 101)
    y = np.interp(x, recall_points, envelope)
    area = float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)))
    return area, recall_points, envelope


@dataclass
class MetricsExplanation:
    """Every number of :func:`explain_metrics`, for reading or checking."""

    names: list[str]
    truth: pd.DataFrame
    predictions: pd.DataFrame  # with the best IoU and true-positive flags at 0.5, 0.75
    correct: np.ndarray  # (predictions, 10 thresholds) true positives
    precision: float  # at the confidence threshold ``conf``
    recall: float
    conf: float
    ap: pd.DataFrame  # AP per class (rows) and IoU threshold (columns)
    map50: float
    map50_95: float
    curves: dict = field(default_factory=dict)  # class -> DataFrame of the PR curve at IoU 0.5
    text: str = ""
    figures: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:  # a notebook shows this under the cell, not a dump of every table
        return f"MetricsExplanation(precision={self.precision:.3f}, recall={self.recall:.3f}, mAP50={self.map50:.4f}, mAP50-95={self.map50_95:.4f})"


def _example_frames(truth, predictions) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = pd.DataFrame(truth, columns=["image", "class", "x1", "y1", "x2", "y2"])
    p = pd.DataFrame(predictions, columns=["image", "class", "confidence", "x1", "y1", "x2", "y2"])
    if not len(t):
        raise YoloTrainingError("explain_metrics needs at least one true box.")
    for frame in (t, p):
        bad = frame[(frame["x2"] <= frame["x1"]) | (frame["y2"] <= frame["y1"])]
        if len(bad):
            raise YoloTrainingError(f"Boxes must be (x1, y1, x2, y2) with x2 > x1 and y2 > y1; not so in rows {bad.index.tolist()}.")
    return t, p


def explain_metrics(
    truth=None, predictions=None, names: list[str] | None = None, conf: float = 0.25, show: bool = True
) -> MetricsExplanation:
    """Work through IoU, precision, recall, the PR curve, AP, mAP50 and mAP50-95 on a few boxes.

    By default on :data:`EXAMPLE_TRUTH` and :data:`EXAMPLE_PREDICTIONS` (two images, five notes,
    seven predicted boxes); pass your own lists in the same layout. Prints each step (when
    ``show``), draws the boxes, the PR curves and AP per IoU threshold, and returns every number.
    """
    names = list(names or EXAMPLE_NAMES)
    truth_df, preds = _example_frames(
        EXAMPLE_TRUTH if truth is None else truth, EXAMPLE_PREDICTIONS if predictions is None else predictions
    )
    preds = preds.sort_values("confidence", ascending=False, kind="stable").reset_index(drop=True)
    correct = match_predictions(truth_df, preds)
    best_iou = []
    for _, pred in preds.iterrows():
        same = truth_df[(truth_df["image"] == pred["image"]) & (truth_df["class"] == pred["class"])]
        box = pred[["x1", "y1", "x2", "y2"]].tolist()
        best_iou.append(max((iou(box, t[["x1", "y1", "x2", "y2"]].tolist()) for _, t in same.iterrows()), default=0.0))
    preds["best_iou"] = best_iou
    preds["TP@0.50"] = correct[:, 0]
    preds["TP@0.75"] = correct[:, 5]

    kept = preds["confidence"] >= conf
    tp = int(preds.loc[kept, "TP@0.50"].sum())
    n_pred, n_true = int(kept.sum()), len(truth_df)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true

    classes = sorted(set(truth_df["class"]))
    ap = np.zeros((len(classes), len(IOU_THRESHOLDS)))
    curves = {}
    for ci, c in enumerate(classes):
        mine = (preds["class"] == c).to_numpy()
        n_labels = int((truth_df["class"] == c).sum())
        if not mine.any():
            continue
        tps = correct[mine].cumsum(0)
        fps = (~correct[mine]).cumsum(0)
        rec, prec = tps / n_labels, tps / (tps + fps)
        for j in range(len(IOU_THRESHOLDS)):
            ap[ci, j], r_pts, p_env = average_precision(rec[:, j], prec[:, j])
            if j == 0:
                curves[names[c]] = pd.DataFrame(
                    {"confidence": preds.loc[mine, "confidence"].to_numpy(), "recall": rec[:, 0], "precision": prec[:, 0]}
                )
                curves[names[c]].attrs["envelope"] = (r_pts, p_env)
    ap_table = pd.DataFrame(ap, index=[names[c] for c in classes], columns=[f"{t:.2f}" for t in IOU_THRESHOLDS])
    map50, map50_95 = float(ap[:, 0].mean()), float(ap.mean())

    lines = [
        "1. IoU (intersection over union) = overlap area / area covered by both boxes: 1 is a perfect fit, 0 no overlap.",
    ]
    for _, p in preds.iterrows():
        lines.append(
            f"   image {p['image']}: predicted {names[p['class']]!r} (confidence {p['confidence']:.2f}) "
            f"best IoU with a true {names[p['class']]!r}: {p['best_iou']:.3f} -> "
            f"{'true positive' if p['TP@0.50'] else 'false positive'} at IoU 0.5"
        )
    lines += [
        f"2. Keeping boxes with confidence >= {conf}: {n_pred} predictions, {tp} of them right (IoU >= 0.5, right class), "
        f"{n_true} true objects.",
        f"   precision = right predictions / predictions = {tp}/{n_pred} = {precision:.3f} (how often a box is right)",
        f"   recall    = found objects / true objects    = {tp}/{n_true} = {recall:.3f} (how many objects are found)",
        "   (Ultralytics reports P and R at the confidence threshold that gives the best F1 = 2PR/(P+R).)",
        "3. The PR curve: go down the predictions from most to least confident and note precision and recall after each.",
    ]
    for name, curve in curves.items():
        steps = ", ".join(f"({r:.2f}, {p:.2f})" for r, p in zip(curve["recall"], curve["precision"]))
        lines.append(f"   {name!r} (recall, precision): {steps}")
    lines += [
        "4. AP = area under that curve, after replacing each precision by the best precision at equal or higher recall;",
        "   sampled at 101 recall points, as COCO and Ultralytics do (so a perfect detector scores 0.995, not 1).",
    ]
    for name in ap_table.index:
        lines.append(f"   AP50 {name!r} = {ap_table.loc[name, '0.50']:.4f}   AP75 = {ap_table.loc[name, '0.75']:.4f}")
    lines += [
        f"5. mAP50 = mean of AP50 over the classes = {map50:.4f}",
        f"6. mAP50-95 = mean of AP over the classes and the IoU thresholds 0.50, 0.55, ..., 0.95 = {map50_95:.4f}",
        "   It rewards boxes that fit tightly: a box with IoU 0.71 counts at 0.50..0.70 but not above.",
    ]
    result = MetricsExplanation(
        names=names, truth=truth_df, predictions=preds, correct=correct, precision=precision, recall=recall,
        conf=conf, ap=ap_table, map50=map50, map50_95=map50_95, curves=curves, text="\n".join(lines),
    )
    result.figures = _explain_figures(result)
    if show:
        print(result.text)
        for fig in result.figures.values():
            display_in_notebook(fig)
    return result


def _colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(max(n, 1))]


def _explain_figures(ex: MetricsExplanation) -> dict:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    colors = _colors(len(ex.names))
    images = sorted(set(ex.truth["image"]) | set(ex.predictions["image"]))
    boxes = Figure(figsize=(5 * len(images), 3.6), layout="constrained")
    for ax, image in zip(np.atleast_1d(boxes.subplots(1, len(images))), images):
        width = max(ex.truth["x2"].max(), ex.predictions["x2"].max() if len(ex.predictions) else 0) + 10
        height = max(ex.truth["y2"].max(), ex.predictions["y2"].max() if len(ex.predictions) else 0) + 10
        ax.set(xlim=(0, width), ylim=(height, 0), title=f"image {image}: solid = true, dashed = predicted", aspect="equal")
        for _, t in ex.truth[ex.truth["image"] == image].iterrows():
            ax.add_patch(Rectangle((t.x1, t.y1), t.x2 - t.x1, t.y2 - t.y1, fill=False, lw=2.5, color=colors[t["class"]]))
            ax.text(t.x1, t.y2 + 1, ex.names[t["class"]], va="top", fontsize=8, color=colors[t["class"]])
        placed = []
        for _, p in ex.predictions[ex.predictions["image"] == image].iterrows():
            ax.add_patch(Rectangle((p.x1, p.y1), p.x2 - p.x1, p.y2 - p.y1, fill=False, lw=1.5, ls="--", color=colors[p["class"]]))
            verdict = "TP" if p["TP@0.50"] else "FP"
            y = p.y1 + 1
            while any(abs(x - p.x1) < 40 and abs(y - other) < 7 for x, other in placed):  # labels of overlapping boxes
                y += 7
            placed.append((p.x1, y))
            ax.text(p.x1 + 1, y, f"{p.confidence:.2f} IoU {p.best_iou:.2f} {verdict}", va="top", fontsize=7,
                    color="green" if p["TP@0.50"] else "red")
    pr = Figure(figsize=(5 * max(len(ex.curves), 1), 3.6), layout="constrained")
    for ax, (name, curve) in zip(np.atleast_1d(pr.subplots(1, max(len(ex.curves), 1))), ex.curves.items()):
        r_pts, p_env = curve.attrs["envelope"]
        ax.plot(curve["recall"], curve["precision"], "o-", label="after each prediction")
        ax.step(r_pts, p_env, where="post", color="gray", label="envelope")
        ax.fill_between(r_pts, p_env, step="post", alpha=0.2, label=f"AP50 = {ex.ap.loc[name, '0.50']:.3f}")
        ax.set(xlim=(0, 1.02), ylim=(0, 1.05), xlabel="recall", ylabel="precision", title=f"{name!r} at IoU 0.5")
        ax.legend(loc="lower left", fontsize=8)
    per_threshold = Figure(figsize=(6, 3.2), layout="constrained")
    ax = per_threshold.subplots()
    ax.plot(IOU_THRESHOLDS, ex.ap.mean(axis=0).to_numpy(), "o-")
    ax.axhline(ex.map50_95, ls="--", color="gray", label=f"mAP50-95 = {ex.map50_95:.3f} (the average)")
    ax.set(xlabel="IoU threshold", ylabel="mAP (mean AP over classes)", ylim=(0, 1.05), title="Stricter IoU, lower AP")
    ax.legend()
    return {"boxes": boxes, "pr_curves": pr, "ap_per_threshold": per_threshold}


# ---------------------------------------------------------------------------------------------
# results.csv


#: Column names of YOLOv5-era results.csv files, mapped to today's.
_OLD_COLUMNS = {
    "metrics/precision": "precision",
    "metrics/recall": "recall",
    "metrics/mAP_0.5": "mAP50",
    "metrics/mAP_0.5:0.95": "mAP50-95",
    "x/lr0": "lr_pg0",
    "x/lr1": "lr_pg1",
    "x/lr2": "lr_pg2",
}


def _readable_column(name: str) -> str:
    name = name.strip()
    if name in _OLD_COLUMNS:
        return _OLD_COLUMNS[name]
    if m := re.fullmatch(r"metrics/(.+)\(([BMPO])\)", name):
        prefix = {"B": "", "M": "mask_", "P": "pose_", "O": ""}[m.group(2)]
        return prefix + m.group(1)
    if m := re.fullmatch(r"metrics/accuracy_(top\d)", name):
        return m.group(1)
    return name.replace("/", "_")


def load_results(run: Run | str | Path) -> pd.DataFrame:
    """``results.csv`` of a run as a DataFrame with readable columns, one row per epoch.

    ``metrics/mAP50(B)`` becomes ``mAP50``, ``train/box_loss`` ``train_box_loss``, masks get
    ``mask_``. Older files (padded column names, no ``time`` column) are read too; after a resume,
    repeated epochs keep their last row. ``df.attrs`` holds the file and how many rows were dropped.
    """
    folder = _run_dir(run)
    csv = folder / "results.csv"
    if not csv.is_file():
        raise ResultsError(
            f"{folder} has no results.csv: the run stopped before it finished its first epoch (or this is not a "
            "training run folder). Train again; a run that finishes at least one epoch writes results.csv."
        )
    try:
        table = pd.read_csv(csv, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ResultsError(f"{csv} cannot be read as a CSV table ({err}). It was probably cut off; train again.") from err
    table.columns = [_readable_column(str(c)) for c in table.columns]
    if "epoch" not in table.columns:
        raise ResultsError(f"{csv} has no 'epoch' column (columns: {', '.join(table.columns)}); it is not an Ultralytics results.csv.")
    table = table[pd.to_numeric(table["epoch"], errors="coerce").notna()].copy()
    if table.empty:
        raise ResultsError(f"{csv} has no epoch rows: the run stopped before finishing its first epoch. Train again.")
    for column in table.columns:
        table[column] = pd.to_numeric(table[column], errors="coerce")
    table["epoch"] = table["epoch"].astype(int)
    if "time" not in table.columns:
        table.insert(1, "time", np.nan)
    before = len(table)
    table = table.drop_duplicates("epoch", keep="last").sort_values("epoch").reset_index(drop=True)
    table.attrs.update(file=str(csv), duplicates_dropped=before - len(table))
    return table


def _main_metric(df: pd.DataFrame) -> str:
    for name in ("mAP50-95", "mask_mAP50-95", "top1", "mAP50"):
        if name in df.columns:
            return name
    raise ResultsError(f"{df.attrs.get('file', 'results.csv')} has no mAP or accuracy column.")


def best_epoch(df: pd.DataFrame) -> int:
    """The epoch Ultralytics keeps as ``best.pt``: the highest mAP50-95 (top-1 accuracy for classify)."""
    metric = df[_main_metric(df)].fillna(-1)
    return int(df.loc[metric.idxmax(), "epoch"])


def _loss_names(df: pd.DataFrame) -> list[str]:
    return [c[len("train_"):] for c in df.columns if c.startswith("train_") and f"val_{c[len('train_'):]}" in df.columns]


def plot_training(run: Run | str | Path | pd.DataFrame):
    """Losses (train and val on the same axes) and metrics per epoch, with the best epoch marked."""
    from matplotlib.figure import Figure

    df = run if isinstance(run, pd.DataFrame) else load_results(run)
    losses = _loss_names(df)
    metrics = [m for m in ("precision", "recall", "mAP50", "mAP50-95", "top1", "top5") if m in df.columns]
    best = best_epoch(df)
    n = len(losses) + 1
    fig = Figure(figsize=(4 * n, 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n))
    for ax, loss in zip(axes, losses):
        ax.plot(df["epoch"], df[f"train_{loss}"], "o-", ms=3, label="train")
        ax.plot(df["epoch"], df[f"val_{loss}"], "s--", ms=3, label="val")
        ax.set(title=loss.replace("_", " "), xlabel="epoch")
    for m in metrics:
        axes[-1].plot(df["epoch"], df[m], "o-", ms=3, label=m)
    axes[-1].set(title="metrics", xlabel="epoch", ylim=(0, 1.02))
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.axvline(best, color="gray", ls=":", label=f"best epoch {best}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7)
    fig.suptitle("Train and val losses should both fall; the dotted line is the epoch saved as best.pt")
    return fig


# ---------------------------------------------------------------------------------------------
# Validation: per-class table and confusion matrix


def _run_args(folder: Path) -> dict:
    args = folder / "args.yaml"
    if not args.is_file():
        return {}
    return yaml.safe_load(args.read_text(encoding="utf-8")) or {}


def _weights(folder: Path) -> Path:
    for name in ("best.pt", "last.pt"):
        if (folder / "weights" / name).is_file():
            return folder / "weights" / name
    raise ResultsError(f"{folder} has no weights/best.pt or last.pt: the run did not save a model (it stopped in epoch 1?).")


def _data_yaml(folder: Path, data: str | Path | None) -> str:
    """A dataset YAML Ultralytics can read: the given config.yaml resolved, or the one the run trained on."""
    if data is not None:
        from .split import load_config

        resolved = load_config(data)
        target = Path(tempfile.mkdtemp(prefix="yt-data-")) / "data.yaml"
        target.write_text(yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return str(target)
    trained_on = _run_args(folder).get("data")
    if not trained_on or not Path(trained_on).is_file():
        raise ResultsError(
            f"The dataset {folder} was trained on ({trained_on or 'unknown'}) is gone; pass data='config.yaml' (your split's config)."
        )
    return str(trained_on)


_VALIDATIONS: dict = {}
#: Boxes below this confidence are left out of the confusion matrix: the boxes predict() shows by default.
#: (Ultralytics 8.4 counts the validation's conf=0.001 boxes, which fills the background column with noise.)
CONFUSION_CONF = 0.25


def _confusion_at_conf(validator) -> None:
    matrix = getattr(validator, "confusion_matrix", None)
    if matrix is None or getattr(matrix, "_yt_conf", None) is not None:
        return
    original = matrix.process_batch

    def process_batch(*args, **kwargs):
        kwargs["conf"] = CONFUSION_CONF
        return original(*args, **kwargs)

    matrix.process_batch = process_batch
    matrix._yt_conf = CONFUSION_CONF


def validate(
    run: Run | str | Path, data: str | Path | None = None, split: str = "val", imgsz: int | None = None, verbose: bool = False
) -> pd.DataFrame:
    """Validate a run's best model and return the course's per-class table.

    Rows ``all`` then each class: images, instances, precision, recall, mAP50, mAP50-95.
    ``df.attrs["confusion_matrix"]`` holds the confusion matrix (see :func:`confusion_matrix`).
    ``data`` is a ``config.yaml`` (default: the dataset the run was trained on).
    """
    from ultralytics import YOLO

    from . import env

    folder = _run_dir(run)
    weights = _weights(folder)
    key = (str(weights), weights.stat().st_mtime_ns, str(Path(data).resolve()) if data else None, split, imgsz)
    if key in _VALIDATIONS:
        return _copy_table(_VALIDATIONS[key])
    data_yaml = _data_yaml(folder, data)
    env.use_all_cores()
    args = _run_args(folder)
    seen = {}
    model = YOLO(str(weights))
    model.add_callback("on_val_end", lambda validator: seen.update(images=int(validator.seen)))
    model.add_callback("on_val_batch_start", _confusion_at_conf)
    with tempfile.TemporaryDirectory() as tmp:
        metrics = model.val(
            data=data_yaml, split=split, imgsz=imgsz or args.get("imgsz", 640), batch=16,
            device=pick_device("auto"), project=tmp, name="val", plots=True, verbose=verbose,  # plots=True fills the confusion matrix
        )
    if not hasattr(metrics, "box"):
        raise ResultsError(f"validate() reads detection and segmentation runs; {folder} is a {args.get('task')} run.")
    names = metrics.names
    rows = [
        dict(
            **{"class": "all"}, images=seen.get("images", 0),
            instances=int(np.sum(metrics.nt_per_class)),
            precision=float(metrics.box.mp), recall=float(metrics.box.mr),
            mAP50=float(metrics.box.map50), **{"mAP50-95": float(metrics.box.map)},
        )
    ]
    for i, c in enumerate(metrics.ap_class_index):
        p, r, ap50, ap = metrics.class_result(i)[:4]
        rows.append(
            dict(**{"class": names[c]}, images=int(metrics.nt_per_image[c]), instances=int(metrics.nt_per_class[c]),
                 precision=float(p), recall=float(r), mAP50=float(ap50), **{"mAP50-95": float(ap)})
        )
    for c, name in names.items():  # classes without any validation instance: listed, with no metrics
        if c not in set(int(x) for x in metrics.ap_class_index):
            rows.append(dict(**{"class": name}, images=0, instances=0, precision=np.nan, recall=np.nan, mAP50=np.nan, **{"mAP50-95": np.nan}))
    table = pd.DataFrame(rows)
    labels = [names[i] for i in range(len(names))] + ["background"]
    matrix = pd.DataFrame(metrics.confusion_matrix.matrix.astype(int), index=labels, columns=labels)
    matrix.index.name, matrix.columns.name = "predicted", "true"
    table.attrs["confusion_matrix"] = matrix
    _VALIDATIONS[key] = table
    return _copy_table(table)


def _copy_table(table: pd.DataFrame) -> pd.DataFrame:
    copy = table.copy()
    copy.attrs["confusion_matrix"] = table.attrs["confusion_matrix"].copy()
    return copy


def confusion_matrix(run: Run | str | Path, data: str | Path | None = None) -> pd.DataFrame:
    """Counts of predicted class (rows) against true class (columns), with a ``background`` row and column.

    Row ``background``: true objects no box found (missed). Column ``background``: boxes where
    there is no object (false alarms). From a validation of the run's best model, counting the
    boxes with confidence above :data:`CONFUSION_CONF` (0.25), the ones :func:`predict` shows.
    """
    return validate(run, data=data).attrs["confusion_matrix"]


def plot_confusion_matrix(matrix: pd.DataFrame | Run | str | Path, normalize: bool = False):
    """The confusion matrix with class names and counts in every cell (fractions of each true class if ``normalize``)."""
    from matplotlib.figure import Figure

    if not isinstance(matrix, pd.DataFrame):
        matrix = confusion_matrix(matrix)
    values = matrix.to_numpy(dtype=float)
    shown = values / np.maximum(values.sum(0, keepdims=True), 1) if normalize else values
    n = len(matrix)
    fig = Figure(figsize=(1.2 * n + 2.5, 1.0 * n + 2), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(shown, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(n), matrix.columns, rotation=30, ha="right")
    ax.set_yticks(range(n), matrix.index)
    ax.set(xlabel="true class", ylabel="predicted class", title="Diagonal: right. Off it: confusions, misses, false alarms")
    top = shown.max() or 1
    for i in range(n):
        for j in range(n):
            text = f"{shown[i, j]:.2f}" if normalize else f"{int(values[i, j])}"
            ax.text(j, i, text, ha="center", va="center", color="white" if shown[i, j] > top / 2 else "black")
    return fig


# ---------------------------------------------------------------------------------------------
# Ground truth beside prediction


def _val_images(folder: Path, data: str | Path | None) -> list[Path]:

    spec = yaml.safe_load(Path(_data_yaml(folder, data)).read_text(encoding="utf-8"))
    root = Path(spec.get("path", "."))
    val = spec.get("val")
    entries = val if isinstance(val, list) else [val]
    images = []
    for entry in entries:
        if entry is None:
            continue
        path = Path(entry) if Path(entry).is_absolute() else root / entry
        images += list_images(path) if path.is_dir() else []
    return images


def _true_boxes(image: Path, width: int, height: int) -> list[tuple[int, float, float, float, float]]:
    from ultralytics.data.utils import img2label_paths

    label = Path(img2label_paths([str(image)])[0])
    boxes = []
    if label.is_file():
        for line in label.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 5:
                c, x, y, w, h = int(parts[0]), *map(float, parts[1:])
                boxes.append((c, (x - w / 2) * width, (y - h / 2) * height, (x + w / 2) * width, (y + h / 2) * height))
            elif len(parts) >= 7:  # a polygon: its bounding box
                xs, ys = [float(v) * width for v in parts[1::2]], [float(v) * height for v in parts[2::2]]
                boxes.append((int(parts[0]), min(xs), min(ys), max(xs), max(ys)))
    return boxes


def plot_predictions(
    run: Run | str | Path, images: list[str | Path] | None = None, n: int = 4, conf: float = 0.25, data: str | Path | None = None
):
    """True boxes (left) beside the best model's predictions (right), for chosen or the first ``n`` validation images."""
    import cv2
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from ultralytics import YOLO

    from . import env

    folder = _run_dir(run)
    model = YOLO(str(_weights(folder)))
    images = [Path(i) for i in images] if images else _val_images(folder, data)[:n]
    if not images:
        raise ResultsError(f"No images to show: pass images=[...] (the validation folder of {folder} is empty or gone).")
    env.use_all_cores()
    names = model.names
    colors = _colors(len(names))
    fig = Figure(figsize=(8, 3.6 * len(images)), layout="constrained")
    axes = np.array(fig.subplots(len(images), 2)).reshape(len(images), 2)
    for (left, right), image in zip(axes, images):
        picture = cv2.imread(str(image))
        if picture is None:
            raise ResultsError(f"{image} cannot be read as an image.")
        picture = cv2.cvtColor(picture, cv2.COLOR_BGR2RGB)
        height, width = picture.shape[:2]
        result = model.predict(str(image), conf=conf, device=pick_device("auto"), verbose=False)[0]
        predicted = []
        if result.boxes is not None:
            for c, p, box in zip(result.boxes.cls.tolist(), result.boxes.conf.tolist(), result.boxes.xyxy.tolist()):
                predicted.append((int(c), *box, p))
        for ax, boxes, title in ((left, _true_boxes(image, width, height), "true"), (right, predicted, "predicted")):
            ax.imshow(picture)
            ax.set_axis_off()
            ax.set_title(f"{image.name}: {title} ({len(boxes)})", fontsize=9)
            for box in boxes:
                c, x1, y1, x2, y2 = box[:5]
                ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=2, color=colors[c % len(colors)]))
                label = names.get(c, str(c)) + (f" {box[5]:.2f}" if len(box) > 5 else "")
                ax.text(x1, y1, label, fontsize=7, color="white", va="bottom", backgroundcolor=colors[c % len(colors)])
    return fig


# ---------------------------------------------------------------------------------------------
# Diagnosis


@dataclass
class Finding:
    """One observation about a run: what, the evidence (epochs and values) and what to do."""

    kind: str  # still_improving, converged, overfitting, unstable, underfitting, precision_recall, ...
    title: str
    evidence: str
    suggestion: str
    severity: str = "info"  # info, warning, problem

    def __str__(self) -> str:
        return f"[{self.severity}] {self.title}\n    evidence:   {self.evidence}\n    suggestion: {self.suggestion}"


class Diagnosis(list):
    """The findings of :func:`diagnose`, a list of :class:`Finding`; prints as a report."""

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


def _trend_findings(df: pd.DataFrame, th: dict) -> list[Finding]:
    findings = []
    metric = _main_metric(df)
    n = len(df)
    epochs = df["epoch"].to_numpy()
    values = df[metric].to_numpy(dtype=float)
    losses = _loss_names(df)
    train_loss = df[[f"train_{loss}" for loss in losses]].sum(axis=1, min_count=1).to_numpy(dtype=float) if losses else None
    val_loss = df[[f"val_{loss}" for loss in losses]].sum(axis=1, min_count=1).to_numpy(dtype=float) if losses else None
    for name, series in (("train loss", train_loss), ("val loss", val_loss)):
        if series is not None and not np.isfinite(series).all():
            bad = int(epochs[~np.isfinite(series)][0])
            findings.append(Finding(
                "unstable", f"The {name} became NaN or infinite", f"first at epoch {bad}",
                "Training diverged: lower the learning rate (lr0=0.001), check the labels for broken boxes, train again.", "problem",
            ))
    if n < th["min_epochs"]:
        findings.append(Finding(
            "too_short", f"Only {n} epoch(s): too few to see a trend",
            f"{metric} {values[-1]:.3f} after epoch {epochs[-1]}",
            "Train for more epochs (on a CPU, 30 at imgsz=320 is a good start) before judging the model.", "warning",
        ))
        return findings
    w = max(3, int(round(n * th["window"])))
    w = min(w, n)
    start = n - w
    best = best_epoch(df)
    peak = np.nanmax(values) if np.isfinite(values).any() else 0.0

    # Overfitting: val loss has a minimum well before the end and rose since, while train loss kept falling.
    overfitting = False
    if val_loss is not None and np.isfinite(val_loss).all():
        i_min = int(np.argmin(val_loss))
        rise = (val_loss[-1] - val_loss[i_min]) / max(abs(val_loss[i_min]), 1e-9)
        train_falls = train_loss[-1] < train_loss[i_min]
        if i_min <= n - 3 and rise > th["overfit_rise"] and train_falls:
            overfitting = True
            findings.append(Finding(
                "overfitting", f"Overfitting from epoch {int(epochs[i_min])}",
                f"val loss lowest at epoch {int(epochs[i_min])} ({val_loss[i_min]:.3f}), then rose to {val_loss[-1]:.3f} "
                f"at epoch {int(epochs[-1])} (+{rise:.0%}) while train loss fell from {train_loss[i_min]:.3f} to {train_loss[-1]:.3f}",
                "The model memorises the training images. best.pt (epoch "
                f"{best}) is the one to use; add more varied images or augmentation, or stop earlier (patience=...).",
                "warning",
            ))

    # Unstable: big falls of the metric from one epoch to the next.
    drops = [(int(epochs[i]), values[i - 1], values[i]) for i in range(1, n)
             if peak > 0 and values[i - 1] - values[i] > th["unstable_drop"] * peak]
    if len(drops) >= 2:
        shown = "; ".join(f"epoch {e}: {a:.3f} -> {b:.3f}" for e, a, b in drops[:4])
        findings.append(Finding(
            "unstable", f"{metric} jumps up and down ({len(drops)} big falls)", shown,
            "Lower the learning rate (lr0), use a larger batch, or check for wrong labels; more validation images also "
            "make the metric steadier.", "warning",
        ))

    gain = values[-1] - values[start - 1] if start > 0 else values[-1] - values[0]
    loss_falling = val_loss is not None and val_loss[-1] < np.min(val_loss[: max(start, 1)])
    if not overfitting and gain > th["improving"] and (best >= epochs[start] or loss_falling):
        findings.append(Finding(
            "still_improving", "Still improving at the end: train longer",
            f"{metric} rose from {values[start - 1 if start else 0]:.3f} (epoch {int(epochs[start - 1 if start else 0])}) "
            f"to {values[-1]:.3f} (epoch {int(epochs[-1])}); best epoch {best} of {int(epochs[-1])}",
            f"Train for more epochs (e.g. {int(epochs[-1]) * 2}), or continue from last.pt with the same settings.",
        ))
    elif not overfitting and abs(gain) <= th["improving"]:
        flat_losses = False
        if train_loss is not None:
            train_drop = (train_loss[0] - train_loss[-1]) / max(abs(train_loss[0]), 1e-9)
            val_drop = (val_loss[0] - val_loss[-1]) / max(abs(val_loss[0]), 1e-9)
            flat_losses = train_drop < th["flat_loss"] and val_drop < th["flat_loss"]
        low = df["mAP50"].iloc[-1] < th["low_map"] if "mAP50" in df.columns else values[-1] < th["low_map"]
        if flat_losses and low:
            findings.append(Finding(
                "underfitting", "Underfitting: both losses stay high and flat",
                f"train loss {train_loss[0]:.3f} -> {train_loss[-1]:.3f}, val loss {val_loss[0]:.3f} -> {val_loss[-1]:.3f} "
                f"over epochs {int(epochs[0])}-{int(epochs[-1])}; {metric} only {values[-1]:.3f}",
                "The model does not learn the task: train longer, use a bigger model or image size (imgsz), start from "
                "pretrained weights, and check that the labels match the images.", "problem",
            ))
        else:
            findings.append(Finding(
                "converged", "Converged: the metrics stopped improving",
                f"{metric} changed by {gain:+.3f} over the last {w} epochs (epochs {int(epochs[start])}-{int(epochs[-1])}), "
                f"best {values[best == epochs].max():.3f} at epoch {best}",
                "More epochs will not help; to gain more, add images (especially of the weakest class), use a bigger "
                "model or a larger imgsz.",
            ))
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
    from .dataset import DatasetReport, inspect_dataset, read_labels

    if dataset is not None:
        report = dataset if isinstance(dataset, DatasetReport) else inspect_dataset(dataset)
        return report.instances_per_class, f"dataset report of {report.path}"
    try:
        spec = yaml.safe_load(Path(_data_yaml(folder, data)).read_text(encoding="utf-8"))
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
    weakest class, what it is confused with, boxes on background. From the data (``dataset``:
    a :class:`~yolo_training.dataset.DatasetReport` or export folder; else the run's training
    labels): classes with few instances, class imbalance. Thresholds: :data:`DIAGNOSIS_THRESHOLDS`.
    """
    unknown = set(thresholds) - set(DIAGNOSIS_THRESHOLDS)
    if unknown:
        raise YoloTrainingError(f"Unknown threshold(s) {sorted(unknown)}; known: {', '.join(DIAGNOSIS_THRESHOLDS)}.")
    th = {**DIAGNOSIS_THRESHOLDS, **thresholds}
    folder = _run_dir(run)
    df = load_results(folder)
    findings = Diagnosis(_trend_findings(df, th))
    table = None
    if validate_model and (folder / "weights").is_dir():
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


def compare_runs(runs: list[Run | str | Path], labels: list[str] | None = None) -> tuple[pd.DataFrame, object]:
    """A table of settings and best metrics, and one figure of mAP and losses per epoch, for several runs."""
    from matplotlib.figure import Figure

    if not runs:
        raise YoloTrainingError("compare_runs needs a list of at least one run.")
    folders = [_run_dir(r) for r in runs]
    labels = list(labels) if labels else [f"{f.parent.name}/{f.name}" for f in folders]
    if len(labels) != len(folders):
        raise YoloTrainingError(f"{len(labels)} labels for {len(folders)} runs.")
    rows, tables = [], []
    for label, folder in zip(labels, folders):
        df = load_results(folder)
        args = _run_args(folder)
        best = best_epoch(df)
        at_best = df[df["epoch"] == best].iloc[0]
        row = dict(run=label, model=Path(str(args.get("model", "?"))).stem, epochs=args.get("epochs"),
                   epochs_done=int(df["epoch"].max()), imgsz=args.get("imgsz"), batch=args.get("batch"), best_epoch=best)
        for m in ("precision", "recall", "mAP50", "mAP50-95", "top1"):
            if m in df.columns:
                row[m] = float(at_best[m])
        row["minutes"] = round(float(df["time"].iloc[-1]) / 60, 2) if df["time"].notna().any() else np.nan
        rows.append(row)
        tables.append(df)
    table = pd.DataFrame(rows)
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax_metric, ax_loss = fig.subplots(1, 2)
    colors = _colors(len(tables))
    for color, label, df in zip(colors, labels, tables):
        metric = _main_metric(df)
        ax_metric.plot(df["epoch"], df[metric], "-", color=color, label=f"{label} {metric}")
        if "mAP50" in df.columns and metric != "mAP50":
            ax_metric.plot(df["epoch"], df["mAP50"], ":", color=color, label=f"{label} mAP50")
        losses = _loss_names(df)
        if losses:
            ax_loss.plot(df["epoch"], df[[f"train_{x}" for x in losses]].sum(axis=1), "-", color=color, label=f"{label} train")
            ax_loss.plot(df["epoch"], df[[f"val_{x}" for x in losses]].sum(axis=1), "--", color=color, label=f"{label} val")
    ax_metric.set(xlabel="epoch", title="mAP per epoch (higher is better)", ylim=(0, 1.02))
    ax_loss.set(xlabel="epoch", title="total loss per epoch (train solid, val dashed)")
    ax_metric.legend(fontsize=7)
    ax_loss.legend(fontsize=7)
    return table, fig
