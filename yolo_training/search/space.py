"""The search space of a hyperparameter search: what :func:`~yolo_training.search.study.explore` may try.

A space maps Ultralytics training arguments to what to try: a list of choices, a ``(low, high)``
range (``(low, high, step)`` for steps, a third value ``"log"`` for a log scale), or one fixed
value. :func:`default_space` is the space used when none is given; :func:`read_space` reads one
from a YAML file; :func:`check_space` checks a space against Ultralytics' own arguments before any
trial trains, and caps what the trial budget or the fast profile does not allow, saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import YoloTrainingError
from ..training.models import resolve_model
from ..training.settings import FAST_PROFILE, profile

#: Epochs one trial may train when ``budget_per_trial`` is not given (on a CPU a search of 20
#: trials of 10 short epochs is an afternoon; the fast profile caps it at 2).
DEFAULT_BUDGET = 10
#: Arguments explore() sets itself, never searched.
_NOT_SEARCHABLE = {"data", "project", "name", "device", "mode", "task", "resume", "exist_ok", "save_dir", "cfg", "source"}


def default_space(budget_per_trial: int | None = None, task: str = "detect") -> dict:
    """The search space used when ``space`` is not given, for small datasets on a CPU or GPU.

    Values are what :func:`explore` accepts: a list is a choice, ``(low, high)`` a range
    (``(low, high, "log")`` on a log scale, ``(low, high, step)`` for whole numbers), anything
    else a fixed setting. ``optimizer`` is fixed to SGD because Ultralytics' automatic choice
    ignores ``lr0`` and ``momentum``. Under ``YOLO_TRAINING_PROFILE=fast`` the model is the
    nano one and image size and epochs are capped (see :data:`yolo_training.training.settings.FAST_PROFILE`).

    Args:
        budget_per_trial: the most epochs one trial trains (default 10).
        task: the task the space is for.

    Returns:
        The space: argument name to choices, range or fixed value.

    Examples:
        >>> space = {**default_space(budget_per_trial=2), "fraction": 0.25}  # doctest: +SKIP
    """
    budget = _budget(budget_per_trial)
    fast = profile() == "fast"
    return {
        "model": ["yolov8n"] if fast else ["yolov8n", "yolov8s"],
        "imgsz": FAST_PROFILE["imgsz"] if fast else (160, 416, 32),
        "epochs": (max(1, budget // 2), budget, 1) if budget > 1 else 1,
        "optimizer": "SGD",
        "lr0": (1e-4, 1e-1, "log"),
        "momentum": (0.6, 0.98),
        "weight_decay": (1e-6, 1e-3, "log"),
        "warmup_epochs": (0.0, min(3.0, float(budget - 1)) if budget > 1 else 0.0),
        "mosaic": (0.0, 1.0),
        "scale": (0.0, 0.9),
        "fliplr": (0.0, 1.0),
        "hsv_h": (0.0, 0.1),
        "hsv_s": (0.0, 0.9),
        "hsv_v": (0.0, 0.9),
    }


def _budget(budget_per_trial: int | None, capped: bool = True) -> int:
    budget = DEFAULT_BUDGET if budget_per_trial is None else budget_per_trial
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise YoloTrainingError(f"budget_per_trial={budget_per_trial!r} must be a whole number of epochs, at least 1.")
    if capped and profile() == "fast":
        budget = min(budget, FAST_PROFILE["epochs"])
    return budget


def _spec_to_distribution(name: str, spec: Any):
    """A value of the user's space as an Optuna distribution, or ``None`` for a fixed setting."""
    import optuna.distributions as od

    if isinstance(spec, od.BaseDistribution):
        return spec
    if isinstance(spec, list):
        if not spec:
            raise YoloTrainingError(f"space[{name!r}] is an empty list: give at least one value to try.")
        for value in spec:
            if value is not None and not isinstance(value, (bool, int, float, str)):
                raise YoloTrainingError(f"space[{name!r}] holds {value!r}; choices must be numbers, text, true/false or None.")
        return od.CategoricalDistribution(spec)
    if isinstance(spec, tuple):
        if len(spec) not in (2, 3) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec[:2]):
            raise YoloTrainingError(
                f"space[{name!r}]={spec!r}: a range is (low, high), (low, high, 'log') or (low, high, step)."
            )
        low, high = spec[0], spec[1]
        extra = spec[2] if len(spec) == 3 else None
        if low > high:
            raise YoloTrainingError(f"space[{name!r}]={spec!r} is impossible: low {low} is above high {high}.")
        log = extra == "log"
        if extra is not None and not log and not (isinstance(extra, (int, float)) and extra > 0):
            raise YoloTrainingError(f"space[{name!r}]={spec!r}: the third value must be 'log' or a positive step.")
        if log and low <= 0:
            raise YoloTrainingError(f"space[{name!r}]={spec!r}: a log range needs low > 0.")
        if isinstance(low, int) and isinstance(high, int) and (extra is None or log or isinstance(extra, int)):
            step = 1 if extra is None or log else extra
            return od.IntDistribution(low, high, log=log, step=step)
        return od.FloatDistribution(float(low), float(high), log=log, step=None if extra is None or log else float(extra))
    if isinstance(spec, dict):  # the form a YAML or JSON space file uses for a range
        if not {"low", "high"} <= set(spec) or set(spec) - {"low", "high", "log", "step"}:
            raise YoloTrainingError(f"space[{name!r}]={spec!r}: a range is {{low: ..., high: ...}} with optional log: true or step: ...")
        extra = "log" if spec.get("log") else spec.get("step")
        return _spec_to_distribution(name, (spec["low"], spec["high"]) + ((extra,) if extra else ()))
    if spec is None or isinstance(spec, (bool, int, float, str)):
        return None
    raise YoloTrainingError(f"space[{name!r}]={spec!r}: use a list of choices, a (low, high) range or a fixed value.")


