"""Model exploration: a hyperparameter search with Optuna instead of guessing.

:func:`explore` runs an Optuna study (seeded TPE sampler) in which every trial is a real
training run through :func:`yolo_training.training.fit.train`. Each epoch's validation is reported to
Optuna, so a pruner (median or successive halving) stops trials that are clearly worse than the
others; pruned and failed trials are recorded with their reason and the study goes on.

The study lives in a storage: by default a SQLite file in the project's ``runs/`` folder
(nothing to start), so running ``explore(..., study="name")`` again continues where an
interrupted study stopped. Any SQLAlchemy URL works too, and so does a ``.journal`` file (Optuna's
journal file storage). Several processes or machines share a study when each runs
``yolo-training explore --study NAME --storage STORAGE`` with the same storage: one PostgreSQL
server, or, with no server at all, one journal file on a folder they all reach (a classroom's
shared folder): each worker appends its trials to the file under a lock file beside it.

Results: :func:`study_results` (a DataFrame of trials), :func:`plot_study` (Optuna's matplotlib
plots), :func:`best_trial` (settings, run folder and weights of the best trial) and
:func:`train_best` (retrain the best settings longer).

Several machines on one study (PostgreSQL; each worker trains on its own CPU or GPU)::

    # on the database server, once
    sudo -u postgres createuser --pwprompt yolo && sudo -u postgres createdb -O yolo studies
    # (let it listen on the network: listen_addresses in postgresql.conf, a host line in pg_hba.conf)
    # on every machine, with the same dataset and config.yaml; start as many as you like
    yolo-training explore --study euro --storage postgresql://yolo:PASSWORD@SERVER/studies --trials 40

Several laptops on one study with a shared folder and no server (SMB, NFS or a synced folder
mounted at ``/mnt/class`` on each)::

    yolo-training explore --study euro --storage /mnt/class/euro.journal --trials 40

``--trials`` counts the trials of all workers together. Each trial's run folder stays on the
machine that trained it (:func:`best_trial` says which host). Several workers on one machine
should share its cores: ``YOLO_TRAINING_THREADS=1`` per worker on a 2-core laptop.

Optional tools that read the same storage: ``optuna-dashboard sqlite:///runs/explore.db``
(``pip install optuna-dashboard``) shows the study live in a browser.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import socket
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..core import env
from ..core.common import database_url, hide_password, pid_alive
from ..core.errors import YoloTrainingError
from ..training.models import resolve_model
from ..training.runs import METRIC_KEYS, Run
from .space import Space, check_space
from ..training.settings import prepare_data
from ..training.fit import train

#: File name of the default study database, in the project's ``runs/`` folder.
DEFAULT_DB = "explore.db"
#: A storage path with one of these endings is a journal file (Optuna's JournalFileBackend), not SQLite.
JOURNAL_SUFFIXES = (".journal", ".log")
DEFAULT_STUDY = "explore"
#: Written into every trial's run folder: which study and trial it is, and how it ended.
TRIAL_FILE = "explore-trial.yaml"

_LOSSES = {
    "detect": ("box_loss", "cls_loss", "dfl_loss"),
    "segment": ("box_loss", "seg_loss", "cls_loss", "dfl_loss"),
    "classify": ("loss",),
}
_TASK_METRICS = {
    "detect": ("precision", "recall", "mAP50", "mAP50-95"),
    "segment": ("precision", "recall", "mAP50", "mAP50-95", "mask_precision", "mask_recall", "mask_mAP50", "mask_mAP50-95"),
    "classify": ("top1", "top5"),
}
# Training arguments that the search itself decides or that would break it.
_SPACE_ATTR = "yolo_training"


# ---------------------------------------------------------------------------------------------
# Metrics


def metric_names(task: str = "detect") -> list[str]:
    """The metrics a search can optimise for ``task``: maximised scores, then minimised losses.

    Args:
        task: ``"detect"``, ``"segment"`` or ``"classify"``.

    Returns:
        Their names, as :func:`explore`'s ``metric`` takes them.

    Examples:
        >>> metric_names("classify")
        ['top1', 'top5', 'fitness', 'val/loss']
    """
    return [*_TASK_METRICS[task], "fitness", *(f"val/{loss}" for loss in _LOSSES[task])]


def _direction(metric: str) -> str:
    return "minimize" if metric.startswith("val/") else "maximize"


def _check_metric(metric: str, task: str) -> str:
    known = metric_names(task)
    if metric not in known:
        raise YoloTrainingError(
            f"metric={metric!r} is not a {task} metric. Use one of: {', '.join(known)} "
            "(scores are maximised, val/ losses minimised)."
        )
    return _direction(metric)


def _metric_value(trainer, metric: str) -> float | None:
    """The metric from the trainer's latest validation, or None when it is not there."""
    if metric == "fitness":
        value = getattr(trainer, "fitness", None)
    else:
        raw = {str(k).strip(): v for k, v in (trainer.metrics or {}).items()}
        value = raw.get(METRIC_KEYS.get(metric, metric))
    return None if value is None else float(value)


