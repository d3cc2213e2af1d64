"""Validating a run's best model: the per-class table and the confusion matrix.

:func:`validate` runs Ultralytics' validation of a run's ``best.pt`` on its validation images
(or another ``config.yaml``) and returns the course's table: one row for all classes, one per
class. Its confusion matrix counts the boxes :func:`yolo_training.predict` shows (confidence
0.25 and above), through the validator of :mod:`yolo_training.training.extensions`. Results are kept for
the session, so reading the same run twice does not validate twice.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import ResultsError
from ..core.devices import pick_device, use_all_cores
from ..data.config import prepare_data
from ..training.extensions import capture_output, validator_for
from ..training.runs import Run, find_run

_VALIDATIONS: dict = {}


def dataset_yaml(run: "Run | str | Path", data: str | Path | None = None) -> str:
    """A dataset YAML Ultralytics can read for a run.

    Args:
        run: a :class:`Run`, run folder or run name.
        data: a ``config.yaml`` to use instead of the run's own dataset.

    Returns:
        The given ``config.yaml`` resolved (see :func:`yolo_training.data.config.prepare_data`), else the
        one the run trained on.

    Raises:
        ResultsError: the run's dataset is gone and no ``data`` was given.
    """
    if data is not None:
        return prepare_data(data)
    the_run = Run.from_dir(find_run(run))
    trained_on = the_run.args.get("data")
    if trained_on and Path(trained_on).is_file():
        return str(trained_on)
    config = the_run.record.get("data")
    if config and Path(config).is_file():
        return prepare_data(config)
    raise ResultsError(
        f"The dataset {the_run.dir} was trained on ({trained_on or config or 'unknown'}) is gone; "
        "pass data='config.yaml' (your split's config)."
    )


def _copy_table(table: pd.DataFrame) -> pd.DataFrame:
    copy = table.copy()
    copy.attrs["confusion_matrix"] = table.attrs["confusion_matrix"].copy()
    return copy


def _class_rows(metrics, images_seen: int) -> list[dict]:
    """The ``all`` row, one row per class with instances, and empty rows for classes without any."""
    names = metrics.names
    rows = [dict(**{"class": "all"}, images=images_seen, instances=int(np.sum(metrics.nt_per_class)),
                 precision=float(metrics.box.mp), recall=float(metrics.box.mr),
                 mAP50=float(metrics.box.map50), **{"mAP50-95": float(metrics.box.map)})]
    for i, c in enumerate(metrics.ap_class_index):
        p, r, ap50, ap = metrics.class_result(i)[:4]
        rows.append(dict(**{"class": names[c]}, images=int(metrics.nt_per_image[c]), instances=int(metrics.nt_per_class[c]),
                         precision=float(p), recall=float(r), mAP50=float(ap50), **{"mAP50-95": float(ap)}))
    present = {int(x) for x in metrics.ap_class_index}
    for c, name in names.items():
        if c not in present:
            rows.append(dict(**{"class": name}, images=0, instances=0, precision=np.nan, recall=np.nan, mAP50=np.nan,
                             **{"mAP50-95": np.nan}))
    return rows


def _confusion_table(metrics) -> pd.DataFrame:
    names = metrics.names
    labels = [names[i] for i in range(len(names))] + ["background"]
    matrix = pd.DataFrame(metrics.confusion_matrix.matrix.astype(int), index=labels, columns=labels)
    matrix.index.name, matrix.columns.name = "predicted", "true"
    return matrix


def validate(
    run: "Run | str | Path", data: str | Path | None = None, split: str = "val", imgsz: int | None = None, verbose: bool = False
) -> pd.DataFrame:
    """Validate a run's best model and return the course's per-class table.

    Args:
        run: a :class:`Run`, run folder or run name.
        data: a ``config.yaml`` (default: the dataset the run was trained on).
        split: ``val`` or ``test``.
        imgsz: image size (default: the run's).
        verbose: show Ultralytics' own output (its table and progress bar).

    Returns:
        A DataFrame: rows ``all`` then each class; columns images, instances, precision, recall,
        mAP50, mAP50-95. ``df.attrs["confusion_matrix"]`` holds the confusion matrix (see
        :func:`confusion_matrix`).

    Raises:
        ResultsError: a classification run, a run without weights, or its dataset gone.

    Examples:
        >>> validate("course").round(3)  # doctest: +SKIP
    """
    from ultralytics import YOLO

    the_run = Run.from_dir(find_run(run))
    weights = the_run.weights
    key = (str(weights), weights.stat().st_mtime_ns, str(Path(data).resolve()) if data else None, split, imgsz)
    if key in _VALIDATIONS:
        return _copy_table(_VALIDATIONS[key])
    validator = validator_for(the_run.task)
    if validator is None:
        raise ResultsError(f"validate() reads detection and segmentation runs; {the_run.dir} is a {the_run.task} run.")
    data_yaml = dataset_yaml(the_run, data)
    use_all_cores()
    seen = {}
    model = YOLO(str(weights))
    model.add_callback("on_val_end", lambda v: seen.update(images=int(v.seen)))
    with tempfile.TemporaryDirectory() as tmp, capture_output(None, quiet=not verbose):
        metrics = model.val(
            validator=validator, data=data_yaml, split=split, imgsz=imgsz or the_run.args.get("imgsz", 640), batch=16,
            device=pick_device("auto"), project=tmp, name="val", plots=True, verbose=verbose,  # plots=True fills the confusion matrix
        )
    table = pd.DataFrame(_class_rows(metrics, seen.get("images", 0)))
    table.attrs["confusion_matrix"] = _confusion_table(metrics)
    _VALIDATIONS[key] = table
    return _copy_table(table)


def confusion_matrix(run: "Run | str | Path", data: str | Path | None = None) -> pd.DataFrame:
    """Counts of predicted class (rows) against true class (columns), with a ``background`` row and column.

    Row ``background``: true objects no box found (missed). Column ``background``: boxes where
    there is no object (false alarms). From a validation of the run's best model (see
    :func:`validate`), counting the boxes with confidence of at least ``CONFUSION_CONF`` (0.25),
    the ones :func:`yolo_training.predict` shows.

    Args:
        run: a :class:`Run`, run folder or run name.
        data: a ``config.yaml`` (default: the run's dataset).

    Returns:
        A square DataFrame of counts, indexed ``predicted`` x ``true``.

    Examples:
        >>> confusion_matrix("course")  # doctest: +SKIP
    """
    return validate(run, data=data).attrs["confusion_matrix"]

