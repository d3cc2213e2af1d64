"""Training: one call that trains, watches, records and explains a run; resuming and training more.

Ultralytics does the training. This module adds what students trip over: a model name checked
before anything is downloaded (:mod:`yolo_training.training.models`), settings that suit the machine
(:mod:`yolo_training.training.settings`), every CPU core in use, absolute paths everywhere, a live display
(:mod:`yolo_training.training.progress`), a record in the run registry (:mod:`yolo_training.training.runs`) and
errors that say what to do.

Runs can be taken further in two different ways that are easy to mix up:

- :func:`resume` finishes an **interrupted** run (Ctrl-C, the panel's Stop, a killed kernel) in
  its own folder, from its ``last.pt``, with its own settings and epoch count;
- :func:`continue_training` trains **more** (fine-tuning): a new run that starts from a run's
  ``best.pt`` or ``last.pt`` with a new number of epochs, optionally more data and frozen layers.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import warnings
from pathlib import Path

from ..core import env
from . import runs
from ..core.common import in_notebook
from ..core.errors import ConfigError, YoloTrainingError
from ..core.devices import pick_device, use_all_cores
from ..data.config import prepare_data
from .extensions import LOG_FILE, TensorBoardLogger, capture_output, trainer_for
from .models import resolve_model
from .runs import Run, readable_metrics
from .settings import (
    check_best_metric,
    check_run_name,
    check_tensorboard,
    check_writable,
    describe,
    train_image_count,
    training_settings,
)

RESUMABLE_COPY = ".last-resumable.pt"


# ---------------------------------------------------------------------------------------------
# Callbacks the package adds to every run


def _set_status(folder: Path, status: str, **fields) -> None:
    """Record a status change in the run's registry (which announces it to its listeners)."""
    runs.set_status(folder, status, **fields)


class _Control:
    """Per-run callbacks: the status in the registry, Stop between batches, the best epoch, best_metric."""

    def __init__(self, folder: Path, stop: threading.Event | None = None, best_metric: str | None = None):
        self.folder = folder
        self.stop = stop
        self.best_metric = best_metric
        self.stop_requested = False

    def callbacks(self) -> dict:
        return {
            "on_pretrain_routine_start": self.on_pretrain_routine_start,
            "on_train_start": self.on_train_start,
            "on_train_batch_end": self.on_train_batch_end,
            "on_model_save": self.on_model_save,
        }

    def on_pretrain_routine_start(self, trainer) -> None:
        trainer.best_metric = self.best_metric  # read by the course's trainer (extensions._CourseTrainer)

    def on_train_start(self, trainer) -> None:
        _set_status(self.folder, "training")

    def on_train_batch_end(self, trainer) -> None:
        if self.stop is not None and self.stop.is_set() and not trainer.stop:
            trainer.request_stop()  # Ultralytics validates this epoch, saves it and ends
            self.stop_requested = True

    def on_model_save(self, trainer) -> None:
        if trainer.fitness is not None and trainer.best_fitness == trainer.fitness:
            # Ultralytics has just written best.pt from this epoch: record which epoch that is
            runs.write_record(self.folder, best_epoch=trainer.epoch + 1, best_fitness=float(trainer.best_fitness))
        if self.stop_requested:
            # final_eval() strips the optimizer from last.pt; keep the resumable copy to put back afterwards
            shutil.copy2(trainer.last, trainer.wdir / RESUMABLE_COPY)


def _restore_resumable(folder: Path) -> bool:
    keep = folder / "weights" / RESUMABLE_COPY
    if keep.is_file():
        os.replace(keep, folder / "weights" / "last.pt")
        return True
    return False


def checkpoint_state(last: Path) -> dict:
    """What a ``last.pt`` says about its run.

    Returns:
        ``epoch`` (0-based, -1 when finished), ``epochs``, ``resumable`` (an optimizer state and
        epochs left) and the training ``args``.
    """
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


def _add_callbacks(yolo, *groups: dict) -> None:
    for group in groups:
        for event, funcs in (group or {}).items():
            for func in funcs if isinstance(funcs, (list, tuple)) else [funcs]:
                yolo.add_callback(event, func)


# ---------------------------------------------------------------------------------------------
# Errors


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


