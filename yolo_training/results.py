"""Reading a run: the plots Ultralytics wrote, shown inline in Jupyter or listed in a terminal."""

from __future__ import annotations

from pathlib import Path

from ._errors import YoloTrainingError
from .train import Run

#: The plots of a run, in the order the course reads them, with what to look for.
PLOTS = {
    "results": ("results.png", "Losses should fall and metrics rise, then level off; a rising val loss means overfitting."),
    "confusion_matrix": ("confusion_matrix.png", "Counts on the diagonal are right; off it, which class was taken for which."),
    "confusion_matrix_normalized": ("confusion_matrix_normalized.png", "The same, as fractions of each true class."),
    "labels": ("labels.jpg", "How many boxes per class, where they sit and how big they are: is any class rare?"),
    "train_batch": ("train_batch0.jpg", "What the model saw in training, after augmentation (mosaic, flips, colour)."),
    "val_batch": (("val_batch0_labels.jpg", "val_batch0_pred.jpg"), "Left the true boxes, right the predictions on the same validation images."),
}


def _run_dir(run: Run | str | Path) -> Path:
    folder = run.dir if isinstance(run, Run) else Path(run)
    if not folder.is_dir():
        raise YoloTrainingError(f"There is no run folder {folder.resolve()}.")
    return folder


def plot_paths(run: Run | str | Path) -> dict[str, list[Path]]:
    """The plot files of a run that exist, by name (see :data:`PLOTS`)."""
    folder = _run_dir(run)
    found = {}
    for key, (files, _) in PLOTS.items():
        files = files if isinstance(files, tuple) else (files,)
        paths = [folder / f for f in files if (folder / f).is_file()]
        if paths:
            found[key] = paths
    return found


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
    except ImportError:
        return False


def show_results(run: Run | str | Path, which: str | list[str] | None = None) -> dict[str, list[Path]]:
    """Show a run's plots with a caption each: inline in Jupyter, as paths in a terminal.

    ``which`` picks some of :data:`PLOTS` (``"results"``, ``"confusion_matrix"``, ``"labels"``,
    ``"train_batch"``, ``"val_batch"``...); by default all that exist. Returns their paths.
    """
    folder = _run_dir(run)
    found = plot_paths(folder)
    keys = [which] if isinstance(which, str) else list(which or PLOTS)
    unknown = [k for k in keys if k not in PLOTS]
    if unknown:
        raise YoloTrainingError(f"Unknown plot(s) {unknown}; choose from {', '.join(PLOTS)}.")
    shown = {k: found[k] for k in keys if k in found}
    if _in_notebook():
        from IPython.display import HTML, Image, display

        for key, paths in shown.items():
            display(HTML(f"<h4>{key}</h4><p>{PLOTS[key][1]}</p>"))
            if len(paths) == 1:
                display(Image(filename=str(paths[0])))
            else:
                import base64

                cells = "".join(
                    f'<td style="vertical-align:top"><img style="max-width:100%" '
                    f'src="data:image/jpeg;base64,{base64.b64encode(p.read_bytes()).decode()}"><br>{p.name}</td>'
                    for p in paths
                )
                display(HTML(f"<table><tr>{cells}</tr></table>"))
    else:
        print(f"Plots of {folder}:")
        for key, paths in shown.items():
            print(f"  {key:28s} {', '.join(str(p) for p in paths)}")
            print(f"  {'':28s} {PLOTS[key][1]}")
    missing = [k for k in keys if k not in found]
    if missing:
        print(f"Not in this run (yet): {', '.join(missing)}.")
    return shown
