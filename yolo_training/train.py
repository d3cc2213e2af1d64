"""Training: choosing a model, a device and settings that suit the machine, then calling Ultralytics.

Ultralytics does the training. This module adds what students trip over: model names that are
checked before anything is downloaded, pretrained weights used from the project's ``weights/``
folder (and a clear sentence when there are none and the model starts from scratch), absolute
paths everywhere, every CPU core in use, and defaults chosen for a laptop without a GPU.

Runs can be watched (a live display, :mod:`yolo_training.progress`), stopped, listed
(:mod:`yolo_training.runs`) and taken further in two different ways that the course's text mixes up:

- :func:`resume` finishes an **interrupted** run (Ctrl-C, the panel's Stop, a killed kernel) in
  its own folder, from its ``last.pt``, with its own settings and epoch count;
- :func:`continue_training` trains **more** (fine-tuning): a new run that starts from a run's
  ``best.pt`` or ``last.pt`` with a new number of epochs, optionally more data and frozen layers.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from . import env
from . import runs as _runs
from ._common import in_notebook, is_image
from ._errors import ConfigError, DeviceError, ModelNameError, YoloTrainingError
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
    import hashlib

    data = load_config(config)
    # one file per config path: two configs both named config.yaml (or two processes) never share one
    key = hashlib.sha1(str(Path(config).resolve()).encode("utf-8")).hexdigest()[:10]
    target = env.config_dir() / "data" / f"{Path(config).stem}-{key}-resolved.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.replace(tmp, target)
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
    if any(sep in name for sep in ("/", "\\")) or name in (".", "..") or not name.strip():
        raise YoloTrainingError(f"Run name {name!r} must be a plain name, without / or \\ (e.g. 'euro-yolov8n').")
    return name


# ---------------------------------------------------------------------------------------------
# Checks before training


_METRICS_BY_TASK = {
    "detect": ("precision", "recall", "mAP50", "mAP50-95"),
    "segment": ("precision", "recall", "mAP50", "mAP50-95", "mask_precision", "mask_recall", "mask_mAP50", "mask_mAP50-95"),
    "classify": ("top1", "top5"),
}


def _count_images(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file() and is_image(p)) if folder.is_dir() else 0


def _train_image_count(config: str | Path, task: str) -> int:
    """Images in the training split (checked non-empty)."""
    if task == "classify":
        root = Path(config)
        for split in ("train", "val"):
            if _count_images(root / split) == 0 and (split == "train" or (root / split).is_dir()):
                raise ConfigError(
                    f"The {split} folder {root / split} holds no images. Classification needs {split}/<class name>/ "
                    "folders of images (e.g. `yolo-training sample --task classify --out <folder>`)."
                )
        if not (root / "val").is_dir() and not (root / "test").is_dir():
            raise ConfigError(f"{root} has no val/ folder: put some images of each class in val/<class name>/.")
        return _count_images(root / "train")
    data = load_config(config)
    train_dirs = data["train"] if isinstance(data["train"], list) else [data["train"]]
    total = sum(_count_images(Path(data["path"]) / t) for t in train_dirs)
    if total == 0:
        raise ConfigError(f"The train folder(s) {train_dirs} named in {config} hold no images. Run the split again.")
    return total


def _check_best_metric(best_metric: str | None, task: str) -> str | None:
    if best_metric is None:
        return None
    allowed = _METRICS_BY_TASK[task]
    if best_metric not in allowed:
        raise YoloTrainingError(
            f"best_metric={best_metric!r} is not a {task} metric; choose one of {', '.join(allowed)} "
            "(or None for Ultralytics' own fitness, mostly mAP50-95)."
        )
    return best_metric


def _check_tensorboard() -> None:
    try:
        import tensorboard  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError as err:
        raise YoloTrainingError(
            "tensorboard=True needs the tensorboard package, which is not installed. Install it with "
            '`pip install "yolo-training[tensorboard]"` (or `pip install tensorboard`), or train with tensorboard=False.'
        ) from err


@contextlib.contextmanager
def _tensorboard_enabled(enabled: bool):
    """Turn on Ultralytics' TensorBoard callbacks for this run only."""
    if not enabled:
        yield
        return
    import importlib

    from ultralytics.utils import SETTINGS
    import ultralytics.utils.callbacks.tensorboard as tb

    before = SETTINGS.get("tensorboard", False)
    SETTINGS.update(tensorboard=True)
    if not tb.callbacks:  # imported before tensorboard was installed or enabled
        importlib.reload(tb)
    try:
        yield
    finally:
        SETTINGS.update(tensorboard=before)


