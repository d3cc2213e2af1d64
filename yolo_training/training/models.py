"""Model names: which YOLO a name means, and where its weights come from, checked before anything runs.

``yolov8n``, ``yolo11s-seg``, ``yolo26m-cls``: a family, a size and a task. Pretrained weights are
taken from the project's ``weights/`` folder first; online, Ultralytics downloads them; offline,
the model is built from its architecture (random weights) and one sentence says so. Nothing here
touches the network: a wrong name is an error that lists the right ones.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..core import env
from ..core.errors import ModelNameError, YoloTrainingError

FAMILIES = ("yolov8", "yolo11", "yolo26")
SIZES = ("n", "s", "m", "l", "x")
TASKS = ("detect", "segment", "classify")
_TASK_SUFFIX = {"detect": "", "segment": "-seg", "classify": "-cls"}
_NAME = re.compile(r"^(yolov8|yolo11|yolo26)([nsmlx])(-seg|-cls)?(\.pt|\.yaml)?$")


@dataclass
class ModelChoice:
    """What :func:`resolve_model` decided: the file or name to give Ultralytics, and why.

    Attributes:
        source: a ``.pt`` path, a ``.pt`` name Ultralytics may download, or a ``.yaml`` architecture.
        name: e.g. ``yolo11n-seg``.
        task: ``detect``, ``segment`` or ``classify``.
        pretrained: whether training starts from learned weights.
        note: one sentence for the student.

    Examples:
        >>> print(resolve_model("yolov8n"))  # doctest: +SKIP
        Model: pretrained yolov8n from .../weights/yolov8n.pt.
    """

    source: str
    name: str
    task: str
    pretrained: bool
    note: str

    def __str__(self) -> str:
        return self.note


def model_names(task: str | None = None) -> list[str]:
    """Every model name the course knows.

    Args:
        task: ``detect``, ``segment`` or ``classify``; None for all three.

    Returns:
        Names such as ``yolov8n``, ``yolo11s-seg``.

    Examples:
        >>> model_names("classify")[:2]
        ['yolov8n-cls', 'yolov8s-cls']
    """
    tasks = [task] if task else list(TASKS)
    return [f"{fam}{size}{_TASK_SUFFIX[t]}" for t in tasks for fam in FAMILIES for size in SIZES]


def _task_of_suffix(suffix: str | None) -> str:
    return {"-seg": "segment", "-cls": "classify"}.get(suffix or "", "detect")


def _file_choice(text: str, task: str | None) -> ModelChoice:
    """A model given as a path: a ``.pt`` checkpoint or a ``.yaml`` architecture that exists."""
    path = Path(text).expanduser()
    if path.suffix in (".pt", ".yaml", ".yml") and path.is_file():
        kind = "checkpoint" if path.suffix == ".pt" else "architecture"
        return ModelChoice(str(path.resolve()), path.stem, task or "detect", path.suffix == ".pt", f"Model: {kind} {path.resolve()}.")
    known = ", ".join(model_names(task or "detect")[: len(FAMILIES) * len(SIZES)])
    where = f"There is no file {path.resolve()}. " if path.suffix or os.sep in text or "/" in text else ""
    raise ModelNameError(
        f"Unknown model {text!r}. {where}Use a name such as {known} "
        f"(add -seg or -cls, or pass task=...), an architecture like yolo11n.yaml, or the path of a .pt file."
    )


def _named_choice(name: str, task: str, ext: str | None) -> ModelChoice:
    """A model given by name: the project's cached weights, a download, or the architecture from scratch."""
    if ext == ".yaml":
        return ModelChoice(f"{name}.yaml", name, task, False, f"Model: {name} built from scratch ({name}.yaml), as asked.")
    cached = env.weights_dir() / f"{name}.pt"
    if cached.is_file():
        return ModelChoice(str(cached), name, task, True, f"Model: pretrained {name} from {cached}.")
    if not env.is_offline():
        return ModelChoice(f"{name}.pt", name, task, True,
                           f"Model: pretrained {name}; Ultralytics downloads {name}.pt into {env.weights_dir()} (online).")
    return ModelChoice(
        f"{name}.yaml", name, task, False,
        f"Model: no pretrained {name}.pt in {env.weights_dir()} and no network, so {name} starts from scratch "
        f"(random weights: it needs more epochs). To pre-cache weights, run `yolo-training weights fetch {name}` "
        "while online and copy the weights/ folder to each machine.",
    )


def resolve_model(model: str | Path = "yolov8n", task: str | None = None) -> ModelChoice:
    """Turn a model name or path into what Ultralytics should load, without touching the network.

    Order of preference: the given path; ``weights/<name>.pt`` in the project; a download by
    Ultralytics when online; otherwise the architecture built from scratch, with one sentence
    saying so.

    Args:
        model: a name (``yolov8n``, ``yolo11s``, ``yolo26m-seg``, with or without ``.pt``), an
            architecture (``yolo11n.yaml``: from scratch), or the path of a ``.pt`` checkpoint.
        task: ``detect``, ``segment`` or ``classify``: adds the suffix to a plain name.

    Returns:
        A :class:`ModelChoice`; ``str()`` of it is the sentence to show.

    Raises:
        ModelNameError: an unknown name or a missing file (the message lists the known names).

    Examples:
        >>> resolve_model("yolo11n", task="segment").name
        'yolo11n-seg'
    """
    if task is not None and task not in TASKS:
        raise ModelNameError(f"task={task!r} is not one of {', '.join(TASKS)}.")
    text = str(model).strip()
    match = _NAME.match(Path(text).name.lower()) if Path(text).parent == Path(".") else None
    if match is None:
        return _file_choice(text, task)
    family, size, suffix, ext = match.groups()
    name_task = _task_of_suffix(suffix)
    if suffix and task and task != name_task:
        raise ModelNameError(f"{text!r} is a {name_task} model but task={task!r}; drop the suffix or change the task.")
    task = task or name_task
    return _named_choice(f"{family}{size}{_TASK_SUFFIX[task]}", task, ext)


def fetch_weights(*names: str) -> list[Path]:
    """Download pretrained weights into the project's ``weights/`` folder (needs the network).

    Args:
        *names: model names (``yolov8n``, ``yolo11n-seg`` ...).

    Returns:
        The ``.pt`` files, in ``weights/``.

    Raises:
        YoloTrainingError: offline, or a download that failed.

    Examples:
        >>> fetch_weights("yolov8n", "yolo11n")  # doctest: +SKIP
    """
    from ultralytics.utils.downloads import attempt_download_asset

    if env.is_offline():
        raise YoloTrainingError(
            f"No network, so weights cannot be downloaded. Run `yolo-training weights fetch {' '.join(names) or 'yolov8n'}` "
            f"on a machine that is online, then copy its {env.weights_dir()} folder here."
        )
    saved = []
    for name in names:
        choice = resolve_model(name)
        target = env.weights_dir() / f"{choice.name}.pt"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file():
            attempt_download_asset(str(target))
        if not target.is_file():
            raise YoloTrainingError(f"Downloading {choice.name}.pt failed; check the connection and try again.")
        saved.append(target)
    return saved


def cached_weights() -> list[Path]:
    """The ``.pt`` files in the project's ``weights/`` folder.

    Returns:
        Sorted paths (empty when there are none).

    Examples:
        >>> [p.name for p in cached_weights()]  # doctest: +SKIP
        ['yolov8n.pt']
    """
    folder = env.weights_dir()
    return sorted(folder.glob("*.pt")) if folder.is_dir() else []
