"""The plots of a run: Ultralytics' own, with what to look for, and the ones the course draws.

* :func:`show_results` shows the plots Ultralytics wrote (``results.png``, confusion matrices,
  label statistics, batches, PR/F1/P/R curves), each with a "We want / We don't want" caption.
* :func:`plot_training`, :func:`plot_confusion_matrix` and :func:`plot_predictions` draw what is
  hard to read in Ultralytics' versions: curves with the epoch of ``best.pt`` marked, the matrix
  with class names and counts, true boxes beside predictions.

Figures are plain :class:`matplotlib.figure.Figure` objects (not registered with pyplot): a
notebook shows the one a cell returns, a script can ``fig.savefig(...)``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..core.common import class_colors, in_notebook, list_images
from ..core.errors import ResultsError
from ..core.devices import pick_device, use_all_cores
from ..training.runs import Run, best_epoch, find_run, load_results, loss_names
from .validation import confusion_matrix, dataset_yaml

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


def _batch_number(path: Path) -> int:
    found = re.search(r"batch(\d+)", path.name)
    return int(found.group(1)) if found else 0


def plot_paths(run: Run | str | Path) -> dict[str, list[Path]]:
    """The plot files of a run that exist, by name (see :data:`PLOTS`).

    Args:
        run: a :class:`~yolo_training.Run`, run folder or run name.

    Returns:
        ``{"results": [path], "val_batch": [labels, pred, labels, pred...], ...}`` for the plots present.

    Examples:
        >>> sorted(plot_paths("course"))[:3]  # doctest: +SKIP
        ['F1_curve', 'PR_curve', 'P_curve']
    """
    folder = find_run(run)
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
    """Show a run's plots with a "We want / We don't want" caption each: inline in Jupyter, as paths in a terminal.

    Args:
        run: a :class:`~yolo_training.Run`, run folder or run name.
        which: one or several of :data:`PLOTS` (``"results"``, ``"confusion_matrix"``,
            ``"confusion_matrix_normalized"``, ``"labels"``, ``"train_batch"``, ``"val_batch"``,
            ``"PR_curve"``, ``"F1_curve"``, ``"P_curve"``, ``"R_curve"``); by default all that exist.

    Returns:
        The paths of the plots shown, by name.

    Examples:
        >>> show_results("course", which=["results", "confusion_matrix"])  # doctest: +SKIP
    """
    folder = find_run(run)
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


def plot_training(run: Run | str | Path | pd.DataFrame):
    """Losses (train and val on the same axes) and metrics per epoch, with the epoch of ``best.pt`` marked.

    Args:
        run: a :class:`~yolo_training.Run`, run folder, run name, or a :func:`~yolo_training.load_results` table.

    Returns:
        A matplotlib Figure: one panel per loss, one for the metrics.

    Examples:
        >>> plot_training("course")  # doctest: +SKIP
    """
    from matplotlib.figure import Figure

    df = run if isinstance(run, pd.DataFrame) else load_results(run)
    losses = loss_names(df)
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
# The confusion matrix


def plot_confusion_matrix(matrix: pd.DataFrame | Run | str | Path, normalize: bool = False):
    """The confusion matrix with class names and a count in every cell.

    Args:
        matrix: a :func:`~yolo_training.confusion_matrix` table, or a run (validated first).
        normalize: show fractions of each true class instead of counts.

    Returns:
        A matplotlib Figure.

    Examples:
        >>> plot_confusion_matrix("course", normalize=True)  # doctest: +SKIP
    """
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


def _val_images(run, data: str | Path | None) -> list[Path]:
    spec = yaml.safe_load(Path(dataset_yaml(run, data)).read_text(encoding="utf-8"))
    root = Path(spec.get("path", "."))
    entries = spec.get("val") if isinstance(spec.get("val"), list) else [spec.get("val")]
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


def _predicted_boxes(model, image: Path, conf: float) -> list[tuple]:
    result = model.predict(str(image), conf=conf, device=pick_device("auto"), verbose=False)[0]
    if result.boxes is None:
        return []
    return [(int(c), *box, p) for c, p, box in zip(result.boxes.cls.tolist(), result.boxes.conf.tolist(), result.boxes.xyxy.tolist())]


def _draw_boxes(ax, picture, boxes: list[tuple], names: dict, title: str) -> None:
    from matplotlib.patches import Rectangle

    colors = class_colors(len(names))
    ax.imshow(picture)
    ax.set_axis_off()
    ax.set_title(f"{title} ({len(boxes)})", fontsize=9)
    for box in boxes:
        c, x1, y1, x2, y2 = box[:5]
        color = colors[c % len(colors)]
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=2, color=color))
        label = names.get(c, str(c)) + (f" {box[5]:.2f}" if len(box) > 5 else "")
        ax.text(x1, y1, label, fontsize=7, color="white", va="bottom", backgroundcolor=color)


def plot_predictions(
    run: "Run | str | Path", images: list[str | Path] | None = None, n: int = 4, conf: float = 0.25, data: str | Path | None = None
):
    """True boxes (left) beside the best model's predictions (right), image by image.

    Args:
        run: a :class:`~yolo_training.Run`, run folder or run name.
        images: the images to show (default: the first ``n`` validation images).
        n: how many validation images when ``images`` is not given.
        conf: the confidence threshold of the predictions.
        data: a ``config.yaml`` whose validation images to use (default: the run's dataset).

    Returns:
        A matplotlib Figure, one row per image.

    Examples:
        >>> plot_predictions("course", n=2)  # doctest: +SKIP
    """
    import cv2
    from matplotlib.figure import Figure
    from ultralytics import YOLO

    the_run = Run.from_dir(find_run(run))
    model = YOLO(str(the_run.weights))
    images = [Path(i) for i in images] if images else _val_images(the_run, data)[:n]
    if not images:
        raise ResultsError(f"No images to show: pass images=[...] (the validation folder of {the_run.dir} is empty or gone).")
    use_all_cores()
    fig = Figure(figsize=(8, 3.6 * len(images)), layout="constrained")
    axes = np.array(fig.subplots(len(images), 2)).reshape(len(images), 2)
    for (left, right), image in zip(axes, images):
        picture = cv2.imread(str(image))
        if picture is None:
            raise ResultsError(f"{image} cannot be read as an image.")
        picture = cv2.cvtColor(picture, cv2.COLOR_BGR2RGB)
        height, width = picture.shape[:2]
        _draw_boxes(left, picture, _true_boxes(image, width, height), model.names, f"{image.name}: true")
        _draw_boxes(right, picture, _predicted_boxes(model, image, conf), model.names, f"{image.name}: predicted")
    return fig