def _show_tensorboard(folder: Path) -> None:
    command = f"tensorboard --logdir {folder.parent}"
    if in_notebook():
        try:
            from IPython import get_ipython

            shell = get_ipython()
            shell.run_line_magic("load_ext", "tensorboard")
            shell.run_line_magic("tensorboard", f"--logdir {folder.parent}")
            return
        except Exception:  # noqa: BLE001 - fall back to the command
            pass
    print(f"TensorBoard: run `{command}` and open http://localhost:6006")


def _is_oom(err: BaseException) -> bool:
    text = str(err).lower()
    return isinstance(err, MemoryError) or "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text


def _oom_error(err: BaseException, settings: dict, model: str, device: str) -> YoloTrainingError:
    where = "GPU" if device not in ("cpu", "mps") else "computer"
    return YoloTrainingError(
        f"Training ran out of memory on the {where} ({type(err).__name__}: {str(err).splitlines()[0][:200]}). "
        f"Lower what takes memory, one at a time: batch (now {settings.get('batch')}, try half), image size "
        f"(imgsz now {settings.get('imgsz')}, try {max(32, (int(settings.get('imgsz') or 64) // 2) // 32 * 32)}), "
        f"a smaller model (now {model}; the n size is the smallest), and cache=False if you set cache "
        f"(now {settings.get('cache', False)}). Close other programs that use memory, then train again."
    )


def _results_rows(csv: Path) -> pd.DataFrame | None:
    if not csv.is_file():
        return None
    table = pd.read_csv(csv)
    table.columns = [c.strip() for c in table.columns]
    return table


def _trim_results(csv: Path, last_epoch: int) -> None:
    """Keep one row per epoch up to ``last_epoch`` (1-based): a kill between writing a row and the checkpoint."""
    table = _results_rows(csv)
    if table is None or "epoch" not in table:
        return
    kept = table[table["epoch"] <= last_epoch].drop_duplicates("epoch", keep="last")
    if len(kept) != len(table):
        kept.to_csv(csv, index=False)


# ---------------------------------------------------------------------------------------------
# Callbacks the package adds to every run


class _Control:
    """Per-run callbacks: status in the registry, Stop between batches, best checkpoint by a named metric."""

    def __init__(self, folder: Path, stop=None, best_metric: str | None = None):
        self.folder = folder
        self.stop = stop
        self.best_metric = best_metric
        self.stop_requested = False
        self.saved_resumable = False

    def callbacks(self) -> dict:
        return {
            "on_pretrain_routine_end": self.on_pretrain_routine_end,
            "on_train_start": self.on_train_start,
            "on_train_batch_end": self.on_train_batch_end,
            "on_model_save": self.on_model_save,
        }

    def on_pretrain_routine_end(self, trainer) -> None:
        if self.best_metric:
            key = _METRIC_KEYS[self.best_metric]
            original = trainer.validate

            def validate():
                before = trainer.best_fitness
                metrics, fitness = original()
                if metrics is not None and key in metrics:
                    fitness = float(metrics[key])  # best.pt and early stopping follow the named metric
                    trainer.best_fitness = fitness if before is None or fitness > before else before
                return metrics, fitness

            trainer.validate = validate

    def on_train_start(self, trainer) -> None:
        _runs.set_status(self.folder, "training")

    def on_train_batch_end(self, trainer) -> None:
        if self.stop is not None and self.stop.is_set() and not trainer.stop:
            # Ultralytics checks trainer.stop after every batch: it validates this epoch, saves it and ends
            trainer.stop = True
            trainer._yt_stop_requested = self.stop_requested = True

    def on_model_save(self, trainer) -> None:
        if self.stop_requested:
            # final_eval() strips the optimizer from last.pt; keep the resumable copy to put back afterwards
            shutil.copy2(trainer.last, trainer.wdir / ".last-resumable.pt")
            self.saved_resumable = True