# ---------------------------------------------------------------------------------------------
# Storage and study


def default_storage() -> str:
    """The SQLite URL of the project's study database, ``runs/explore.db`` (an absolute path).

    Returns:
        The URL, e.g. ``sqlite:////home/me/course/runs/explore.db``.

    Examples:
        >>> default_storage().endswith("/runs/explore.db")
        True
    """
    return f"sqlite:///{(env.runs_dir() / DEFAULT_DB).as_posix()}"


def journal_path(storage: str | os.PathLike | None) -> Path | None:
    """The journal file ``storage`` names, or None when it is a database (a URL, a ``.db`` path, None).

    Args:
        storage: what :func:`explore` was given as ``storage``.

    Returns:
        The absolute path of a ``.journal`` (or ``.log``) file; None for a database.

    Examples:
        >>> journal_path("/mnt/class/euro.journal").name
        'euro.journal'
        >>> journal_path("runs/explore.db") is None
        True
    """
    if storage is None or "://" in str(storage):
        return None
    path = Path(storage).expanduser()
    return path.resolve() if path.suffix.lower() in JOURNAL_SUFFIXES else None


def _storage_url(storage: str | os.PathLike | None) -> str:
    """The storage as messages show it (a database URL, or ``journal file PATH``)."""
    if (journal := journal_path(storage)) is not None:
        return f"journal file {journal}"
    return default_storage() if storage is None else database_url(storage)