def _values(dist) -> tuple[float, float] | list:
    import optuna.distributions as od

    if isinstance(dist, od.CategoricalDistribution):
        return list(dist.choices)
    return dist.low, dist.high


def _cap(name: str, dist, fixed: dict, cap: int, notes: list[str]):
    """Apply a profile or budget cap to one dimension; returns the (possibly fixed) distribution."""
    import optuna.distributions as od

    if dist is None:
        if isinstance(fixed.get(name), int) and fixed[name] > cap:
            notes.append(f"{name}={fixed[name]} capped at {cap}")
            fixed[name] = cap
        return None
    if isinstance(dist, od.CategoricalDistribution):
        kept = [v for v in dist.choices if not isinstance(v, int) or v <= cap]
        if len(kept) < len(dist.choices):
            notes.append(f"{name} choices above {cap} dropped")
        if not kept:
            fixed[name] = cap
            return None
        return od.CategoricalDistribution(kept)
    if dist.high <= cap:
        return dist
    if dist.low >= cap:
        notes.append(f"{name} fixed at the cap {cap}")
        fixed[name] = int(cap) if isinstance(dist, od.IntDistribution) else float(cap)
        return None
    notes.append(f"{name} range capped at {cap}")
    if isinstance(dist, od.IntDistribution):
        high = dist.low + (cap - dist.low) // dist.step * dist.step
        return od.IntDistribution(dist.low, high, log=dist.log, step=dist.step)
    return od.FloatDistribution(dist.low, float(cap), log=dist.log, step=dist.step)