def _restore_resumable(folder: Path) -> bool:
    keep = folder / "weights" / ".last-resumable.pt"
    if keep.is_file():
        os.replace(keep, folder / "weights" / "last.pt")
        return True
    return False


def _checkpoint_state(last: Path) -> dict:
    """epoch (0-based, -1 when finished), epochs, and whether it can be resumed."""
    from ultralytics.utils.patches import torch_load

    ckpt = torch_load(last, map_location="cpu")
    args = ckpt.get("train_args") or {}
    epoch = ckpt.get("epoch", -1)
    epochs = int(args.get("epochs") or 0)
    resumable = epoch is not None and epoch >= 0 and ckpt.get("optimizer") is not None and epoch + 1 < epochs
    return {"epoch": epoch, "epochs": epochs, "resumable": resumable, "args": args}


def _progress_hooks(source: str, live, folder: Path, epochs: int):
    """The live display's callbacks (one device), or a follower of results.csv (several GPUs, DDP).

    Under DDP Ultralytics re-creates the trainer in worker processes and sends them the
    callbacks with cloudpickle: they run there, where this kernel's widgets are out of reach,
    so the display reads the ``results.csv`` that rank 0 writes every epoch instead.
    """
    from .progress import ResultsFollower

    if source == "callbacks":
        return [live.callbacks()], None
    return [], ResultsFollower(folder / "results.csv", live, epochs)


def _fit(yolo, folder: Path, record: dict, train_args: dict, *, device: str, verbose: bool, progress,
         callbacks: dict | None, stop, best_metric: str | None, tensorboard: bool, show_log: bool) -> Run:
    """Run ``yolo.train(**train_args)`` with the package's callbacks, log file, registry and errors."""
    from .progress import LiveProgress, log_to_file, make_view, progress_source

    control = _Control(folder, stop, best_metric)
    live = LiveProgress(make_view(progress if verbose else False, title=f"Training {folder.name}"), train_args.get("epochs"))
    added = dict(control.callbacks())
    events, follower = _progress_hooks(progress_source(device), live, folder, int(train_args.get("epochs") or 0))
    for event, func in added.items():
        yolo.add_callback(event, func)
    for group in events + [callbacks or {}]:
        for event, funcs in group.items():
            for func in funcs if isinstance(funcs, (list, tuple)) else [funcs]:
                yolo.add_callback(event, func)
    _runs.set_status(folder, "preparing", pid=os.getpid())
    start = time.perf_counter()
    try:
        with log_to_file(folder, quiet=not show_log), _tensorboard_enabled(tensorboard):
            if follower:
                follower.start()
            try:
                yolo.train(**train_args)
            finally:
                if follower:
                    follower.stop()
    except KeyboardInterrupt:
        _runs.set_status(folder, "stopped", error="interrupted (Ctrl-C or kernel interrupt)")
        print(f"Training interrupted. Resume it with resume({folder.name!r}) "
              f"(or `yolo-training train --resume {folder.name}`).")
        raise
    except Exception as err:
        # a search pruning a trial (optuna.TrialPruned) ends it on purpose: that is a stop, not a failure
        status = "stopped" if type(err).__name__ == "TrialPruned" else "failed"
        _runs.set_status(folder, status, error=f"{type(err).__name__}: {err}")
        if _is_oom(err):
            raise _oom_error(err, train_args, str(record.get("model")), device) from err
        raise
    trainer = yolo.trainer
    stopped = control.stop_requested and _restore_resumable(folder)
    metrics = readable_metrics(trainer.metrics or {})
    run = Run(dir=folder, task=record["task"], metrics=metrics, seconds=time.perf_counter() - start)
    if stopped and _checkpoint_state(run.last)["resumable"]:
        _runs.set_status(folder, "stopped", best_metrics=metrics, error=None)
    else:
        _runs.set_status(folder, "completed", best_metrics=metrics, error=None)
    if tensorboard and verbose:
        _show_tensorboard(folder)
    if verbose:
        print(run.summary())
    return run


