"""Detection metrics from first principles, on boxes a student can count.

:func:`explain_metrics` works IoU, precision, recall, the precision-recall curve, AP, mAP50 and
mAP50-95 through on a hand-made example of two images (or the student's own boxes), prints every
step and draws it. The numbers are the course's own arithmetic, written to be read, and
``tests/test_results.py`` checks them against Ultralytics' ``box_iou``, ``match_predictions`` and
``ap_per_class`` to 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.common import class_colors, display_in_notebook
from ..core.errors import YoloTrainingError

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
    """Every number of :func:`explain_metrics`, for reading or checking.

    Examples:
        >>> ex = explain_metrics(show=False)
        >>> ex.ap.round(3)  # AP per class and IoU threshold  # doctest: +SKIP
    """

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
    seven predicted boxes). Prints each step, draws the boxes, the PR curves and AP per IoU
    threshold, and returns every number.

    Args:
        truth: true boxes as ``(image, class, x1, y1, x2, y2)`` tuples in pixels.
        predictions: predicted boxes as ``(image, class, confidence, x1, y1, x2, y2)`` tuples.
        names: the class names, by class id.
        conf: the confidence threshold for the single precision and recall.
        show: print the steps and display the figures.

    Returns:
        A :class:`MetricsExplanation` with every number, the text and the figures.

    Examples:
        >>> ex = explain_metrics(show=False)
        >>> round(ex.map50, 3) <= 1.0
        True
    """
    names = list(names or EXAMPLE_NAMES)
    truth_df, preds = _example_frames(
        EXAMPLE_TRUTH if truth is None else truth, EXAMPLE_PREDICTIONS if predictions is None else predictions
    )
    preds, correct = _score_predictions(truth_df, preds)
    kept = preds["confidence"] >= conf
    tp, n_pred = int(preds.loc[kept, "TP@0.50"].sum()), int(kept.sum())
    ap_table, curves = _ap_per_class(truth_df, preds, correct, names)
    result = MetricsExplanation(
        names=names, truth=truth_df, predictions=preds, correct=correct, precision=tp / n_pred if n_pred else 0.0,
        recall=tp / len(truth_df), conf=conf, ap=ap_table, map50=float(ap_table["0.50"].mean()),
        map50_95=float(ap_table.to_numpy().mean()), curves=curves,
    )
    result.text = _explanation_text(result, tp, n_pred)
    result.figures = _explain_figures(result)
    if show:
        print(result.text)
        for fig in result.figures.values():
            display_in_notebook(fig)
    return result


def _score_predictions(truth_df: pd.DataFrame, preds: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Predictions from most to least confident, with their best IoU and whether they are right at 0.5 and 0.75."""
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
    return preds, correct


def _ap_per_class(truth_df: pd.DataFrame, preds: pd.DataFrame, correct: np.ndarray, names: list[str]) -> tuple[pd.DataFrame, dict]:
    """AP per class and IoU threshold, and each class's PR curve at IoU 0.5."""
    classes = sorted(set(truth_df["class"]))
    ap = np.zeros((len(classes), len(IOU_THRESHOLDS)))
    curves = {}
    for ci, c in enumerate(classes):
        mine = (preds["class"] == c).to_numpy()
        if not mine.any():
            continue
        tps, fps = correct[mine].cumsum(0), (~correct[mine]).cumsum(0)
        rec, prec = tps / int((truth_df["class"] == c).sum()), tps / (tps + fps)
        for j in range(len(IOU_THRESHOLDS)):
            ap[ci, j], r_pts, p_env = average_precision(rec[:, j], prec[:, j])
            if j == 0:
                curves[names[c]] = pd.DataFrame(
                    {"confidence": preds.loc[mine, "confidence"].to_numpy(), "recall": rec[:, 0], "precision": prec[:, 0]}
                )
                curves[names[c]].attrs["envelope"] = (r_pts, p_env)
    return pd.DataFrame(ap, index=[names[c] for c in classes], columns=[f"{t:.2f}" for t in IOU_THRESHOLDS]), curves


def _explanation_text(ex: "MetricsExplanation", tp: int, n_pred: int) -> str:
    names, n_true = ex.names, len(ex.truth)
    lines = ["1. IoU (intersection over union) = overlap area / area covered by both boxes: 1 is a perfect fit, 0 no overlap."]
    for _, p in ex.predictions.iterrows():
        lines.append(
            f"   image {p['image']}: predicted {names[p['class']]!r} (confidence {p['confidence']:.2f}) "
            f"best IoU with a true {names[p['class']]!r}: {p['best_iou']:.3f} -> "
            f"{'true positive' if p['TP@0.50'] else 'false positive'} at IoU 0.5"
        )
    lines += [
        f"2. Keeping boxes with confidence >= {ex.conf}: {n_pred} predictions, {tp} of them right (IoU >= 0.5, right class), "
        f"{n_true} true objects.",
        f"   precision = right predictions / predictions = {tp}/{n_pred} = {ex.precision:.3f} (how often a box is right)",
        f"   recall    = found objects / true objects    = {tp}/{n_true} = {ex.recall:.3f} (how many objects are found)",
        "   (Ultralytics reports P and R at the confidence threshold that gives the best F1 = 2PR/(P+R).)",
        "3. The PR curve: go down the predictions from most to least confident and note precision and recall after each.",
    ]
    for name, curve in ex.curves.items():
        steps = ", ".join(f"({r:.2f}, {p:.2f})" for r, p in zip(curve["recall"], curve["precision"]))
        lines.append(f"   {name!r} (recall, precision): {steps}")
    lines += [
        "4. AP = area under that curve, after replacing each precision by the best precision at equal or higher recall;",
        "   sampled at 101 recall points, as COCO and Ultralytics do (so a perfect detector scores 0.995, not 1).",
    ]
    for name in ex.ap.index:
        lines.append(f"   AP50 {name!r} = {ex.ap.loc[name, '0.50']:.4f}   AP75 = {ex.ap.loc[name, '0.75']:.4f}")
    lines += [
        f"5. mAP50 = mean of AP50 over the classes = {ex.map50:.4f}",
        f"6. mAP50-95 = mean of AP over the classes and the IoU thresholds 0.50, 0.55, ..., 0.95 = {ex.map50_95:.4f}",
        "   It rewards boxes that fit tightly: a box with IoU 0.71 counts at 0.50..0.70 but not above.",
    ]
    return "\n".join(lines)


def _explain_figures(ex: MetricsExplanation) -> dict:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    colors = class_colors(len(ex.names))
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
