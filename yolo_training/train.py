"""Training: choosing a model, a device and settings that suit the machine, then calling Ultralytics.

Ultralytics does the training. This module adds what students trip over: model names that are
checked before anything is downloaded, pretrained weights used from the project's ``weights/``
folder (and a clear sentence when there are none and the model starts from scratch), absolute
paths everywhere, every CPU core in use, and defaults chosen for a laptop without a GPU.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from . import env
from ._errors import DeviceError, ModelNameError, YoloTrainingError
from .split import load_config

FAMILIES = ("yolov8", "yolo11", "yolo26")
SIZES = ("n", "s", "m", "l", "x")
TASKS = ("detect", "segment", "classify")
_TASK_SUFFIX = {"detect": "", "segment": "-seg", "classify": "-cls"}
_NAME = re.compile(r"^(yolov8|yolo11|yolo26)([nsmlx])(-seg|-cls)?(\.pt|\.yaml)?$")

#: Settings for a CPU laptop. Measured on this project's 2-core reference machine: on 200 real
#: photos (one class, from scratch, 6 minutes), Ultralytics' default 640 px reached mAP50 0.016
#: in 4 epochs while 320 px reached 0.296 in 17: on a CPU, more epochs at a smaller size learn more.
CPU_DEFAULTS = dict(imgsz=320, epochs=30, batch=16, patience=10)
GPU_DEFAULTS = dict(imgsz=640, epochs=100, batch=16, patience=100)
CPU_REASON = (
    "CPU defaults: imgsz=320, epochs=30. On a CPU, more epochs at a smaller image size learn more in the "
    "same time: on 200 real photos and 6 minutes of a 2-core CPU, 640 px reached mAP50 0.016 (4 epochs), "
    "320 px 0.296 (17 epochs)."
)
#: ``YOLO_TRAINING_PROFILE=fast`` caps these, for tests and executing the notebooks quickly.
FAST_PROFILE = dict(imgsz=64, epochs=2, batch=8)
PROFILE_VARIABLE = "YOLO_TRAINING_PROFILE"


def profile() -> str:
    """The active profile: ``"fast"`` when ``YOLO_TRAINING_PROFILE=fast``, else ``"default"``."""
    value = os.environ.get(PROFILE_VARIABLE, "default").strip().lower() or "default"
    if value not in ("default", "fast"):
        raise YoloTrainingError(f"{PROFILE_VARIABLE}={value!r} is not a profile; use 'fast' or leave it unset.")
    return value


# ---------------------------------------------------------------------------------------------
# Models


@dataclass
class ModelChoice:
    """What :func:`resolve_model` decided: the file or name to give Ultralytics, and why."""

    source: str  # a .pt path, a .pt name Ultralytics may download, or a .yaml architecture
    name: str  # e.g. "yolo11n-seg"
    task: str
    pretrained: bool
    note: str

    def __str__(self) -> str:
        return self.note


def model_names(task: str | None = None) -> list[str]:
    """Every model name the course knows, e.g. ``yolo11n`` or ``yolov8s-seg``."""
    tasks = [task] if task else list(TASKS)
    return [f"{fam}{size}{_TASK_SUFFIX[t]}" for t in tasks for fam in FAMILIES for size in SIZES]


def _task_of_name(suffix: str | None) -> str:
    return {"-seg": "segment", "-cls": "classify"}.get(suffix or "", "detect")


def resolve_model(model: str | Path = "yolov8n", task: str | None = None) -> ModelChoice:
    """Turn a model name or path into what Ultralytics should load, without touching the network.

    ``model`` is a name (``yolov8n``, ``yolo11s``, ``yolo26m-seg``, with or without ``.pt``),
    an architecture (``yolo11n.yaml``: from scratch), or a path to a ``.pt`` checkpoint.
    ``task`` (detect, segment, classify) adds the suffix to a plain name. Order of preference:
    the given path; ``weights/<name>.pt`` in the project; a download by Ultralytics when
    online; otherwise the architecture built from scratch, with one sentence saying so.
    """
    if task is not None and task not in TASKS:
        raise ModelNameError(f"task={task!r} is not one of {', '.join(TASKS)}.")
    text = str(model).strip()
    match = _NAME.match(Path(text).name.lower()) if Path(text).parent == Path(".") else None
    if match is None:
        path = Path(text).expanduser()
        if path.suffix in (".pt", ".yaml", ".yml") and path.is_file():
            kind = "checkpoint" if path.suffix == ".pt" else "architecture"
            return ModelChoice(
                source=str(path.resolve()),
                name=path.stem,
                task=task or "detect",
                pretrained=path.suffix == ".pt",
                note=f"Model: {kind} {path.resolve()}.",
            )
        known = ", ".join(model_names(task or "detect")[: len(FAMILIES) * len(SIZES)])
        where = f"There is no file {path.resolve()}. " if path.suffix or os.sep in text or "/" in text else ""
        raise ModelNameError(
            f"Unknown model {text!r}. {where}Use a name such as {known} "
            f"(add -seg or -cls, or pass task=...), an architecture like yolo11n.yaml, or the path of a .pt file."
        )
    family, size, suffix, ext = match.groups()
    name_task = _task_of_name(suffix)
    if suffix and task and task != name_task:
        raise ModelNameError(f"{text!r} is a {name_task} model but task={task!r}; drop the suffix or change the task.")
    task = task or name_task
    name = f"{family}{size}{_TASK_SUFFIX[task]}"
    if ext == ".yaml":
        return ModelChoice(f"{name}.yaml", name, task, False, f"Model: {name} built from scratch ({name}.yaml), as asked.")
    cached = env.weights_dir() / f"{name}.pt"
    if cached.is_file():
        return ModelChoice(str(cached), name, task, True, f"Model: pretrained {name} from {cached}.")
    if not env.is_offline():
        return ModelChoice(
            f"{name}.pt", name, task, True,
            f"Model: pretrained {name}; Ultralytics downloads {name}.pt into {env.weights_dir()} (online).",
        )
    return ModelChoice(
        f"{name}.yaml", name, task, False,
        f"Model: no pretrained {name}.pt in {env.weights_dir()} and no network, so {name} starts from scratch "
        f"(random weights: it needs more epochs). To pre-cache weights, run `yolo-training weights fetch {name}` "
        "while online and copy the weights/ folder to each machine.",
    )


def fetch_weights(*names: str) -> list[Path]:
    """Download pretrained weights into the project's ``weights/`` folder (needs the network)."""
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
    """The ``.pt`` files in the project's ``weights/`` folder."""
    folder = env.weights_dir()
    return sorted(folder.glob("*.pt")) if folder.is_dir() else []