def _new_run_folder(project: Path, name: str, overwrite: bool) -> Path:
    from ultralytics.utils.files import increment_path

    target = project / name
    if target.exists():
        if overwrite:
            if any(target.iterdir()):
                _runs._remove_run_folder(target)
        else:
            target = increment_path(target, exist_ok=False, sep="")
    target.mkdir(parents=True, exist_ok=True)
    return target.resolve()


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
    *,
    overwrite: bool = False,
    progress: str | bool = "auto",
    best_metric: str | None = None,
    tensorboard: bool = False,
    stop: threading.Event | None = None,
    show_log: bool = False,
    estimate: bool = False,
    **kwargs,
) -> Run:
    """Train a YOLO model on ``config.yaml`` and return the :class:`Run`.

    ``model`` is a name (``yolov8n``, ``yolo11s``, ``yolo26n``...), an architecture ``.yaml`` or
    a ``.pt`` path (see :func:`resolve_model`). ``epochs``, ``imgsz`` and ``batch`` default to
    values chosen for the device (see :data:`CPU_DEFAULTS`). ``device="auto"`` picks CUDA, then
    MPS, then the CPU, where every core is used. Runs go to ``runs/<task>/<name>`` of the
    project: a new numbered folder (``train2``...) if the name is taken, or, with
    ``overwrite=True``, that run's folder replaced. ``task="classify"`` takes an ImageFolder
    (``train/<class>/``, ``val/<class>/``) as ``config``.

    Any other Ultralytics training argument passes through unchanged, among them
    ``patience`` (early stopping: end the run when validation has not improved for that many
    epochs), ``time`` (a budget in hours that replaces ``epochs``), ``save_period`` (keep
    ``epochN.pt`` every N epochs), ``freeze``, ``lr0``, ``optimizer``, ``cache``, ``fraction``...

    While it trains, ``progress="auto"`` shows one live display in Jupyter (or a line per epoch
    in a terminal); Ultralytics' full log goes to ``train.log`` in the run folder
    (``show_log=True`` prints it as well). ``verbose=False`` shows nothing. ``best_metric``
    (``"mAP50"``, ``"recall"``, ``"top1"``...) chooses ``best.pt`` and early stopping by that
    metric instead of Ultralytics' fitness (mostly mAP50-95). ``tensorboard=True`` writes event
    files for TensorBoard. ``stop`` is a :class:`threading.Event`: setting it ends the run after
    the current batch, leaving a ``last.pt`` that :func:`resume` continues (Ctrl-C does too, from
    the last finished epoch). ``callbacks`` maps Ultralytics callback events
    (``on_fit_epoch_end``...) to a function or a list of functions, each called with the trainer.

    ``estimate=True`` first times a few real batches and prints how long the run will take
    (:func:`estimate_training_time`); without it, the live display shows the same estimate
    from the run's own first batches.

    The run is recorded in the project's registry (:func:`list_runs`).
    """
    from ultralytics import YOLO

    choice = resolve_model(model, task)
    task = choice.task
    run_name = _make_name(name)
    dev = pick_device(device)
    settings, notes = training_settings(dev, epochs, imgsz, batch, **kwargs)
    best_metric = _check_best_metric(best_metric, task)
    if tensorboard:
        _check_tensorboard()
    n_train = _train_image_count(config, task)
    if isinstance(settings.get("batch"), int) and settings["batch"] > n_train > 0:
        warnings.warn(f"batch={settings['batch']} is larger than the {n_train} training images; using batch={n_train}.", stacklevel=2)
        notes.append(f"batch capped at {n_train}, the number of training images.")
        settings["batch"] = n_train
    if estimate:
        estimate_training_time(config, choice.source, device=dev, task=task, verbose=verbose, **settings)
    data = prepare_data(config, task)
    project = Path(project).expanduser().resolve() if project is not None else env.runs_dir() / task
    _check_writable(project)
    folder = _new_run_folder(project, run_name, overwrite)
    record = _runs.write_record(
        folder, name=folder.name, task=task, model=choice.name, model_source=choice.source,
        data=str(Path(config).resolve()), settings=settings, best_metric=best_metric,
        device=dev, kind="train", status="pending",
    )
    threads = env.use_all_cores() if dev in ("cpu", "mps") else None
    if verbose:
        print(choice.note)
        where = f"CPU with {threads} threads" if dev == "cpu" else dev
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in settings.items())
        print(f"Training {folder.name} on {where}: {shown}")
        for note in notes:
            print(note)
        print(f"Run folder: {folder} (full log: {folder / 'train.log'})")
    yolo = YOLO(choice.source, task=task)
    train_args = dict(
        data=data, project=str(project), name=folder.name, exist_ok=True, save_dir=str(folder),
        device=dev, verbose=verbose, **settings,
    )
    return _fit(yolo, folder, record, train_args, device=dev, verbose=verbose, progress=progress,
                callbacks=callbacks, stop=stop, best_metric=best_metric, tensorboard=tensorboard, show_log=show_log)