@dataclass
class Space:
    """A checked search space: what Optuna samples and what every trial uses as is.

    Attributes:
        distributions: Optuna distributions of the searched arguments, by name.
        fixed: arguments every trial uses as they are.
        notes: what was capped or changed, and why (printed before the search).

    Examples:
        >>> space = yt.check_space({"lr0": (1e-4, 1e-1, "log"), "imgsz": [160, 224]})  # doctest: +SKIP
        >>> print(space)  # doctest: +SKIP
        Search space:
          lr0: (0.0001, 0.1)
          imgsz: [160, 224]
          epochs = 10 (fixed)
    """

    distributions: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The space as plain JSON values (stored in the study, compared when it is continued)."""
        from optuna.distributions import distribution_to_json

        return {
            "distributions": {k: json.loads(distribution_to_json(d)) for k, d in sorted(self.distributions.items())},
            "fixed": {k: self.fixed[k] for k in sorted(self.fixed)},
        }

    def __str__(self) -> str:
        lines = [f"  {k}: {_values(d)}" for k, d in self.distributions.items()]
        lines += [f"  {k} = {v!r} (fixed)" for k, v in self.fixed.items()]
        return "Search space:\n" + "\n".join(lines + [f"  note: {n}" for n in self.notes])


def read_space(path: str | Path) -> dict:
    """A search space from a YAML or JSON file: ``lr0: {low: 0.0001, high: 0.1, log: true}``, ``imgsz: [224, 320]``.

    Args:
        path: the file.

    Returns:
        The space, as :func:`explore` takes it.

    Examples:
        >>> study = explore(space=read_space("space.yaml"))  # doctest: +SKIP
    """
    path = Path(path)
    try:
        space = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise YoloTrainingError(f"Cannot read the search space file {path.resolve()}: {err.strerror or err}.") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise YoloTrainingError(f"{path.resolve()}{where} is not valid YAML/JSON: {getattr(err, 'problem', err)}.") from err
    if not isinstance(space, dict):
        raise YoloTrainingError(f"{path.resolve()} must map training arguments to choices, ranges or values.")
    return space


def check_space(space: dict | None = None, budget_per_trial: int | None = None, task: str = "detect") -> Space:
    """Validate a search space (``None``: :func:`default_space`) and apply the budget and profile caps.

    Raises :class:`YoloTrainingError` for an empty or impossible space, an unknown training
    argument, a model name that does not exist, an image size that is not a multiple of 32,
    a value Ultralytics would reject (fractions outside 0-1), or epochs beyond the budget.

    Args:
        space: the space as :func:`explore` takes it.
        budget_per_trial: the most epochs one trial trains (default 10).
        task: the task the space is for.

    Returns:
        A :class:`Space`: the distributions Optuna samples, the fixed settings, and notes on the caps.

    Examples:
        >>> print(check_space({"lr0": (1e-4, 1e-1, "log"), "optimizer": "SGD"}))  # doctest: +SKIP
    """
    budget, asked = _budget(budget_per_trial), _budget(budget_per_trial, capped=False)
    if space is None:
        space = default_space(budget_per_trial, task)
    if not isinstance(space, dict) or not space:
        raise YoloTrainingError(
            f"space={space!r} is empty: give a dict such as {{'lr0': (1e-4, 1e-1, 'log'), 'imgsz': [224, 320]}}, "
            "or leave space=None for the default space."
        )
    result = _read_space(space)
    for name in {*result.distributions, *result.fixed}:
        _check_values(name, result.distributions.get(name), result.fixed.get(name), task, asked)
    if "epochs" not in space:
        result.fixed["epochs"] = budget
    _apply_caps(result, budget)
    if not result.distributions:
        raise YoloTrainingError(
            "The search space has nothing to search: every value is fixed"
            f"{' (after the caps: ' + '; '.join(result.notes) + ')' if result.notes else ''}. "
            "Give at least one list of choices or (low, high) range."
        )
    return result


def _read_space(space: dict) -> Space:
    """The user's space as Optuna distributions and fixed settings; unknown arguments are refused."""
    from ultralytics.cfg import DEFAULT_CFG_DICT

    result = Space()
    for name, spec in space.items():
        if name != "model" and (name not in DEFAULT_CFG_DICT or name in _NOT_SEARCHABLE):
            hint = "it is set by explore() itself" if name in _NOT_SEARCHABLE else "it is not an Ultralytics training argument"
            raise YoloTrainingError(f"space[{name!r}]: {hint}. Searchable: model and arguments like lr0, imgsz, mosaic.")
        dist = _spec_to_distribution(name, spec)
        if dist is None:
            result.fixed[name] = spec
        else:
            result.distributions[name] = dist
    return result


def _check_values(name: str, dist, fixed, task: str, asked: int) -> None:
    """Every possible value of one dimension must be one Ultralytics accepts, so no trial fails on a typo."""
    import optuna.distributions as od
    from ultralytics.cfg import CFG_FRACTION_KEYS, CFG_INT_KEYS

    values = _values(dist) if dist is not None else [fixed]
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if name == "model":
        for value in values:
            resolve_model(str(value), task)
    elif name == "imgsz":
        steps = [dist.step] if isinstance(dist, od.IntDistribution) else []
        if isinstance(dist, od.FloatDistribution) or any(not isinstance(v, int) or isinstance(v, bool) or v <= 0 or v % 32 for v in [*values, *steps]):
            raise YoloTrainingError(
                f"space['imgsz'] must only give positive multiples of 32 (e.g. [224, 320] or (160, 416, 32)); got {values!r}."
            )
    elif name in CFG_FRACTION_KEYS and any(not 0.0 <= v <= 1.0 for v in numbers):
        raise YoloTrainingError(f"space[{name!r}] must stay between 0.0 and 1.0 (Ultralytics rejects other values); got {values!r}.")
    elif name in CFG_INT_KEYS and (isinstance(dist, od.FloatDistribution) or any(isinstance(v, float) for v in numbers)):
        raise YoloTrainingError(f"space[{name!r}] must give whole numbers; got {values!r}.")
    if name == "epochs" and (any(v < 1 for v in numbers) or min(numbers, default=1) > asked):
        raise YoloTrainingError(
            f"space['epochs']={values!r} is impossible: epochs must be at least 1 and at most budget_per_trial={asked}."
        )


def _apply_caps(result: Space, budget: int) -> None:
    """The budget and, under the fast profile, its caps: values above a cap are cut or set to it."""
    caps = {"epochs": budget, **({k: v for k, v in FAST_PROFILE.items() if k != "epochs"} if profile() == "fast" else {})}
    for name, cap in caps.items():
        dist = _cap(name, result.distributions.pop(name, None), result.fixed, cap, result.notes)
        if dist is not None:
            result.distributions[name] = dist
    if profile() == "fast":
        result.notes.append(f"YOLO_TRAINING_PROFILE=fast: imgsz, epochs and batch capped at {FAST_PROFILE}.")