def _failed(folder: Path, err: BaseException) -> None:
    """Record why a run ended early; a search pruning a trial (optuna.TrialPruned) is a stop, not a failure."""
    if isinstance(err, KeyboardInterrupt):
        _set_status(folder, "stopped", error="interrupted (Ctrl-C or kernel interrupt)")
        print(f"Training interrupted. Resume it with resume({folder.name!r}) "
              f"(or `yolo-training train --resume {folder.name}`).")
        return
    status = "stopped" if type(err).__name__ == "TrialPruned" else "failed"
    _set_status(folder, status, error=f"{type(err).__name__}: {err}")


# ---------------------------------------------------------------------------------------------
# Training


def _show_tensorboard(folder: Path) -> None:
    if in_notebook():
        try:
            from IPython import get_ipython

            shell = get_ipython()
            shell.run_line_magic("load_ext", "tensorboard")
            shell.run_line_magic("tensorboard", f"--logdir {folder.parent}")
            return
        except Exception:  # fall back to the command
            pass
    print(f"TensorBoard: run `tensorboard --logdir {folder.parent}` and open http://localhost:6006")


def _fit(yolo, folder: Path, record: dict, train_args: dict, *, device: str, verbose: bool, progress,
         callbacks: dict | None, stop, best_metric: str | None, tensorboard: bool, show_log: bool) -> Run:
    """Run ``yolo.train(**train_args)`` with the package's trainer, callbacks, log file, registry and errors."""
    from .progress import LiveProgress, make_view, progress_source

    control = _Control(folder, stop, best_metric)
    live = LiveProgress(make_view(progress if verbose else False, title=f"Training {folder.name}"), train_args.get("epochs"))
    events, follower = _progress_hooks(progress_source(device), live, folder, int(train_args.get("epochs") or 0))
    board = TensorBoardLogger(folder).callbacks() if tensorboard else {}
    _add_callbacks(yolo, control.callbacks(), *events, board, callbacks or {})
    _set_status(folder, "preparing", pid=os.getpid())
    start = time.perf_counter()
    try:
        with capture_output(folder / LOG_FILE, quiet=not show_log):
            if follower:
                follower.start()
            try:
                yolo.train(trainer=trainer_for(record["task"]), **train_args)
            finally:
                if follower:
                    follower.stop()
    except BaseException as err:
        _failed(folder, err)
        if isinstance(err, Exception) and _is_oom(err):
            raise _oom_error(err, train_args, str(record.get("model")), device) from err
        raise
    stopped = control.stop_requested and _restore_resumable(folder)
    metrics = readable_metrics(yolo.trainer.metrics or {})
    run = Run(dir=folder, task=record["task"], metrics=metrics, seconds=time.perf_counter() - start)
    status = "stopped" if stopped and checkpoint_state(run.last)["resumable"] else "completed"
    _set_status(folder, status, best_metrics=metrics, error=None)
    if tensorboard and verbose:
        _show_tensorboard(folder)
    if verbose:
        print(run.summary())
    return run


def _new_run_folder(project: Path, name: str, overwrite: bool) -> Path:
    """``project/name``; with ``overwrite`` an earlier run of that name is deleted, otherwise ``name2``, ``name3``..."""
    from ultralytics.utils.files import increment_path

    target = project / name
    if target.exists():
        if overwrite:
            if any(target.iterdir()):
                runs.remove_run_folder(target)
        else:
            target = increment_path(target, exist_ok=False, sep="")
    target.mkdir(parents=True, exist_ok=True)
    return target.resolve()


def _cap_batch(settings: dict, notes: list[str], n_train: int) -> None:
    if isinstance(settings.get("batch"), int) and settings["batch"] > n_train > 0:
        warnings.warn(f"batch={settings['batch']} is larger than the {n_train} training images; using batch={n_train}.", stacklevel=3)
        notes.append(f"batch capped at {n_train}, the number of training images.")
        settings["batch"] = n_train