def _folder_of(run, project=None) -> Path:
    return run.dir if isinstance(run, Run) else _runs.find_run(run, project)


def resume(
    run: "Run | str | Path",
    data: str | Path | None = None,
    device: str | int | list | None = None,
    batch: int | None = None,
    verbose: bool = True,
    progress: str | bool = "auto",
    callbacks: dict | None = None,
    stop: threading.Event | None = None,
    show_log: bool = False,
    project: str | Path | None = None,
) -> Run:
    """Continue an **interrupted** run from its ``last.pt``: same folder, settings and epoch count.

    For a run cut short by Ctrl-C, the Stop button, a killed kernel or a power cut. Training
    restarts at the first epoch that was not saved; ``results.csv`` keeps one row per epoch.
    ``run`` is a :class:`Run`, a run name (see :func:`list_runs`) or a run folder. ``data``
    gives the dataset's new place if it moved since; ``device`` and ``batch`` may change.
    ``project`` is where to look a run name up (default: the project's ``runs/``).

    Resuming is not training more: a run that finished all its epochs cannot be resumed
    (Ultralytics would silently start a new run on its ``coco8`` demo data instead); use
    :func:`continue_training` for more epochs from its weights.
    """
    from ultralytics import YOLO

    folder = _folder_of(run, project)
    record = _runs.read_record(folder)
    last = folder / "weights" / "last.pt"
    if not last.is_file():
        raise YoloTrainingError(
            f"Run {folder.name} has no weights/last.pt: it stopped before finishing its first epoch, so there is nothing "
            f"to resume. Train it again with train(..., name={folder.name!r}, overwrite=True)."
        )
    state = _checkpoint_state(last)
    if not state["resumable"]:
        raise YoloTrainingError(
            f"Run {folder.name} finished its {state['epochs']} epochs, so there is nothing to resume (resume continues "
            f"interrupted runs only). To train it longer, start a new run from its weights: "
            f"continue_training({folder.name!r}, epochs=...)."
        )
    task = record.get("task") or state["args"].get("task", "detect")
    config = Path(data) if data is not None else Path(record.get("data") or state["args"].get("data", ""))
    if not config.exists():
        raise ConfigError(
            f"Run {folder.name} was trained on {config}, which no longer exists (moved or deleted?). Pass its new "
            f"place: resume({folder.name!r}, data='path/to/config.yaml')."
        )
    _train_image_count(config, task)
    prepared = prepare_data(config, task)
    dev = pick_device(device if device is not None else record.get("device", "auto"))
    _trim_results(folder / "results.csv", state["epoch"] + 1)
    if dev in ("cpu", "mps"):
        env.use_all_cores()
    if data is not None:
        record = _runs.write_record(folder, data=str(config.resolve()))
    _runs.write_record(folder, resumed=int(record.get("resumed", 0)) + 1)
    if verbose:
        print(f"Resuming {folder.name} at epoch {state['epoch'] + 2}/{state['epochs']} from {last}")
    yolo = YOLO(str(last), task=task)
    train_args = dict(resume=True, data=prepared, device=dev, save_dir=str(folder), epochs=state["epochs"])
    if batch is not None:
        train_args["batch"] = batch
    return _fit(yolo, folder, {**record, "task": task}, train_args, device=dev, verbose=verbose, progress=progress,
                callbacks=callbacks, stop=stop, best_metric=record.get("best_metric"), tensorboard=False, show_log=show_log)


