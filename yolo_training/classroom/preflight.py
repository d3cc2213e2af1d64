"""Whether a laptop is ready for the workshop: the workshop line of ``yolo-training doctor``.

:func:`readiness` checks the environment (every package of the course's extras), the pretrained
weights the notebooks name, the free disk and the cores, and runs a 5-second :func:`speed_probe`.
Its score over the reference machine's (:data:`yolo_training.course.chapters.REFERENCE_SPEED`) scales the
chapter times measured there (:data:`yolo_training.course.chapters.CHAPTER_MINUTES`) to this laptop.
``yolo-training workshop ready`` prints the line alone.
"""

from __future__ import annotations

import os
import shutil
import time

from ..course import chapters as chapter
from ..core import env
from ..core.common import existing_ancestor
from ..course.student import COURSE_EXTRAS, course_weights

#: Disk a laptop needs for the course's runs, beyond the installation.
MIN_FREE_GIB = 2.0


def speed_probe(seconds: float = 5.0) -> dict:
    """How fast this machine trains: YOLOv8n training steps (forward and backward) for ``seconds``.

    The score is one over the median step time, so a moment when another program takes the CPU
    counts little.

    Runs on every core, as training does, on random 128 px images (batch 4), from scratch; building the
    model takes a second or two more.

    Args:
        seconds: how long to measure.

    Returns:
        ``{"steps_per_second": float, "steps": int, "seconds": float, "threads": int}``.

    Examples:
        >>> speed_probe(1.0)["steps"] >= 1  # doctest: +SKIP
        True
    """
    import torch
    from ultralytics.nn.tasks import DetectionModel

    from ..core.devices import use_all_cores

    threads = use_all_cores()
    model = DetectionModel("yolov8n.yaml", verbose=False).train()
    images = torch.rand(4, 3, 128, 128)

    def tensors(x):  # the head's output: tensors in a dict or list, depending on the Ultralytics version
        if isinstance(x, torch.Tensor):
            yield x
        elif isinstance(x, dict):
            yield from (t for v in x.values() for t in tensors(v))
        elif isinstance(x, (list, tuple)):
            yield from (t for v in x for t in tensors(v))

    def step() -> float:
        begin = time.perf_counter()
        sum(t.float().mean() for t in tensors(model(images))).backward()
        model.zero_grad(set_to_none=True)
        return time.perf_counter() - begin

    step()  # the first step allocates
    times: list[float] = []
    while not times or sum(times) < seconds:
        times.append(step())
    median = sorted(times)[len(times) // 2]  # a step slowed by another program does not count much
    return {"steps_per_second": 1.0 / median, "steps": len(times), "seconds": sum(times), "threads": threads}


def expected_times(steps_per_second: float | None, scale: float | None = None) -> dict[int, float]:
    """The chapter times to expect on a machine with this :func:`speed_probe` score.

    The course's long trainings end at their time budget (:data:`yolo_training.course.chapters.BUDGETS`)
    however fast the machine is: that part of a chapter takes its budget times ``scale``, on any
    machine (a slower one trains fewer epochs in it); the rest of the chapter (short fixed-epoch
    runs, validation, plots) takes the reference time divided by :func:`speed_ratio`.

    Args:
        steps_per_second: the machine's probe score (None: unknown, the reference's speed is assumed).
        scale: the time scale of the budgets; default: ``YOLO_TRAINING_TIME_SCALE`` (1 when unset).

    Returns:
        ``{chapter: seconds}`` for every chapter of :data:`yolo_training.course.chapters.CHAPTER_MINUTES`.

    Examples:
        >>> from yolo_training.course.chapters import CHAPTER_MINUTES
        >>> expected_times(None, scale=1.0)[4] == CHAPTER_MINUTES[4] * 60
        True
    """
    ratio = speed_ratio(steps_per_second)
    scale = chapter.time_scale() if scale is None else scale
    expected = {}
    for number, minutes in chapter.CHAPTER_MINUTES.items():
        budgeted = min(minutes, sum(b.minutes for b in chapter.BUDGETS.values() if b.chapter == number and b.minutes))
        expected[number] = 60 * (budgeted * scale + (minutes - budgeted) / ratio)
    return expected


def speed_ratio(steps_per_second: float | None) -> float:
    """How many times faster than the reference machine a probe score is (1.0 while either is unknown).

    Args:
        steps_per_second: a :func:`speed_probe` score.

    Returns:
        The ratio of the scores.

    Examples:
        >>> speed_ratio(None)
        1.0
    """
    reference = chapter.REFERENCE_SPEED
    if not reference or not steps_per_second:
        return 1.0
    return steps_per_second / reference


def _missing_packages(extras=COURSE_EXTRAS) -> list[str]:
    """Requirements of ``yolo-training[extras]`` that are not installed (or too old)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    try:
        requires = metadata.requires("yolo-training") or []
    except metadata.PackageNotFoundError:
        return ["yolo-training (not installed as a package)"]
    missing = []
    for text in requires:
        req = Requirement(text)
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
            continue
        try:
            if req.specifier and not req.specifier.contains(metadata.version(req.name), prereleases=True):
                missing.append(f"{req.name} {metadata.version(req.name)} (needs {req.specifier})")
        except metadata.PackageNotFoundError:
            missing.append(req.name)
    return sorted(set(missing))


def _short_time(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def readiness(probe_seconds: float = 5.0) -> tuple[dict, str]:
    """Whether this laptop is ready for the workshop, as data and as one line.

    Checks the environment (every package of ``yolo-training[annotate,explore,onnx]``), the
    weights the notebooks name, the free disk, the cores, and runs a :func:`speed_probe` whose
    score scales the chapter times of the reference machine to this one.

    Args:
        probe_seconds: length of the speed probe (0 skips it).

    Returns:
        ``(facts, line)``: ``facts`` holds ``ready`` (bool), ``problems``, ``warnings``,
        ``missing_packages``, ``weights``, ``missing_weights``, ``free_gib``, ``cores``, ``probe``
        and ``expected_seconds`` (per chapter); ``line`` says it in one sentence.

    Examples:
        >>> facts, line = readiness()  # doctest: +SKIP
        >>> print(line)  # doctest: +SKIP
        Workshop: READY - packages complete, weights 6/6, 40 GiB free, 2 cores, speed 1.0x the reference machine (expected: chapters 4 to 7 ~10 min, ...).
    """
    from ..training.models import cached_weights

    wanted = course_weights()
    cached = {p.stem for p in cached_weights()}
    facts = {
        "missing_packages": _missing_packages(),
        "weights": sorted(cached & set(wanted)),
        "missing_weights": [w for w in wanted if w not in cached],
        "free_gib": shutil.disk_usage(existing_ancestor(env.project_root())).free / 2**30,
        "cores": os.cpu_count() or 1,
        "probe": speed_probe(probe_seconds) if probe_seconds > 0 else None,
    }
    facts["expected_seconds"] = expected_times(facts["probe"]["steps_per_second"]) if facts["probe"] else {}
    facts["problems"], facts["warnings"] = _judge(facts)
    facts["ready"] = not facts["problems"]
    return facts, _readiness_line(facts, len(wanted))


def _judge(facts: dict) -> tuple[list[str], list[str]]:
    problems, warnings = [], []
    if facts["missing_packages"]:
        problems.append(f"missing {', '.join(facts['missing_packages'])} (run the pack's install script again)")
    if facts["free_gib"] < MIN_FREE_GIB:
        problems.append(f"only {facts['free_gib']:.1f} GiB free (the course needs {MIN_FREE_GIB:.0f})")
    if facts["missing_weights"]:
        warnings.append(f"no {', '.join(facts['missing_weights'])} weights (those train from scratch)")
    score = facts["probe"]["steps_per_second"] if facts["probe"] else None
    if score and speed_ratio(score) < 0.8:
        scale = round(1 / speed_ratio(score), 1)
        later = sum(t for c, t in expected_times(score, scale).items() if 4 <= c <= 7)
        warnings.append(f"slower than the reference machine: the time budgets end its trainings after fewer epochs; "
                        f"set {chapter.TIME_SCALE_VARIABLE}={scale} for models as good as the reference's "
                        f"(chapters 4 to 7 then take ~{_short_time(later)})")
    return problems, warnings


def _readiness_line(facts: dict, n_wanted: int) -> str:
    parts = [
        "packages complete" if not facts["missing_packages"] else f"{len(facts['missing_packages'])} package(s) missing",
        f"weights {len(facts['weights'])}/{n_wanted}",
        f"{facts['free_gib']:.0f} GiB free",
        f"{facts['cores']} cores",
    ]
    if facts["expected_seconds"]:
        later = sum(t for c, t in facts["expected_seconds"].items() if 4 <= c <= 7)
        expected = f"chapters 4 to 7 ~{_short_time(later)}, the whole course ~{_short_time(sum(facts['expected_seconds'].values()))}"
        if chapter.REFERENCE_SPEED:
            parts.append(f"speed {speed_ratio(facts['probe']['steps_per_second']):.1f}x the reference machine (expected: {expected})")
        else:
            parts.append(f"speed probe {facts['probe']['steps_per_second']:.1f} steps/s (the reference machine's score is "
                         f"not measured: its times are {expected})")
    line = f"Workshop: {'NOT READY' if facts['problems'] else 'READY'} - {', '.join(parts)}."
    if facts["problems"]:
        line += " To fix: " + "; ".join(facts["problems"]) + "."
    if facts["warnings"]:
        line += " Note: " + "; ".join(facts["warnings"]) + "."
    return line


