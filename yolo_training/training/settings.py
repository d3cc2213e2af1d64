"""Training settings: defaults that suit the machine, the fast profile, and checks before a run starts.

Everything :func:`yolo_training.train` decides before it calls Ultralytics lives here: the defaults
for a CPU laptop or a GPU, the student's values over them, the fast profile's caps (for tests and
for executing the notebooks quickly), and the checks that
turn a mistake into a sentence before minutes are spent (an empty train folder, a metric that the
task does not have, a missing package).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.common import is_image
from ..core.errors import ConfigError, YoloTrainingError
from ..data.config import load_config, prepare_data  # noqa: F401  prepare_data: its older import path, still used by search/study.py
from .runs import METRICS_BY_TASK

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


def describe(settings: dict) -> str:
    """``epochs=30, imgsz=320, lr0=0.01``: settings in one line, floats short."""
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in settings.items())


def training_settings(device: str, epochs=None, imgsz=None, batch=None, **extra) -> tuple[dict, list[str]]:
    """The settings a run gets: defaults for the device, the student's values over them, the profile's caps.

    Args:
        device: ``"cpu"``, ``"mps"`` or a GPU (see :func:`yolo_training.pick_device`).
        epochs: the student's value, None for the device's default.
        imgsz: the student's value, None for the device's default.
        batch: the student's value, None for the device's default.
        **extra: any other Ultralytics training argument, passed through.

    Returns:
        ``(settings, notes)``: the arguments for Ultralytics, and sentences explaining defaults and caps.

    Raises:
        YoloTrainingError: an image size that is not a multiple of 32, or epochs below 1.

    Examples:
        >>> settings, notes = training_settings("cpu", epochs=5)
        >>> settings["imgsz"]
        320
    """
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


# ---------------------------------------------------------------------------------------------
# Checks before training


def _count_images(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file() and is_image(p)) if folder.is_dir() else 0


def _classify_image_count(root: Path) -> int:
    for split in ("train", "val"):
        if _count_images(root / split) == 0 and (split == "train" or (root / split).is_dir()):
            raise ConfigError(
                f"The {split} folder {root / split} holds no images. Classification needs {split}/<class name>/ "
                "folders of images (e.g. `yolo-training sample --task classify --out <folder>`)."
            )
    if not (root / "val").is_dir() and not (root / "test").is_dir():
        raise ConfigError(f"{root} has no val/ folder: put some images of each class in val/<class name>/.")
    return _count_images(root / "train")


def train_image_count(config: str | Path, task: str) -> int:
    """How many images the training split holds; an error when it holds none.

    Args:
        config: the split's ``config.yaml`` (detect, segment) or an ImageFolder (classify).
        task: ``detect``, ``segment`` or ``classify``.

    Returns:
        The number of training images.

    Raises:
        ConfigError: no training images (or, for classify, no ``val/`` folder).
    """
    if task == "classify":
        return _classify_image_count(Path(config))
    data = load_config(config)
    train_dirs = data["train"] if isinstance(data["train"], list) else [data["train"]]
    total = sum(_count_images(Path(data["path"]) / t) for t in train_dirs)
    if total == 0:
        raise ConfigError(f"The train folder(s) {train_dirs} named in {config} hold no images. Run the split again.")
    if not any(_holds_an_object(Path(data["path"]) / t) for t in train_dirs):
        raise ConfigError(
            f"The train folder(s) {train_dirs} named in {config} hold {total} image(s) but not one object in their label files "
            "(Ultralytics reads images/x.jpg's labels from labels/x.txt): a model would learn only backgrounds, mAP 0. "
            "Make the split with split_dataset(), which says which annotations it could not read and how to bring them in."
        )
    return total


def _holds_an_object(folder: Path) -> bool:
    """Whether any image below ``folder`` has a label file with a line, where Ultralytics looks for it."""
    from ultralytics.data.utils import img2label_paths

    images = [str(p) for p in folder.rglob("*") if p.is_file() and is_image(p)] if folder.is_dir() else []
    for label in img2label_paths(images):
        try:
            if Path(label).read_text(encoding="utf-8", errors="replace").strip():
                return True
        except OSError:
            continue
    return False


def check_best_metric(best_metric: str | None, task: str) -> str | None:
    """``best_metric`` when the task reports it; an error naming the task's metrics otherwise."""
    if best_metric is None:
        return None
    allowed = METRICS_BY_TASK[task]
    if best_metric not in allowed:
        raise YoloTrainingError(
            f"best_metric={best_metric!r} is not a {task} metric; choose one of {', '.join(allowed)} "
            "(or None for Ultralytics' own fitness, mostly mAP50-95)."
        )
    return best_metric


def check_tensorboard() -> None:
    """An error that says how to install TensorBoard when it is missing."""
    try:
        import tensorboard  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError as err:
        raise YoloTrainingError(
            "tensorboard=True needs the tensorboard package, which is not installed. Install it with "
            '`pip install "yolo-training[tensorboard]"` (or `pip install tensorboard`), or train with tensorboard=False.'
        ) from err


def check_writable(folder: Path) -> None:
    """An error that names the folder when runs cannot be written there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as err:
        raise YoloTrainingError(
            f"Cannot write runs to {folder} ({err.strerror or err}). Pass project= a folder you can write to."
        ) from err


def check_run_name(name: str | None) -> str:
    """A plain run name (default ``train``); an error for names with path separators."""
    name = name or "train"
    if any(sep in name for sep in ("/", "\\")) or name in (".", "..") or not name.strip():
        raise YoloTrainingError(f"Run name {name!r} must be a plain name, without / or \\ (e.g. 'euro-yolov8n').")
    return name