def continue_training(
    run: "Run | str | Path",
    epochs: int | None = None,
    weights: str = "best",
    freeze: int | list | None = None,
    data: str | Path | None = None,
    name: str | None = None,
    project: str | Path | None = None,
    **kwargs,
) -> Run:
    """Train **more** (the course's fine-tuning): a NEW run that starts from a run's weights.

    Unlike :func:`resume`, which finishes an interrupted run in its own folder, this makes a
    new run named ``<run>-continued`` (or ``name``), initialised from the run's ``best.pt``
    (``weights="last"`` for ``last.pt``), with a fresh schedule of ``epochs``. ``data`` may be
    a different or larger dataset (default: the run's own); ``freeze=10`` keeps the first 10
    layers fixed (the backbone) so that only the rest learns. Image size and batch default to
    the run's; the new run goes beside the old one unless ``project`` says otherwise; every
    other :func:`train` argument passes through.
    """
    folder = _folder_of(run, project)
    record = _runs.read_record(folder)
    if weights not in ("best", "last"):
        raise YoloTrainingError(f"weights={weights!r} must be 'best' or 'last'.")
    source = folder / "weights" / f"{weights}.pt"
    if not source.is_file():
        raise YoloTrainingError(f"Run {folder.name} has no weights/{weights}.pt to continue from.")
    args_file = folder / "args.yaml"
    args = yaml.safe_load(args_file.read_text(encoding="utf-8")) if args_file.is_file() else {}
    task = record.get("task") or args.get("task", "detect")
    config = data if data is not None else record.get("data")
    if not config or not Path(config).exists():
        raise ConfigError(f"The data of run {folder.name} ({config}) no longer exists; pass data='path/to/config.yaml'.")
    kwargs.setdefault("imgsz", (record.get("settings") or {}).get("imgsz", args.get("imgsz")))
    kwargs.setdefault("batch", (record.get("settings") or {}).get("batch", args.get("batch")))
    if freeze is not None:
        kwargs["freeze"] = freeze
    new_name = name or f"{folder.name}-continued"
    run_ = train(config, model=source, epochs=epochs, task=task, name=new_name,
                 project=project if project is not None else folder.parent, **kwargs)
    _runs.write_record(run_.dir, kind="continue", parent=str(folder), parent_weights=str(source))
    return run_


class _WarmupDone(Exception):
    """Ends the timed warm-up of :func:`estimate_training_time`."""