def _announce(choice, folder: Path, dev: str, threads: int | None, settings: dict, notes: list[str]) -> None:
    print(choice.note)
    where = f"CPU with {threads} threads" if dev == "cpu" else dev
    print(f"Training {folder.name} on {where}: {describe(settings)}")
    for note in notes:
        print(note)
    print(f"Run folder: {folder} (full log: {folder / LOG_FILE})")


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

    Runs go to ``runs/<task>/<name>`` of the project: a new numbered folder (``train2``...) if the
    name is taken, or, with ``overwrite=True``, that run's folder replaced. While it trains,
    one live display shows progress (Jupyter) or a line per epoch (terminal); Ultralytics' full
    log goes to ``train.log`` in the run folder. The run is recorded in the registry
    (:func:`list_runs`), with the epoch of ``best.pt``.

    Args:
        config: the split's ``config.yaml`` (default: the working folder's); for ``task="classify"`` an ImageFolder
            (``train/<class>/``, ``val/<class>/``).
        model: a name (``yolov8n``, ``yolo11s``, ``yolo26n``...), an architecture ``.yaml`` or a
            ``.pt`` path (see :func:`resolve_model`).
        epochs: passes over the training images; None for the device's default (30 on a CPU,
            see ``settings.CPU_DEFAULTS``).
        imgsz: image size, a multiple of 32; None for the device's default (320 on a CPU).
        batch: images per step; None for the device's default (16).
        device: ``"auto"`` picks CUDA, then MPS, then the CPU, where every core is used.
        task: ``detect``, ``segment`` or ``classify`` (default: from the model name).
        name: the run's name (default ``train``).
        project: the folder for runs (default: the project's ``runs/<task>``).
        verbose: False shows nothing.
        callbacks: Ultralytics events (``on_fit_epoch_end``...) mapped to a function or a list of
            functions, each called with the trainer.
        overwrite: replace an earlier run of the same name.
        progress: ``"auto"``, ``"widget"``, ``"text"`` or False.
        best_metric: choose ``best.pt`` and early stopping by this metric (``"mAP50"``, ``"recall"``,
            ``"top1"``...) instead of Ultralytics' fitness (mostly mAP50-95).
        tensorboard: also write TensorBoard event files into the run folder.
        stop: a :class:`threading.Event`; setting it ends the run after the current batch, leaving
            a ``last.pt`` that :func:`resume` continues (Ctrl-C does too, from the last finished epoch).
        show_log: print Ultralytics' log as well as writing it to ``train.log``.
        estimate: first time a few real batches and print how long the run will take.
        **kwargs: any other Ultralytics training argument, unchanged: ``patience`` (stop when
            validation has not improved for that many epochs), ``time`` (a budget in hours that
            replaces ``epochs``), ``save_period``, ``freeze``, ``lr0``, ``optimizer``, ``fraction``...

    Returns:
        The :class:`Run`: its folder, task and the validation of ``best.pt``.

    Raises:
        YoloTrainingError: a wrong model name, device, setting or dataset, or memory running out
            (the message says which setting to lower).

    Examples:
        >>> run = train("config.yaml", model="yolov8n", epochs=30, imgsz=320)  # doctest: +SKIP
        >>> run.metrics["mAP50"]  # doctest: +SKIP
        0.91
    """
    from ultralytics import YOLO

    choice = resolve_model(model, task)
    task = choice.task
    run_name = check_run_name(name)
    dev = pick_device(device)
    settings, notes = training_settings(dev, epochs, imgsz, batch, **kwargs)
    best_metric = check_best_metric(best_metric, task)
    if tensorboard:
        check_tensorboard()
    _cap_batch(settings, notes, train_image_count(config, task))
    if estimate:
        from .estimate import estimate_training_time

        estimate_training_time(config, choice.source, device=dev, task=task, verbose=verbose, **settings)
    data = prepare_data(config, task)
    project = Path(project).expanduser().resolve() if project is not None else env.runs_dir() / task
    check_writable(project)
    folder = _new_run_folder(project, run_name, overwrite)
    record = runs.write_record(
        folder, name=folder.name, task=task, model=choice.name, model_source=choice.source,
        data=str(Path(config).resolve()), settings=settings, best_metric=best_metric,
        device=dev, kind="train", status="pending",
    )
    threads = use_all_cores() if dev in ("cpu", "mps") else None
    if verbose:
        _announce(choice, folder, dev, threads, settings, notes)
    yolo = YOLO(choice.source, task=task)
    train_args = dict(data=data, project=str(project), name=folder.name, exist_ok=True, save_dir=str(folder),
                      device=dev, verbose=verbose, **settings)
    return _fit(yolo, folder, record, train_args, device=dev, verbose=verbose, progress=progress,
                callbacks=callbacks, stop=stop, best_metric=best_metric, tensorboard=tensorboard, show_log=show_log)


def _resumable_last(folder: Path) -> tuple[Path, dict]:
    last = folder / "weights" / "last.pt"
    if not last.is_file():
        raise YoloTrainingError(
            f"Run {folder.name} has no weights/last.pt: it stopped before finishing its first epoch, so there is nothing "
            f"to resume. Train it again with train(..., name={folder.name!r}, overwrite=True)."
        )
    state = checkpoint_state(last)
    if not state["resumable"]:
        raise YoloTrainingError(
            f"Run {folder.name} finished its {state['epochs']} epochs, so there is nothing to resume (resume continues "
            f"interrupted runs only). To train it longer, start a new run from its weights: "
            f"continue_training({folder.name!r}, epochs=...)."
        )
    return last, state


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
    Resuming is not training more: a run that finished all its epochs cannot be resumed
    (Ultralytics would silently start a new run on its ``coco8`` demo data instead); use
    :func:`continue_training` for more epochs from its weights.

    Args:
        run: a :class:`Run`, a run name (see :func:`list_runs`) or a run folder.
        data: the dataset's new place, if it moved since.
        device: where to continue (default: the interrupted run's device).
        batch: a new batch size (default: the interrupted run's).
        verbose: as for :func:`train`.
        progress: as for :func:`train`.
        callbacks: as for :func:`train`.
        stop: as for :func:`train`.
        show_log: as for :func:`train`.
        project: where to look a run name up (default: the project's ``runs/``).

    Returns:
        The :class:`Run`, finished (or stopped again).

    Raises:
        YoloTrainingError: nothing to resume (no ``last.pt``, or all epochs done), or data gone.

    Examples:
        >>> run = resume("course")  # doctest: +SKIP
    """
    from ultralytics import YOLO

    folder = runs.find_run(run, project)
    record = runs.read_record(folder)
    last, state = _resumable_last(folder)
    task = record.get("task") or state["args"].get("task", "detect")
    config = Path(data) if data is not None else Path(record.get("data") or state["args"].get("data", ""))
    if not config.exists():
        raise ConfigError(
            f"Run {folder.name} was trained on {config}, which no longer exists (moved or deleted?). Pass its new "
            f"place: resume({folder.name!r}, data='path/to/config.yaml')."
        )
    train_image_count(config, task)
    prepared = prepare_data(config, task)
    dev = pick_device(device if device is not None else record.get("device", "auto"))
    runs.trim_results(folder, state["epoch"] + 1)
    if dev in ("cpu", "mps"):
        use_all_cores()
    if data is not None:
        record = runs.write_record(folder, data=str(config.resolve()))
    runs.write_record(folder, resumed=int(record.get("resumed", 0)) + 1)
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

    Unlike :func:`resume`, which finishes an interrupted run in its own folder, this makes a new
    run named ``<run>-continued`` (or ``name``), initialised from the run's weights, with a fresh
    schedule of ``epochs``. Image size and batch default to the run's; the new run goes beside the
    old one unless ``project`` says otherwise.

    Args:
        run: a :class:`Run`, a run name or a run folder.
        epochs: the new run's epochs (None: the device's default).
        weights: ``"best"`` (``best.pt``) or ``"last"`` (``last.pt``).
        freeze: keep the first N layers fixed (``freeze=10``: the backbone) so only the rest learns.
        data: a different or larger dataset (default: the run's own).
        name: the new run's name.
        project: where the new run goes (and where a name is looked up).
        **kwargs: any other :func:`train` argument.

    Returns:
        The new :class:`Run`.

    Examples:
        >>> more = continue_training("course", epochs=10, freeze=10)  # doctest: +SKIP
    """
    folder = runs.find_run(run, project)
    parent = Run.from_dir(folder)
    if weights not in ("best", "last"):
        raise YoloTrainingError(f"weights={weights!r} must be 'best' or 'last'.")
    source = folder / "weights" / f"{weights}.pt"
    if not source.is_file():
        raise YoloTrainingError(f"Run {folder.name} has no weights/{weights}.pt to continue from.")
    config = data if data is not None else parent.data
    if not config or not Path(config).exists():
        raise ConfigError(f"The data of run {folder.name} ({config}) no longer exists; pass data='path/to/config.yaml'.")
    settings = parent.record.get("settings") or {}
    kwargs.setdefault("imgsz", settings.get("imgsz", parent.args.get("imgsz")))
    kwargs.setdefault("batch", settings.get("batch", parent.args.get("batch")))
    if freeze is not None:
        kwargs["freeze"] = freeze
    new = train(config, model=source, epochs=epochs, task=parent.task, name=name or f"{folder.name}-continued",
                project=project if project is not None else folder.parent, **kwargs)
    runs.write_record(new.dir, kind="continue", parent=str(folder), parent_weights=str(source))
    return new
