"""Where the package extends Ultralytics, through the ways Ultralytics offers, all in one file.

* **Trainer subclasses** (``model.train(trainer=...)``): :class:`DetectionTrainer`,
  :class:`SegmentationTrainer` and :class:`ClassificationTrainer` choose ``best.pt`` by a metric the
  student names (``best_metric=``) and can be stopped between batches.
* **Validator subclasses** (``model.val(validator=...)``): the confusion matrix counts the boxes that
  ``predict()`` shows (confidence >= 0.25), not validation's 0.001 noise.
* **Callbacks**: TensorBoard event files for one run, without switching Ultralytics' saved setting on.
* **Logging handlers and filters**: :func:`capture_output` copies Ultralytics' log of one thread to
  the run's ``train.log`` and keeps that thread's log lines and progress bars off the screen,
  leaving every other thread's output (another notebook cell) alone.

No class or instance of Ultralytics is modified. ``tests/test_contracts.py`` checks every
assumption made here against the installed version and fails loudly when one no longer holds.
The thread count (:func:`yolo_training.core.devices.use_all_cores`) is the only module constant set.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from pathlib import Path

from ultralytics.models import yolo
from ultralytics.utils.metrics import ConfusionMatrix

from .runs import METRIC_KEYS

LOG_FILE = "train.log"
#: Boxes below this confidence are left out of the confusion matrix: the boxes predict() shows by default.
#: (Ultralytics 8.4 counts the validation's conf=0.001 boxes, which fills the background column with noise.)
CONFUSION_CONF = 0.25


# ---------------------------------------------------------------------------------------------
# Trainers


class _CourseTrainer:
    """What the course adds to Ultralytics' trainers (mixed in before the task's own trainer).

    ``best_metric`` (a course metric name such as ``"mAP50"``, set by a callback before training)
    replaces Ultralytics' fitness, so ``best.pt`` and early stopping follow it. ``request_stop()``
    ends the run after the current batch; Ultralytics then validates and saves that epoch.
    """

    best_metric: str | None = None
    stop_requested: bool = False

    def validate(self):
        before = self.best_fitness
        metrics, fitness = super().validate()
        key = METRIC_KEYS.get(self.best_metric or "")
        if key and metrics is not None and key in metrics:
            fitness = float(metrics[key])
            self.best_fitness = fitness if before is None or fitness > before else before
        return metrics, fitness

    def request_stop(self) -> None:
        self.stop = self.stop_requested = True


class DetectionTrainer(_CourseTrainer, yolo.detect.DetectionTrainer):
    """Ultralytics' detection trainer with the course's additions (see :class:`_CourseTrainer`)."""


class SegmentationTrainer(_CourseTrainer, yolo.segment.SegmentationTrainer):
    """Ultralytics' segmentation trainer with the course's additions."""


class ClassificationTrainer(_CourseTrainer, yolo.classify.ClassificationTrainer):
    """Ultralytics' classification trainer with the course's additions."""


TRAINERS = {"detect": DetectionTrainer, "segment": SegmentationTrainer, "classify": ClassificationTrainer}


def trainer_for(task: str):
    """The trainer class to pass as ``model.train(trainer=...)`` for a task."""
    return TRAINERS[task]


# ---------------------------------------------------------------------------------------------
# Validators


class ConfusionAtConf(ConfusionMatrix):
    """Ultralytics' confusion matrix, counting only boxes of confidence >= :data:`CONFUSION_CONF`."""

    def process_batch(self, detections, batch, conf: float = CONFUSION_CONF, iou_thres: float = 0.45) -> None:
        return super().process_batch(detections, batch, conf=max(conf, CONFUSION_CONF), iou_thres=iou_thres)


class _ConfusionAtConfValidator:
    def init_metrics(self, model) -> None:
        super().init_metrics(model)
        old = self.confusion_matrix
        self.confusion_matrix = ConfusionAtConf(names=old.names, task=old.task, save_matches=old.matches is not None)


class DetectionValidator(_ConfusionAtConfValidator, yolo.detect.DetectionValidator):
    """Ultralytics' detection validator whose confusion matrix counts confident boxes only."""


class SegmentationValidator(_ConfusionAtConfValidator, yolo.segment.SegmentationValidator):
    """Ultralytics' segmentation validator whose confusion matrix counts confident boxes only."""