def estimate_training_time(
    config: str | Path = "config.yaml",
    model: str | Path = "yolov8n",
    epochs: int | None = None,
    imgsz: int | None = None,
    batch: int | None = None,
    device: str | int | list | None = "auto",
    task: str | None = None,
    warmup_batches: int = 3,
    verbose: bool = True,
    **kwargs,
) -> dict:
    """How long a training run with these settings will take on this machine, before starting it.

    Trains ``warmup_batches`` + 1 real batches of the real data (the first one, which pays for
    start-up, is not counted) in a throw-away folder and scales the measured time per batch to
    the whole run: batches per epoch times epochs, plus validation (a forward pass over the val
    images, about a third of a training step per image). Returns ``seconds``, ``per_batch``,
    ``batches_per_epoch``, ``epochs`` and the ``settings``; prints them unless ``verbose=False``.
    A ``time=`` budget caps the estimate. Early stopping (``patience``) can only make it shorter.
    """
    import tempfile

    from ultralytics import YOLO

    from .progress import fmt_seconds, log_to_file

    choice = resolve_model(model, task)
    task = choice.task
    dev = pick_device(device)
    settings, _ = training_settings(dev, epochs, imgsz, batch, **kwargs)
    n_train = _train_image_count(config, task)
    if isinstance(settings.get("batch"), int) and settings["batch"] > n_train > 0:
        settings["batch"] = n_train
    data = prepare_data(config, task)
    if dev in ("cpu", "mps"):
        env.use_all_cores()
    stamps: list[float] = []
    sizes: dict = {}

    def on_train_epoch_start(trainer):
        sizes["batches"] = len(trainer.train_loader)
        sizes["val_images"] = len(trainer.test_loader.dataset) if trainer.test_loader is not None else 0
        stamps.append(time.perf_counter())

    def on_train_batch_end(trainer):
        stamps.append(time.perf_counter())
        if len(stamps) >= min(warmup_batches + 2, sizes["batches"] + 1):
            raise _WarmupDone

    yolo = YOLO(choice.source, task=task)
    yolo.add_callback("on_train_epoch_start", on_train_epoch_start)
    yolo.add_callback("on_train_batch_end", on_train_batch_end)
    run_args = {k: v for k, v in settings.items() if k not in ("time", "save_period")}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with log_to_file(Path(tmp), quiet=True):
                yolo.train(data=data, project=tmp, name="warmup", exist_ok=True, device=dev, plots=False,
                           **{**run_args, "epochs": 1})
        except _WarmupDone:
            pass
        finally:
            trainer = getattr(yolo, "trainer", None)
            for loader in (getattr(trainer, "train_loader", None), getattr(trainer, "test_loader", None)):
                if hasattr(loader, "close"):
                    loader.close()
    steps = [b - a for a, b in zip(stamps, stamps[1:])]
    if not steps:
        raise YoloTrainingError("The warm-up did not train a single batch; check the data and settings.")
    timed = steps[1:] or steps
    per_batch = sum(timed) / len(timed)
    batch_size = settings["batch"] if isinstance(settings.get("batch"), int) and settings["batch"] > 0 else 16
    per_epoch = per_batch * sizes["batches"] + per_batch / batch_size / 3 * sizes.get("val_images", 0)
    seconds = per_epoch * settings["epochs"]
    if settings.get("time"):
        seconds = min(seconds, float(settings["time"]) * 3600)
    result = dict(seconds=seconds, per_batch=per_batch, per_epoch=per_epoch, batches_per_epoch=sizes["batches"],
                  epochs=settings["epochs"], settings=settings)
    if verbose:
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in settings.items())
        print(f"Estimated training time on this machine: about {fmt_seconds(seconds)} "
              f"({fmt_seconds(per_epoch)} per epoch, {per_batch:.2f} s per batch of {batch_size}) for {shown}")
    return result