def _open_journal(path: Path):
    """Optuna's journal file storage on ``path``, locked by a lock file beside it (no server, no database)."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL lock files work on NFSv3+, SMB and Windows, where the default symlink lock may not
        backend = JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path)))
        return optuna.storages.JournalStorage(backend)
    except OSError as err:
        raise YoloTrainingError(
            f"Cannot open the study journal {path}: {err.strerror or err}. Check that the shared folder {path.parent} is "
            "mounted on this machine and writable, or leave storage=None for a SQLite file in the project."
        ) from err


def open_storage(storage: str | os.PathLike | None = None):
    """An Optuna storage for ``storage``: a database (SQLAlchemy URL, ``.db`` path, ``None``) or a journal file.

    Args:
        storage: a SQLAlchemy URL (``postgresql://user:password@host/db``), a ``.db`` path, a
            ``.journal`` file (Optuna's journal file storage, for a shared folder without a server), or
            None for :func:`default_storage`.

    Returns:
        An ``optuna.storages.RDBStorage``, or an ``optuna.storages.JournalStorage`` for a journal file.

    Raises:
        YoloTrainingError: the database cannot be reached, its driver is missing, or the journal's
            folder cannot be written.

    Examples:
        >>> store = open_storage("runs/explore.db")  # doctest: +SKIP
        >>> store = open_storage("/mnt/class/euro.journal")  # doctest: +SKIP
    """
    try:
        import optuna
    except ImportError as err:
        raise YoloTrainingError("Exploration needs Optuna: pip install 'yolo-training[explore]' (or pip install optuna).") from err
    if (journal := journal_path(storage)) is not None:
        return _open_journal(journal)
    url = _storage_url(storage)
    engine_kwargs: dict = {"pool_pre_ping": True}
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine_kwargs["connect_args"] = {"timeout": 60}  # several workers on one SQLite file wait for the lock
    elif url.startswith(("postgresql", "postgres")):
        engine_kwargs["connect_args"] = {"connect_timeout": 10}
    # A worker that dies on another machine stops its heartbeat: after the grace period its trial
    # is failed and queued again (the callback's name changed in Optuna 4.9).
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if "heartbeat_stale_trial_callback" in inspect.signature(optuna.storages.RDBStorage).parameters:
                retry = {"heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)}
            else:
                retry = {"failed_trial_callback": optuna.storages.RetryFailedTrialCallback(max_retry=1)}
            for attempt in range(5):
                try:
                    storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, heartbeat_interval=60, grace_period=240, **retry)
                    if url.startswith("sqlite:///"):
                        _sqlite_wal(storage.engine)
                    return storage
                except Exception as err:
                    # Workers starting together on a new database race to create its tables: the loser retries.
                    if attempt == 4 or not any(m in str(err).lower() for m in ("already exists", "duplicate key", "unique constraint", "database is locked")):
                        raise
                    time.sleep(0.5 + attempt)
    except ImportError as err:
        missing = getattr(err.__cause__, "name", None) or getattr(err, "name", None) or "driver"
        raise YoloTrainingError(
            f"The database driver {missing!r} for {hide_password(url)} is not installed: "
            "pip install 'yolo-training[explore]' (psycopg2-binary for PostgreSQL)."
        ) from err
    except Exception as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise YoloTrainingError(
            f"Cannot open the study storage {hide_password(url)}: {reason}. Check the URL (user, password, host, port, "
            "database name), that the database server is running and reachable from this machine, or leave "
            "storage=None for a SQLite file in the project."
        ) from err


def _sqlite_wal(engine) -> None:
    """Write-ahead log and fewer disk syncs for a SQLite study: each commit costs ~1 ms instead of ~10.

    Safe when a process is killed (only a power cut can lose the last commits), and readers no
    longer wait for writers, which helps several workers on one machine.
    """
    from sqlalchemy import event

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections opened while creating the tables reconnect with the pragmas


def load_study(study: Any = DEFAULT_STUDY, storage: str | os.PathLike | None = None):
    """An existing study by name (an ``optuna.Study`` is returned as is).

    Args:
        study: the study's name, or an ``optuna.Study``.
        storage: where it is stored (default: ``runs/explore.db``).

    Returns:
        The ``optuna.Study``.

    Raises:
        YoloTrainingError: there is no such study (the message lists those there are).

    Examples:
        >>> study = load_study("course")  # doctest: +SKIP
    """
    import optuna

    if isinstance(study, optuna.Study):
        return study
    store = open_storage(storage)
    names = [s.study_name for s in optuna.get_all_study_summaries(store, include_best_trial=False)]
    if study not in names:
        raise YoloTrainingError(
            f"There is no study {study!r} in {hide_password(_storage_url(storage))} "
            f"(studies there: {', '.join(names) or 'none'}). Run explore(..., study={study!r}) first."
        )
    return optuna.load_study(study_name=study, storage=store)


def _make_pruner(pruner, trials: int):
    import optuna

    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    if pruner in (None, "none", False):
        return optuna.pruners.NopPruner()
    if pruner == "median":
        # Judge a trial against the others once a few have finished; never at its first epoch alone.
        return optuna.pruners.MedianPruner(n_startup_trials=max(1, min(5, trials // 4)), n_warmup_steps=0)
    if pruner in ("halving", "successive_halving"):
        return optuna.pruners.SuccessiveHalvingPruner()
    raise YoloTrainingError(f"pruner={pruner!r}: use 'median', 'halving', None or an optuna.pruners object.")


def _sampler(seed: int, number: int, startup: int):
    """A TPE sampler seeded for one trial number: reproducible, and no two workers or restarts repeat draws."""
    import optuna

    return optuna.samplers.TPESampler(seed=(seed * 1_000_003 + number) % 2**32, n_startup_trials=startup)


# ---------------------------------------------------------------------------------------------
# Trials


def _host() -> str:
    return socket.gethostname()


def _counted(study) -> int:
    """Trials that use up the study's count: finished or running, except interrupted ones queued again."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get("retry_of") for t in trials} | {t.system_attrs.get("failed_trial") for t in trials}
    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)
    return sum(1 for t in trials if t.state in states and not (t.state == TrialState.FAIL and t.number in retried))


def _recover_interrupted(study) -> list[int]:
    """Mark trials of dead processes on this machine as failed (interrupted) and queue them again.

    A killed process leaves its trial RUNNING forever. On this machine we can tell that its
    process is gone; trials of other machines are failed by Optuna's heartbeat after a few minutes.
    """
    from optuna.trial import TrialState

    storage, recovered = study._storage, []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid, host = t.user_attrs.get("pid"), t.user_attrs.get("host")
        if host != _host() or not isinstance(pid, int) or pid == os.getpid() or pid_alive(pid):
            continue
        try:
            storage.set_trial_user_attr(t._trial_id, "interrupted", True)
            storage.set_trial_user_attr(t._trial_id, "reason", f"interrupted: its process {pid} stopped; queued again")
            storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        except Exception:  # another worker recovered it first
            continue
        study.enqueue_trial(t.params, user_attrs={"retry_of": t.number})
        _write_trial_file(t.user_attrs.get("run_dir"), study.study_name, t.number, "interrupted", t.user_attrs.get("settings"), None)
        recovered.append(t.number)
    return recovered


def _write_trial_file(run_dir, study: str, number: int, state: str, settings, value, reason: str | None = None) -> None:
    if not run_dir or not Path(run_dir).is_dir():
        return
    info = {"study": study, "trial": number, "state": state, "value": value, "reason": reason, "settings": settings}
    (Path(run_dir) / TRIAL_FILE).write_text(yaml.safe_dump(info, sort_keys=False), encoding="utf-8")


def _plain(value):
    """A JSON-safe copy of a setting (Optuna stores user attributes as JSON)."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


class _Reporter:
    """Ultralytics callbacks that report each epoch's validation to Optuna and prune bad trials."""

    def __init__(self, trial, metric: str):
        self.trial, self.metric = trial, metric
        self.trainer = None
        self.last: float | None = None
        self.final: float | None = None
        self.done = False  # the last training epoch was reported; the next call is the final validation

    def on_train_start(self, trainer) -> None:
        self.trainer = trainer
        self.trial.set_user_attr("run_dir", str(Path(trainer.save_dir).resolve()))

    def on_fit_epoch_end(self, trainer) -> None:
        import optuna

        self.trainer = trainer
        value = _metric_value(trainer, self.metric)
        if self.done:  # Ultralytics' final validation of best.pt
            self.final = value
            return
        if value is None:
            return
        self.last = value
        step = trainer.epoch + 1
        self.trial.report(value, step)
        if trainer.stop:
            self.done = True
        elif self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {step}: {self.metric} {value:.4g} is worse than the other trials at that epoch")

    def close_pruned(self) -> None:
        """Leave a pruned run's folder like a finished one: loaders closed, optimizer stripped from its weights."""
        trainer = self.trainer
        if trainer is None:
            return
        from ultralytics.utils.torch_utils import strip_optimizer

        for loader in (getattr(trainer, "train_loader", None), getattr(trainer, "test_loader", None)):
            if hasattr(loader, "close"):
                loader.close()
        # A stripped checkpoint counts as finished, so no one resumes a pruned trial by mistake.
        for weights in (trainer.last, trainer.best):
            if Path(weights).is_file():
                strip_optimizer(weights)


@dataclass
class BestTrial:
    """The best trial of a study: its score, settings, run folder and weights."""

    number: int
    value: float
    metric: str
    settings: dict
    run_dir: Path | None
    host: str | None

    @property
    def weights(self) -> Path | None:
        return self.run_dir / "weights" / "best.pt" if self.run_dir else None

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.settings.items())
        where = f"{self.weights}" if self.weights and self.weights.is_file() else f"{self.weights} (on {self.host})"
        return f"Best trial {self.number}: {self.metric} {self.value:.4f}\n  settings: {shown}\n  weights: {where}"


