"""Model-assisted labelling: a trained model proposes the boxes, the student corrects them.

:func:`preannotate` runs a trained model on a Label Studio project's unlabelled tasks and uploads
its boxes, polygons or classes as predictions with their confidences; :func:`accept_predictions`
turns them into annotations (the "Create annotations from predictions" action of the web UI).
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import LabelStudioError
from ..core.devices import use_all_cores
from ..annotate.client import LabelingProject, original_name
from .predictions import load_model

#: The Label Studio result type of each kind of project.
_RESULT_TYPES = {"detect": "rectanglelabels", "segment": "polygonlabels", "classify": "choices"}
#: The model tasks that can pre-label each kind of project (a segmentation model also gives boxes).
_USABLE = {"detect": {"detect", "segment"}, "segment": {"segment"}, "classify": {"classify"}}


@dataclass
class PreannotateResult:
    """What :func:`preannotate` uploaded: tasks predicted, regions, and class names the project lacks.

    Examples:
        >>> print(PreannotateResult(tasks=12, regions=30, model_version="course"))
        Uploaded predictions of 'course' for 12 tasks (30 regions).
    """

    tasks: int
    regions: int
    model_version: str
    skipped_classes: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        text = f"Uploaded predictions of {self.model_version!r} for {self.tasks} tasks ({self.regions} regions)."
        if self.skipped_classes:
            text += f" Skipped classes the project does not have: {sorted(self.skipped_classes)}."
        return text


def preannotate(
    project: LabelingProject,
    model,
    conf: float = 0.25,
    imgsz: int | None = None,
    model_version: str | None = None,
    include_labelled: bool = False,
    batch: int = 16,
    **predict_kwargs,
) -> PreannotateResult:
    """Run a trained model on the project's tasks and upload its predictions as proposals.

    Only tasks without annotations and without a prediction of this ``model_version`` are
    predicted, unless ``include_labelled``. The student then corrects the proposals instead of
    drawing from scratch. Class names must match the project's; others are skipped and reported.

    Args:
        project: the Label Studio project (see :func:`~yolo_training.create_labeling_project`).
        model: a run, a ``best.pt`` path, a run name or an Ultralytics ``YOLO``.
        conf: the lowest confidence uploaded.
        imgsz: the image size to predict at (default: the model's).
        model_version: the name Label Studio shows for these predictions (default: the run's name).
        include_labelled: predict every task, annotated or already predicted too.
        batch: images downloaded and predicted together.
        **predict_kwargs: passed to Ultralytics' ``predict`` (``max_det``, ``iou``...).

    Returns:
        A :class:`PreannotateResult`: tasks predicted, regions uploaded, classes skipped.

    Raises:
        LabelStudioError: the model draws another kind of thing, or shares no class with the project.

    Examples:
        >>> print(preannotate(project, run, conf=0.25))  # doctest: +SKIP
        Uploaded predictions of 'train' for 6 tasks (9 regions).
    """
    use_all_cores()
    yolo = load_model(model)
    names = dict(yolo.names)
    _check_model_fits(project, yolo, set(names.values()))
    version = model_version or Path(str(getattr(yolo, "ckpt_path", None) or "model")).parent.parent.name or "model"
    todo = _tasks_to_predict(project, version, include_labelled)
    kwargs = {"conf": conf, "verbose": False, **({"imgsz": imgsz} if imgsz else {}), **predict_kwargs}
    n_regions, skipped = 0, set()
    with tempfile.TemporaryDirectory(prefix="preannotate-") as tmp:
        for start in range(0, len(todo), batch):
            chunk = todo[start : start + batch]
            paths = _download_images(project, chunk, Path(tmp))
            for task, result in zip(chunk, yolo.predict([str(p) for p in paths], **kwargs)):
                regions, scores, skip = _results_for(result, project.task, names, set(project.classes))
                skipped |= skip
                prediction = {"task": task["id"], "result": regions, "score": min(scores, default=0.0), "model_version": version}
                project.client.post("/api/predictions", json=prediction)
                n_regions += len(regions)
            for p in paths:
                p.unlink(missing_ok=True)
    return PreannotateResult(tasks=len(todo), regions=n_regions, model_version=version, skipped_classes=skipped)


def _check_model_fits(project: LabelingProject, yolo, model_classes: set[str]) -> None:
    if getattr(yolo, "task", project.task) not in _USABLE[project.task]:
        what = {"detect": "boxes", "segment": "polygons", "classify": "classes"}[project.task]
        suffix = {"detect": "", "segment": "-seg", "classify": "-cls"}[project.task]
        raise LabelStudioError(
            f"Project {project.title!r} labels {what} ({project.task}), but the model is a {yolo.task} model. "
            f"Pre-label with a model trained for {project.task} (e.g. from yolo11n{suffix})."
        )
    if not set(project.classes) & model_classes:
        raise LabelStudioError(
            f"None of the model's classes {sorted(model_classes)} is a class of project {project.title!r} "
            f"({project.classes}). Pre-label with a model trained on these classes."
        )


def _tasks_to_predict(project: LabelingProject, version: str, include_labelled: bool) -> list[dict]:
    """The tasks without annotations and without a prediction of ``version`` (all with ``include_labelled``)."""
    client = project.client
    tasks = client.tasks(project.id)
    if include_labelled:
        return tasks
    todo = []
    for t in tasks:
        if t.get("total_annotations", 0):
            continue
        if t.get("total_predictions", 0):
            preds = client.get("/api/predictions", params={"task": t["id"]}).json()
            if any(p.get("model_version") == version for p in preds):
                continue
        todo.append(t)
    return todo


def _download_images(project: LabelingProject, tasks: list[dict], folder: Path) -> list[Path]:
    paths = []
    for t in tasks:
        src = t["data"]["image"]
        target = folder / f"{t['id']}-{original_name(src)}"
        target.write_bytes(project.client.download(src))
        paths.append(target)
    return paths


def _results_for(r, task: str, names: dict, wanted: set[str]) -> tuple[list[dict], list[float], set[str]]:
    """Label Studio result regions of one Ultralytics result; skipped class names are returned too."""
    h, w = r.orig_shape
    base = {"from_name": "label", "to_name": "image", "original_width": int(w), "original_height": int(h), "image_rotation": 0}
    if task == "classify":
        return _choice_region(r, base, names, wanted)
    regions, scores, skipped = [], [], set()
    if r.boxes is None:
        return regions, scores, skipped
    polygons = r.masks.xyn if (task == "segment" and r.masks is not None) else None
    for i, (cls, conf) in enumerate(zip(r.boxes.cls.tolist(), r.boxes.conf.tolist())):
        name = names[int(cls)]
        if name not in wanted:
            skipped.add(name)
            continue
        if task == "segment":
            if polygons is None or len(polygons[i]) < 3:
                continue
            points = [[float(x) * 100, float(y) * 100] for x, y in polygons[i]]
            value = {"points": points, "closed": True, "polygonlabels": [name]}
        else:
            x1, y1, x2, y2 = r.boxes.xyxy[i].tolist()
            value = {"x": x1 / w * 100, "y": y1 / h * 100, "width": (x2 - x1) / w * 100, "height": (y2 - y1) / h * 100, "rotation": 0,
                     "rectanglelabels": [name]}  # fmt: skip
        regions.append({**base, "id": secrets.token_hex(5), "type": _RESULT_TYPES[task], "value": value, "score": float(conf)})
        scores.append(float(conf))
    return regions, scores, skipped


def _choice_region(r, base: dict, names: dict, wanted: set[str]) -> tuple[list[dict], list[float], set[str]]:
    """The top-1 class of a classification result as a Label Studio choice (or skipped)."""
    if r.probs is None:
        return [], [], set()
    name, score = names[int(r.probs.top1)], float(r.probs.top1conf)
    if name not in wanted:
        return [], [], {name}
    region = {**base, "id": secrets.token_hex(5), "type": "choices", "value": {"choices": [name]}, "score": score}
    return [region], [score], set()


def accept_predictions(project: LabelingProject) -> int:
    """Turn the latest prediction of each task without annotations into its annotation.

    The same as selecting the tasks in Label Studio and choosing "Create Annotations From
    Predictions": for when the student checked the proposals and they are right.

    Args:
        project: the Label Studio project.

    Returns:
        How many tasks were annotated.

    Examples:
        >>> accept_predictions(project)  # doctest: +SKIP
        6
    """
    client = project.client
    todo = [t for t in client.tasks(project.id) if not t.get("total_annotations", 0) and t.get("total_predictions", 0)]
    for t in todo:
        preds = client.get("/api/predictions", params={"task": t["id"]}).json()
        if not preds:
            continue
        pred = max(preds, key=lambda p: p.get("id", 0))  # the latest
        result = [{k: v for k, v in region.items() if k != "score"} for region in pred["result"]]
        client.post(f"/api/tasks/{t['id']}/annotations", json={"result": result, "parent_prediction": pred["id"], "was_cancelled": False})
    return len(todo)