# ---------------------------------------------------------------------------------------------
# Devices


def available_devices() -> list[str]:
    """Devices on this machine, as Ultralytics names them: ``"0"``, ``"1"``... (CUDA), ``"mps"``, ``"cpu"``."""
    import torch

    devices = [str(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    return devices + ["cpu"]


def pick_device(device: str | int | list | None = "auto") -> str:
    """``"auto"`` picks CUDA, then Apple MPS, then the CPU; an explicit device must exist."""
    present = available_devices()
    if device is None or str(device).lower() in ("auto", ""):
        return present[0]
    if isinstance(device, (list, tuple)):
        wanted = [str(d) for d in device]
    else:
        wanted = [d.strip() for d in str(device).lower().replace("cuda:", "").split(",")]
        wanted = ["0" if d == "cuda" else d for d in wanted]
    missing = [d for d in wanted if d not in present]
    if missing:
        raise DeviceError(
            f"device={device!r} is not on this machine (available: {', '.join(present)}). "
            "Use device='auto' to pick the best one, or device='cpu'."
        )
    return ",".join(wanted)


# ---------------------------------------------------------------------------------------------
# Runs


_METRIC_KEYS = {
    "precision": "metrics/precision(B)",
    "recall": "metrics/recall(B)",
    "mAP50": "metrics/mAP50(B)",
    "mAP50-95": "metrics/mAP50-95(B)",
    "mask_precision": "metrics/precision(M)",
    "mask_recall": "metrics/recall(M)",
    "mask_mAP50": "metrics/mAP50(M)",
    "mask_mAP50-95": "metrics/mAP50-95(M)",
    "top1": "metrics/accuracy_top1",
    "top5": "metrics/accuracy_top5",
}


def readable_metrics(raw: dict) -> dict[str, float]:
    """Ultralytics' metric keys (``metrics/mAP50(B)``) renamed to the course's (``mAP50``)."""
    raw = {str(k).strip(): v for k, v in raw.items()}
    return {short: float(raw[key]) for short, key in _METRIC_KEYS.items() if key in raw}


@dataclass
class Run:
    """A training run folder and what came out of it."""

    dir: Path
    task: str = "detect"
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float | None = None

    @property
    def name(self) -> str:
        return self.dir.name

    @property
    def best(self) -> Path:
        return self.dir / "weights" / "best.pt"

    @property
    def last(self) -> Path:
        return self.dir / "weights" / "last.pt"

    @property
    def results_csv(self) -> Path:
        return self.dir / "results.csv"

    @classmethod
    def from_dir(cls, folder: str | Path) -> "Run":
        """A finished (or interrupted) run, read back from its folder."""
        folder = Path(folder)
        if not folder.is_dir():
            raise YoloTrainingError(f"There is no run folder {folder.resolve()}. Runs are under {env.runs_dir()}.")
        args = folder / "args.yaml"
        task = (yaml.safe_load(args.read_text(encoding="utf-8")) or {}).get("task", "detect") if args.is_file() else "detect"
        metrics = {}
        csv = folder / "results.csv"
        if csv.is_file():
            table = pd.read_csv(csv)
            if len(table):
                metrics = readable_metrics(table.iloc[-1].to_dict())
        return cls(dir=folder.resolve(), task=task, metrics=metrics)

    def summary(self) -> str:
        shown = "  ".join(f"{k} {v:.3f}" for k, v in self.metrics.items())
        return f"Run {self.dir}\n  {shown or 'no metrics (the run did not finish an epoch)'}"

    def __str__(self) -> str:
        return self.summary()


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as err:
        raise YoloTrainingError(
            f"Cannot write runs to {folder} ({err.strerror or err}). Pass project= a folder you can write to."
        ) from err


def prepare_data(config: str | Path, task: str = "detect") -> str:
    """The dataset argument for Ultralytics: an absolute YAML for detect/segment, a folder for classify.

    ``config.yaml`` keeps a ``path`` relative to itself; Ultralytics would resolve that against its
    own datasets folder, so a resolved copy is written under the project's ``.ultralytics/data``.
    """
    if task == "classify":
        folder = Path(config)
        if not (folder / "train").is_dir():
            raise YoloTrainingError(
                f"Classification needs an image folder with train/ and val/ subfolders of class folders; {folder} has no train/. "
                "Create one with `yolo-training sample --task classify --out <folder>`."
            )
        return str(folder.resolve())
    data = load_config(config)
    target = env.config_dir() / "data" / f"{Path(config).stem}-resolved.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return str(target)


def training_settings(device: str, epochs=None, imgsz=None, batch=None, **extra) -> tuple[dict, list[str]]:
    """Defaults for the device, the user's values over them, then the profile's caps; with explanations."""
    on_cpu = device in ("cpu", "mps")
    settings = dict(CPU_DEFAULTS if on_cpu else GPU_DEFAULTS)
    notes = [CPU_REASON] if on_cpu and (imgsz is None or epochs is None) else []
    for key, value in dict(epochs=epochs, imgsz=imgsz, batch=batch, **extra).items():
        if value is not None:
            settings[key] = value
    imgsz = settings["imgsz"]
    if not isinstance(imgsz, int) or imgsz <= 0 or imgsz % 32:
        raise YoloTrainingError(f"imgsz={imgsz!r} must be a positive multiple of 32 (e.g. 224, 320, 640): YOLO's strides need it.")
    if not isinstance(settings["epochs"], int) or settings["epochs"] <= 0:
        raise YoloTrainingError(f"epochs={settings['epochs']!r} must be a whole number of at least 1.")
    if profile() == "fast":
        for key, cap in FAST_PROFILE.items():
            if isinstance(settings.get(key), int) and settings[key] > cap:
                settings[key] = cap
        settings.pop("time", None)
        notes.append(f"{PROFILE_VARIABLE}=fast: epochs, imgsz and batch capped at {FAST_PROFILE}.")
    return settings, notes


def _make_name(name: str | None) -> str:
    name = name or "train"
    if any(sep in name for sep in ("/", "\\")) or name in (".", ".."):
        raise YoloTrainingError(f"Run name {name!r} must be a plain name, without / or \\.")
    return name


def train(
    config: str | Path = "config.yaml",
    model: str | Path = "yolov8n",
    epochs: int | None = None,
    imgsz: int | None = None,
    batch: int | None = None,
    device: str | int | list | None = "auto",
    task: str | None = None,
    name: str | None = None,
    project: str | Path | None = None,
    verbose: bool = True,
    callbacks: dict | None = None,
    **kwargs,
) -> Run:
    """Train a YOLO model on ``config.yaml`` and return the :class:`Run`.

    ``model`` is a name (``yolov8n``, ``yolo11s``, ``yolo26n``...), an architecture ``.yaml`` or
    a ``.pt`` path (see :func:`resolve_model`). ``epochs``, ``imgsz`` and ``batch`` default to
    values chosen for the device (see :data:`CPU_DEFAULTS`). ``device="auto"`` picks CUDA, then
    MPS, then the CPU, where every core is used. Runs go to ``runs/<task>/<name>`` of the
    project (a new numbered folder if the name is taken). Any other Ultralytics training
    argument (``lr0``, ``patience``, ``time``, ``mosaic``...) passes through unchanged.
    ``callbacks`` maps Ultralytics callback events (``on_fit_epoch_end``...) to a function or a
    list of functions, each called with the trainer.
    """
    from ultralytics import YOLO

    choice = resolve_model(model, task)
    task = choice.task
    dev = pick_device(device)
    settings, notes = training_settings(dev, epochs, imgsz, batch, **kwargs)
    data = prepare_data(config, task)
    project = Path(project).expanduser().resolve() if project is not None else env.runs_dir() / task
    _check_writable(project)
    threads = env.use_all_cores() if dev in ("cpu", "mps") else None
    if verbose:
        print(choice.note)
        where = f"CPU with {threads} threads" if dev == "cpu" else dev
        shown = ", ".join(f"{k}={v}" for k, v in settings.items())
        print(f"Training on {where}: {shown}")
        for note in notes:
            print(note)
    yolo = YOLO(choice.source, task=task)
    for event, funcs in (callbacks or {}).items():
        for func in funcs if isinstance(funcs, (list, tuple)) else [funcs]:
            yolo.add_callback(event, func)
    start = time.perf_counter()
    yolo.train(
        data=data, project=str(project), name=_make_name(name), device=dev, verbose=verbose, **settings
    )
    trainer = yolo.trainer
    run = Run(
        dir=Path(trainer.save_dir).resolve(),
        task=task,
        metrics=readable_metrics(trainer.metrics or {}),
        seconds=time.perf_counter() - start,
    )
    if verbose:
        print(run.summary())
    return run
