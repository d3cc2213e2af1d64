"""How long a training run will take on this machine, measured before it starts.

:func:`estimate_training_time` trains a few real batches of the real data in a throw-away folder
and scales the time per batch to the whole run. The training panel's "Estimate time" button and
``train(..., estimate=True)`` use it; the live display makes the same estimate from a run's own
first batches.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from ..core.common import fmt_seconds
from ..core.errors import YoloTrainingError
from ..core.devices import pick_device, use_all_cores
from .extensions import capture_output
from .models import resolve_model
from ..data.config import prepare_data
from .settings import describe, train_image_count, training_settings


class _WarmupDone(Exception):
    """Ends the timed warm-up."""


class _BatchClock:
    """Callbacks that time the first batches of a run, then end it."""

    def __init__(self, batches: int):
        self.wanted = batches
        self.stamps: list[float] = []
        self.sizes: dict = {}

    def on_train_epoch_start(self, trainer) -> None:
        self.sizes["batches"] = len(trainer.train_loader)
        self.sizes["val_images"] = len(trainer.test_loader.dataset) if trainer.test_loader is not None else 0
        self.stamps.append(time.perf_counter())

    def on_train_batch_end(self, trainer) -> None:
        self.stamps.append(time.perf_counter())
        if len(self.stamps) >= min(self.wanted + 2, self.sizes["batches"] + 1):
            raise _WarmupDone

    def per_batch(self) -> float:
        steps = [b - a for a, b in zip(self.stamps, self.stamps[1:])]
        if not steps:
            raise YoloTrainingError("The warm-up did not train a single batch; check the data and settings.")
        timed = steps[1:] or steps  # the first batch pays for start-up
        return sum(timed) / len(timed)


def _time_batches(choice, data: str, dev: str, task: str, settings: dict, batches: int) -> _BatchClock:
    from ultralytics import YOLO

    clock = _BatchClock(batches)
    yolo = YOLO(choice.source, task=task)
    yolo.add_callback("on_train_epoch_start", clock.on_train_epoch_start)
    yolo.add_callback("on_train_batch_end", clock.on_train_batch_end)
    run_args = {k: v for k, v in settings.items() if k not in ("time", "save_period")}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with capture_output(Path(tmp) / "warmup.log", quiet=True):
                yolo.train(data=data, project=tmp, name="warmup", exist_ok=True, device=dev, plots=False, **{**run_args, "epochs": 1})
        except _WarmupDone:
            pass
        finally:
            trainer = getattr(yolo, "trainer", None)
            for loader in (getattr(trainer, "train_loader", None), getattr(trainer, "test_loader", None)):
                if hasattr(loader, "close"):
                    loader.close()
    return clock


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
    start-up, is not counted) and scales the time per batch to the whole run: batches per epoch
    times epochs, plus validation (a forward pass over the val images, about a third of a training
    step per image). A ``time=`` budget caps the estimate; early stopping can only make it shorter.

    Args:
        config: as for :func:`yolo_training.train`.
        model: as for :func:`yolo_training.train`.
        epochs: as for :func:`yolo_training.train`.
        imgsz: as for :func:`yolo_training.train`.
        batch: as for :func:`yolo_training.train`.
        device: as for :func:`yolo_training.train`.
        task: as for :func:`yolo_training.train`.
        warmup_batches: how many batches to time.
        verbose: print the estimate.
        **kwargs: any other training argument, as for :func:`yolo_training.train`.

    Returns:
        ``seconds``, ``per_batch``, ``per_epoch``, ``batches_per_epoch``, ``epochs`` and ``settings``.

    Examples:
        >>> estimate_training_time("config.yaml", "yolov8n", epochs=30, imgsz=320)["seconds"]  # doctest: +SKIP
        412.5
    """
    choice = resolve_model(model, task)
    task = choice.task
    dev = pick_device(device)
    settings, _ = training_settings(dev, epochs, imgsz, batch, **kwargs)
    n_train = train_image_count(config, task)
    if isinstance(settings.get("batch"), int) and settings["batch"] > n_train > 0:
        settings["batch"] = n_train
    data = prepare_data(config, task)
    if dev in ("cpu", "mps"):
        use_all_cores()
    clock = _time_batches(choice, data, dev, task, settings, warmup_batches)
    per_batch = clock.per_batch()
    batch_size = settings["batch"] if isinstance(settings.get("batch"), int) and settings["batch"] > 0 else 16
    per_epoch = per_batch * clock.sizes["batches"] + per_batch / batch_size / 3 * clock.sizes.get("val_images", 0)
    seconds = per_epoch * settings["epochs"]
    if settings.get("time"):
        seconds = min(seconds, float(settings["time"]) * 3600)
    if verbose:
        print(f"Estimated training time on this machine: about {fmt_seconds(seconds)} "
              f"({fmt_seconds(per_epoch)} per epoch, {per_batch:.2f} s per batch of {batch_size}) for {describe(settings)}")
    return dict(seconds=seconds, per_batch=per_batch, per_epoch=per_epoch, batches_per_epoch=clock.sizes["batches"],
                epochs=settings["epochs"], settings=settings)