# ---------------------------------------------------------------------------------------------
# The search

#: What :func:`explore` does when the study exists with another search space, metric or task.
IF_EXISTS = ("continue", "new", "replace")


def explore(
    config: str | Path = "config.yaml",
    trials: int = 20,
    space: dict | None = None,
    metric: str = "mAP50-95",
    budget_per_trial: int | None = None,
    study: str = DEFAULT_STUDY,
    storage: str | os.PathLike | None = None,
    seed: int = 0,
    pruner: Any = "median",
    task: str = "detect",
    model: str = "yolov8n",
    device: str = "auto",
    project: str | Path | None = None,
    enqueue: list[dict] | None = None,
    verbose: bool = False,
    if_exists: str = "continue",
):
    """Search training settings with Optuna until the study holds ``trials`` trials.

    Each trial is a real training run of at most ``budget_per_trial`` epochs; it reports
    ``metric`` after each epoch and is pruned when clearly worse than the others. Running again
    with the same ``study`` and ``storage`` continues the study, and several processes with the
    same study and storage share the work. A study never mixes two search spaces (their trials
    could not be compared): ``if_exists`` says what to do when the study was made with another
    space, metric or task. Bad input raises :class:`YoloTrainingError` before any training.

    Args:
        config: the split's ``config.yaml``.
        trials: how many trials the study should hold in total, counting every worker's.
        space: training arguments (and ``model``) mapped to a list of choices, a ``(low, high)``
            range (``(low, high, "log")``, ``(low, high, step)``) or a fixed value; None uses
            :func:`default_space`.
        metric: what to optimise (see :func:`metric_names`): scores are maximised, ``val/`` losses minimised.
        budget_per_trial: the most epochs one trial trains (default 10; the fast profile caps it).
        study: the study's name.
        storage: a SQLAlchemy URL, a ``.db`` path (default: ``runs/explore.db``), or a
            ``.journal`` file that several machines reach (a shared folder, no server).
        seed: seeds the sampler and the trainings: the same seed tries the same settings.
        pruner: ``"median"``, ``"halving"``, None, or an ``optuna.pruners`` object.
        task: ``"detect"``, ``"segment"`` or ``"classify"``.
        model: the model when ``space`` does not choose it.
        device: where the trials train (``"auto"``, ``"cpu"``, ``"0"``...).
        project: the folder of the trials' runs ``trial-NNN`` (default ``runs/explore/<study>``).
        enqueue: settings to try first (e.g. Ultralytics' defaults).
        verbose: show Ultralytics' and Optuna's output and the checked space.
        if_exists: when the study exists with another space, metric or task: ``"continue"``
            refuses (the default: workers sharing a study must agree), ``"new"`` searches in a new
            study ``<study>-2`` (``-3``, ...; the first free one or the one holding this space),
            ``"replace"`` deletes the old study and its trial runs on this machine and starts again
            (even when the space is the same).

    Returns:
        The ``optuna.Study`` (its ``study_name`` says which study was used).

    Raises:
        YoloTrainingError: bad input, the storage cannot be opened, or the study holds another space
            and ``if_exists="continue"``.

    Examples:
        >>> study = explore("config.yaml", trials=10, budget_per_trial=3)  # doctest: +SKIP
        >>> study = explore("config.yaml", trials=4, space={"lr0": (1e-3, 1e-1, "log")}, if_exists="new")  # doctest: +SKIP
        >>> study_results(study)  # doctest: +SKIP
    """
    import optuna

    checked, direction = _check_search(trials, space, metric, budget_per_trial, task, model, enqueue, if_exists)
    prepare_data(config, task)  # a missing or broken config.yaml fails here, not in trial 0
    store = open_storage(storage)
    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.WARNING)
    description = json.loads(json.dumps({**checked.to_json(), "metric": metric, "task": task}))
    study = _study_name(store, storage, study, description, if_exists)
    try:
        the_study = optuna.create_study(
            study_name=study, storage=store, direction=direction, sampler=_sampler(seed, 0, 1),
            pruner=_make_pruner(pruner, trials), load_if_exists=True,
        )
    except Exception as err:
        raise YoloTrainingError(f"Cannot create or open study {study!r} in {hide_password(_storage_url(storage))}: {err}") from err
    _check_same_search(the_study, storage, description)  # another worker may have created it meanwhile
    recovered = _recover_interrupted(the_study)
    for params in enqueue or []:
        the_study.enqueue_trial(params, skip_if_exists=True)
    if verbose:
        print(checked)
    print(
        f"Study {study!r} ({hide_password(_storage_url(storage))}): {_counted(the_study)} of {trials} trials already"
        f"{f', {len(recovered)} interrupted trial(s) queued again' if recovered else ''}; optimising {metric} ({direction})."
    )
    objective = _Objective(
        config=config, space=checked, metric=metric, task=task, device=device, seed=seed, verbose=verbose,
        project=Path(project).expanduser().resolve() if project is not None else env.runs_dir() / "explore" / study,
        startup=max(1, min(10, trials // 2)),
    )
    while _counted(the_study) < trials:
        # One trial per call, so the count (shared with other workers) is checked before each.
        the_study.optimize(objective, n_trials=1, catch=(Exception,))  # Ultralytics collects garbage after training
    return the_study


def _check_search(trials, space, metric: str, budget_per_trial, task: str, model: str, enqueue, if_exists: str) -> tuple[Space, str]:
    """The checked space (with the model fixed when it is not searched) and the direction; raises on bad input."""
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise YoloTrainingError(f"trials={trials!r} must be a whole number of at least 1.")
    if task not in _TASK_METRICS:
        raise YoloTrainingError(f"task={task!r} is not one of {', '.join(_TASK_METRICS)}.")
    if if_exists not in IF_EXISTS:
        raise YoloTrainingError(f"if_exists={if_exists!r} is not one of {', '.join(map(repr, IF_EXISTS))}.")
    direction = _check_metric(metric, task)
    checked = check_space(space, budget_per_trial, task)
    if "model" not in checked.distributions and "model" not in checked.fixed:
        resolve_model(model, task)
        checked.fixed["model"] = model
    for params in enqueue or []:
        unknown = set(params) - set(checked.distributions)
        if unknown:
            raise YoloTrainingError(f"enqueue: {sorted(unknown)} are not searched in this space (searched: {sorted(checked.distributions)}).")
    return checked, direction


# ---------------------------------------------------------------------------------------------
# One study, one search space


def _stored_search(store, study: str) -> dict | None:
    """The search (space, metric, task) study ``study`` was created with: None when there is no such study,
    ``{}`` when it does not say (just created by another worker)."""
    try:
        study_id = store.get_study_id_from_name(study)
    except KeyError:
        return None
    return store.get_study_user_attrs(study_id).get(_SPACE_ATTR) or {}


def _study_name(store, storage, study: str, description: dict, if_exists: str) -> str:
    """The study this search goes into, following ``if_exists`` (see :func:`explore`)."""
    stored = _stored_search(store, study)
    if if_exists == "replace" and stored is not None:
        _delete_study(store, study)
        print(f"Study {study!r}: deleted (if_exists='replace'); starting again.")
        return study
    if not stored or stored == description:
        return study
    if if_exists == "continue":
        raise YoloTrainingError(_different_search_message(study, storage, stored, description))
    n = 2
    while True:  # the first study <name>-N that is free or holds this very search
        other = _stored_search(store, f"{study}-{n}")
        if other is None or other == description:
            break
        n += 1
    print(f"Study {study!r} holds another {' and '.join(_differences(stored, description))}: this search is study '{study}-{n}'.")
    return f"{study}-{n}"


def _differences(stored: dict, description: dict) -> list[str]:
    labels = {"metric": "metric", "task": "task", "distributions": "search space", "fixed": "fixed settings"}
    return [label for key, label in labels.items() if stored.get(key) != description.get(key)]


def _different_search_message(study: str, storage, stored: dict, description: dict) -> str:
    return (
        f"Study {study!r} in {hide_password(_storage_url(storage))} exists with a different {' and '.join(_differences(stored, description))}: "
        f"it was created with metric={stored.get('metric')!r} and space {stored.get('distributions')} "
        f"(fixed {stored.get('fixed')}); its trials and these could not be compared. Use the same space and metric to "
        f"continue it; pass if_exists='new' to search in a new study ({study}-2), or if_exists='replace' to delete "
        f"this one and start again (CLI: --if-exists new|replace); or choose another study name."
    )


def _check_same_search(the_study, storage, description: dict) -> None:
    """Record the search in a new study; refuse when a worker created it meanwhile with another one."""
    stored = the_study.user_attrs.get(_SPACE_ATTR)
    if stored is None:
        the_study.set_user_attr(_SPACE_ATTR, description)
    elif stored != description:
        raise YoloTrainingError(_different_search_message(the_study.study_name, storage, stored, description))


def _delete_study(store, study: str) -> None:
    """Delete a study and the trial runs it trained on this machine (folders explore wrote for it)."""
    import optuna

    from ..training.runs import delete_run

    old = optuna.load_study(study_name=study, storage=store)
    for t in old.get_trials(deepcopy=False):
        run_dir = t.user_attrs.get("run_dir")
        if t.user_attrs.get("host") != _host() or not run_dir or not (Path(run_dir) / TRIAL_FILE).is_file():
            continue
        info = yaml.safe_load((Path(run_dir) / TRIAL_FILE).read_text(encoding="utf-8")) or {}
        if info.get("study") == study:
            delete_run(run_dir)
    optuna.delete_study(study_name=study, storage=store)


# ---------------------------------------------------------------------------------------------
# One trial


@dataclass
class _Objective:
    """Optuna's objective: one trial is one training run with the settings the sampler suggests."""

    config: str | Path
    space: Space
    metric: str
    task: str
    device: str
    seed: int
    verbose: bool
    project: Path
    startup: int

    def __call__(self, trial) -> float:
        import optuna

        trial.study.sampler = _sampler(self.seed, trial.number, self.startup)
        trial.set_user_attr("host", _host())
        trial.set_user_attr("pid", os.getpid())
        params = {name: _suggest(trial, name, dist) for name, dist in self.space.distributions.items()}
        settings = {**self.space.fixed, **params}
        plain_settings = {k: _plain(v) for k, v in settings.items()}
        trial.set_user_attr("settings", plain_settings)
        reporter = _Reporter(trial, self.metric)
        start = time.perf_counter()
        try:
            run = self._train(trial, settings, reporter)
        except optuna.TrialPruned as pruned:
            self._pruned(trial, reporter, plain_settings, pruned, time.perf_counter() - start)
            raise
        except KeyboardInterrupt:
            trial.set_user_attr("interrupted", True)
            trial.set_user_attr("reason", "interrupted (Ctrl+C); queued again")
            trial.study.enqueue_trial(params, user_attrs={"retry_of": trial.number})
            raise
        except Exception as err:
            self._failed(trial, reporter, plain_settings, err, time.perf_counter() - start)
            raise
        return self._completed(trial, run, reporter, plain_settings, time.perf_counter() - start)

    def _train(self, trial, settings: dict, reporter: _Reporter):
        settings = dict(settings)
        trial_model = settings.pop("model")
        settings.setdefault("plots", False)  # plots cost seconds per trial; train_best() makes them
        settings.setdefault("seed", self.seed)
        callbacks = {"on_train_start": reporter.on_train_start, "on_fit_epoch_end": reporter.on_fit_epoch_end}
        return train(
            self.config, model=trial_model, task=self.task, device=self.device, project=self.project,
            name=f"trial-{trial.number:03d}", verbose=self.verbose, callbacks=callbacks, **settings,
        )

    def _pruned(self, trial, reporter: _Reporter, settings: dict, pruned: Exception, seconds: float) -> None:
        trial.set_user_attr("train_seconds", seconds)
        reporter.close_pruned()
        trial.set_user_attr("reason", str(pruned))
        _write_trial_file(_run_dir(reporter), trial.study.study_name, trial.number, "pruned", settings, reporter.last, str(pruned))
        print(f"trial {trial.number}: {pruned}")

    def _failed(self, trial, reporter: _Reporter, settings: dict, err: Exception, seconds: float) -> None:
        reason = f"{type(err).__name__}: {err}".strip()
        trial.set_user_attr("train_seconds", seconds)
        trial.set_user_attr("reason", reason[:2000])
        _write_trial_file(_run_dir(reporter), trial.study.study_name, trial.number, "failed", settings, None, reason)
        print(f"trial {trial.number}: failed ({reason.splitlines()[0] if reason else 'no message'}); the study goes on")

    def _completed(self, trial, run, reporter: _Reporter, settings: dict, seconds: float) -> float:
        trial.set_user_attr("train_seconds", seconds)
        value = reporter.final if reporter.final is not None else reporter.last
        if value is None or math.isnan(value):
            raise YoloTrainingError(f"Trial {trial.number} produced no {self.metric} value (run {run.dir}).")
        _write_trial_file(run.dir, trial.study.study_name, trial.number, "complete", settings, value)
        print(f"trial {trial.number}: {self.metric} {value:.4f} in {seconds:.1f} s ({run.dir.name})")
        return value


def _run_dir(reporter: _Reporter) -> str | None:
    return str(Path(reporter.trainer.save_dir).resolve()) if reporter.trainer is not None else None


def _suggest(trial, name: str, dist):
    import optuna.distributions as od

    if isinstance(dist, od.CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    if isinstance(dist, od.IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)


# ---------------------------------------------------------------------------------------------
# Results


def study_results(study: Any = DEFAULT_STUDY, storage: str | os.PathLike | None = None):
    """Every trial of a study, one row each.

    Args:
        study: the study's name, or an ``optuna.Study``.
        storage: where it is stored (default: ``runs/explore.db``).

    Returns:
        A DataFrame: trial number, state, the metric's value, epochs reported, seconds, the
        ``param_`` settings, run folder, host, process and the reason a trial was pruned or failed.

    Examples:
        >>> study_results("course").sort_values("mAP50-95").tail(3)  # doctest: +SKIP
    """
    import pandas as pd

    the_study = load_study(study, storage)
    metric = (the_study.user_attrs.get(_SPACE_ATTR) or {}).get("metric", "value")
    rows = []
    for t in the_study.get_trials(deepcopy=False):
        rows.append({
            "trial": t.number,
            "state": t.state.name.lower(),
            metric: t.value,
            "epochs_reported": len(t.intermediate_values),
            "seconds": t.duration.total_seconds() if t.duration else None,
            "train_seconds": t.user_attrs.get("train_seconds"),
            **{f"param_{k}": v for k, v in t.params.items()},
            "run_dir": t.user_attrs.get("run_dir"),
            "host": t.user_attrs.get("host"),
            "pid": t.user_attrs.get("pid"),
            "reason": t.user_attrs.get("reason"),
        })
    return pd.DataFrame(rows)


def best_trial(study: Any = DEFAULT_STUDY, storage: str | os.PathLike | None = None) -> BestTrial:
    """The best completed trial of a study.

    Args:
        study: the study's name, or an ``optuna.Study``.
        storage: where it is stored (default: ``runs/explore.db``).

    Returns:
        A :class:`BestTrial`: its value, full settings, run folder, ``best.pt`` and host.

    Raises:
        YoloTrainingError: no trial has completed yet.

    Examples:
        >>> print(best_trial("course"))  # doctest: +SKIP
    """
    the_study = load_study(study, storage)
    try:
        best = the_study.best_trial
    except ValueError as err:
        raise YoloTrainingError(f"Study {the_study.study_name!r} has no completed trial yet; run explore() first.") from err
    metric = (the_study.user_attrs.get(_SPACE_ATTR) or {}).get("metric", "value")
    run_dir = best.user_attrs.get("run_dir")
    return BestTrial(best.number, float(best.value), metric, dict(best.user_attrs.get("settings") or best.params),
                     Path(run_dir) if run_dir else None, best.user_attrs.get("host"))


def train_best(
    study: Any = DEFAULT_STUDY,
    storage: str | os.PathLike | None = None,
    config: str | Path = "config.yaml",
    epochs: int | None = None,
    name: str | None = None,
    **overrides,
) -> Run:
    """Train the best trial's settings again, longer, with plots.

    Args:
        study: the study's name, or an ``optuna.Study``.
        storage: where it is stored (default: ``runs/explore.db``).
        config: the split's ``config.yaml``.
        epochs: how long (default: the device's default epochs).
        name: the run's name (default ``best-of-<trial>``).
        **overrides: other training settings that replace the trial's.

    Returns:
        The new :class:`Run`.

    Examples:
        >>> run = train_best("course", epochs=30)  # doctest: +SKIP
    """
    best = best_trial(study, storage)
    settings = {k: v for k, v in best.settings.items() if k not in ("plots", "epochs")}
    model = settings.pop("model", "yolov8n")
    task = ((load_study(study, storage).user_attrs.get(_SPACE_ATTR) or {}).get("task")) or "detect"
    settings.update(overrides)
    return train(config, model=model, task=task, epochs=epochs, name=name or f"best-of-{best.number}", **settings)


def plot_study(study: Any = DEFAULT_STUDY, storage: str | os.PathLike | None = None,
               kinds: tuple[str, ...] = ("history", "importances", "parallel", "slice"), save_dir: str | Path | None = None):
    """Optuna's matplotlib plots of the study; shown inline in Jupyter, saved as PNG under ``save_dir`` if given.

    A plot that needs more trials than the study has is skipped with a note.

    Args:
        study: the study's name, or an ``optuna.Study``.
        storage: where it is stored (default: ``runs/explore.db``).
        kinds: any of ``"history"``, ``"importances"``, ``"parallel"``, ``"slice"``, ``"intermediate"``.
        save_dir: a folder to save them in as ``<study>-<kind>.png``.

    Returns:
        ``{kind: matplotlib figure}``.

    Examples:
        >>> figures = plot_study("course", kinds=("history", "slice"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    import optuna
    import optuna.visualization.matplotlib as ovm

    the_study = load_study(study, storage)
    makers = {
        "history": ovm.plot_optimization_history,
        "importances": ovm.plot_param_importances,
        "parallel": ovm.plot_parallel_coordinate,
        "slice": ovm.plot_slice,
        "intermediate": ovm.plot_intermediate_values,
    }
    figures = {}
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    for kind in kinds:
        if kind not in makers:
            raise YoloTrainingError(f"Unknown plot {kind!r}; use any of {', '.join(makers)}.")
        try:
            axes = makers[kind](the_study)
        except Exception as err:  # e.g. importances need two completed trials with different settings
            print(f"{kind}: skipped ({err})")
            continue
        first = axes.flat[0] if hasattr(axes, "flat") else axes
        fig = first.figure
        figures[kind] = fig
        if save_dir is not None:
            Path(save_dir).mkdir(parents=True, exist_ok=True)
            fig.savefig(Path(save_dir) / f"{the_study.study_name}-{kind}.png", dpi=100, bbox_inches="tight")
    if save_dir is None and "ipykernel" not in __import__("sys").modules:
        plt.close("all")
    return figures