VALIDATORS = {"detect": DetectionValidator, "segment": SegmentationValidator}


def validator_for(task: str):
    """The validator class to pass as ``model.val(validator=...)``; None where Ultralytics' own is used."""
    return VALIDATORS.get(task)


# ---------------------------------------------------------------------------------------------
# TensorBoard


class TensorBoardLogger:
    """Callbacks that write one run's losses, learning rates and metrics as TensorBoard event files.

    The same scalars as Ultralytics' TensorBoard integration, for this run only: nothing is written
    to Ultralytics' saved settings (which a killed run would leave switched on).
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.writer = None

    def callbacks(self) -> dict:
        return {"on_train_start": self.on_train_start, "on_fit_epoch_end": self.on_fit_epoch_end,
                "on_train_end": self.on_train_end}

    def on_train_start(self, trainer) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(self.folder))

    def on_fit_epoch_end(self, trainer) -> None:
        if self.writer is None:
            return
        scalars = {**trainer.label_loss_items(trainer.tloss, prefix="train"), **(trainer.lr or {}), **(trainer.metrics or {})}
        for key, value in scalars.items():
            self.writer.add_scalar(str(key), float(value), trainer.epoch + 1)
        self.writer.flush()

    def on_train_end(self, trainer) -> None:
        if self.writer is not None:
            self.writer.close()


# ---------------------------------------------------------------------------------------------
# Output


class _FromThread(logging.Filter):
    """Passes (or, with ``keep=False``, drops) the records logged by one thread."""

    def __init__(self, thread: int, keep: bool):
        super().__init__()
        self.thread, self.keep = thread, keep

    def filter(self, record: logging.LogRecord) -> bool:
        return (record.thread == self.thread) == self.keep


class _ScreenRouter:
    """Stands in for ``sys.stdout``/``sys.stderr`` while runs are quiet: drops what Ultralytics' own code
    writes directly (its progress bars) from a quiet thread, passes everything else through."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str):
        if threading.get_ident() in _quiet_threads and _written_by_ultralytics():
            return len(text)
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


_quiet_threads: dict[int, int] = {}
_router_lock = threading.Lock()


def _written_by_ultralytics() -> bool:
    frame = sys._getframe(2)  # the caller of write(): print() is C, so this is the Python code that printed
    return str(frame.f_globals.get("__name__", "")).startswith("ultralytics")


@contextlib.contextmanager
def _quiet_thread():
    """While active, Ultralytics' direct writes from this thread do not reach the screen."""
    me = threading.get_ident()
    with _router_lock:
        _quiet_threads[me] = _quiet_threads.get(me, 0) + 1
        for name in ("stdout", "stderr"):
            if not isinstance(getattr(sys, name), _ScreenRouter):
                setattr(sys, name, _ScreenRouter(getattr(sys, name)))
    try:
        yield
    finally:
        with _router_lock:
            _quiet_threads[me] -= 1
            if not _quiet_threads[me]:
                del _quiet_threads[me]
            if not _quiet_threads:
                for name in ("stdout", "stderr"):
                    stream = getattr(sys, name)
                    if isinstance(stream, _ScreenRouter):
                        setattr(sys, name, stream.stream)


@contextlib.contextmanager
def capture_output(log_file: Path | None = None, quiet: bool = True):
    """Ultralytics' log of the current thread goes to ``log_file``; with ``quiet``, not to the screen.

    Only this thread is affected: a run training in a background thread (the panel) does not
    silence Ultralytics in another notebook cell, and two runs never share a log file. The
    progress bars Ultralytics draws from this thread are kept off the screen too.

    Args:
        log_file: the file to append the log to (its folder is made); None for no file.
        quiet: keep this thread's Ultralytics output off the screen.

    Yields:
        ``log_file``.
    """
    from ultralytics.utils import LOGGER

    me = threading.get_ident()
    handler = None
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(_FromThread(me, keep=True))
        LOGGER.addHandler(handler)
    muted = [(h, _FromThread(me, keep=False)) for h in LOGGER.handlers if h is not handler] if quiet else []
    for h, f in muted:
        h.addFilter(f)
    try:
        with _quiet_thread() if quiet else contextlib.nullcontext():
            yield log_file
    finally:
        for h, f in muted:
            h.removeFilter(f)
        if handler is not None:
            LOGGER.removeHandler(handler)
            handler.close()
