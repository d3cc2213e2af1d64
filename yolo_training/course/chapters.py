"""The course's chapters in one registry, starting a chapter in one call, and the time budgets in one table.

:data:`CHAPTERS` is the list of chapters: number, notebook, title, what it needs and starts from,
and how long it takes. Everything else reads it: :func:`start_chapter`, the time tables, the
website's navigation and execution order (``docs/hooks/notebooks.py``), the course benchmark and the
tests (which check that the README, the home page and each notebook's "where we are" diagram agree
with it). Adding a chapter is a notebook in ``notebooks/`` plus a row here.

Every chapter begins with ``ch = yt.start_chapter(N, needs=...)``: it finds the project, draws the
sample export when there is none (a hosted notebook), makes the split of chapter 3 when it is
missing, and trains chapter 4's run when a later chapter needs it and it is not there. It prints
one line saying what it found and did, and returns a :class:`Chapter` with the paths and the run.

Every training cell of the course takes its settings from :data:`BUDGETS` through
:meth:`Chapter.budget`, which prints the expected time before the cell trains. The budgets are
sized so that chapters 4 to 7 take at most 20 minutes on the reference machine (2 CPU cores) and
chapter 4's model still learns the sample well; they are first values, to be measured and tuned
here, in one place. ``YOLO_TRAINING_TIME_SCALE`` scales every time budget (and every expected
time) at once: ``1.5`` on machines one and a half times slower than the reference, ``0.5`` on
faster ones. Under ``YOLO_TRAINING_PROFILE=fast`` (tests, the site's quick build) every run is
capped at a few seconds anyway (see :func:`yolo_training.training.settings.training_settings`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core import env, events, runtime
from ..core.common import list_images
from ..core.errors import YoloTrainingError
from ..training.runs import Run

#: Multiplies every time budget and expected time of the course (a machine slower or faster than the reference).
TIME_SCALE_VARIABLE = "YOLO_TRAINING_TIME_SCALE"
#: The machine the budgets and expected times are sized for.
REFERENCE_MACHINE = "2 CPU cores"
#: The run of chapter 4 that chapters 5 to 7 read (``runs/detect/course``).
COURSE_RUN = "course"
#: What a chapter can need, each level including the ones before it.
NEEDS = ("project", "export", "split", "run")


@dataclass(frozen=True)
class ChapterInfo:
    """One chapter of the course, as :data:`CHAPTERS` lists it.

    Attributes:
        number: The chapter's number, 1 first: ``start_chapter(number)``.
        notebook: Its notebook in ``notebooks/``, without ``.ipynb`` (also the site's page).
        title: Its title (the notebook's heading starts with ``# <number>. <title>``; the site's menu).
        step: Its short name on the course's path (the "where we are" diagram, the "Next:" links).
        needs: What :func:`start_chapter` sets up for it, one of :data:`NEEDS`.
        starts_from: The earlier chapter whose project folder it builds on (chapter 4 trains on
            chapter 3's split), or None; the website executes it after that one, from its state.
        minutes: The chapter top to bottom on the reference machine (``benchmarks/bench_course.py``).

    Examples:
        >>> chapter_info(4).notebook
        '04_training'
    """

    number: int
    notebook: str
    title: str
    step: str
    needs: str
    starts_from: int | None
    minutes: float


#: The chapters, in order. One row per chapter, written with keywords and plain values: the website's
#: hook and ``benchmarks/bench_course.py`` read this table without importing the package, and the
#: benchmark rewrites each row's ``minutes`` (measured: one fresh clone, the settings written in the
#: notebooks; chapter 2 without Label Studio, whose first start adds about a minute where it is installed).
CHAPTERS: tuple[ChapterInfo, ...] = (
    ChapterInfo(number=1, notebook="01_data_acquisition", title="Data acquisition", step="Acquire", needs="export", starts_from=None, minutes=0.1),
    ChapterInfo(number=2, notebook="02_annotation", title="Annotation", step="Annotate", needs="export", starts_from=None, minutes=0.1),
    ChapterInfo(number=3, notebook="03_dataset_split", title="Checking and splitting", step="Check & split", needs="export", starts_from=None, minutes=0.1),
    ChapterInfo(number=4, notebook="04_training", title="Training", step="Train", needs="split", starts_from=3, minutes=5.2),
    ChapterInfo(number=5, notebook="05_metrics", title="Metrics and results", step="Metrics", needs="run", starts_from=4, minutes=0.1),
    ChapterInfo(number=6, notebook="06_fine_tuning", title="Fine-tuning", step="Fine-tune", needs="run", starts_from=4, minutes=4.0),
    ChapterInfo(number=7, notebook="07_inference", title="Inference", step="Inference", needs="run", starts_from=4, minutes=0.2),
)
#: The highlighted step of the "where we are" diagram.
DIAGRAM_HIGHLIGHT = "fill:#ffb300,stroke:#333,stroke-width:3px"


def chapter_info(number: int) -> ChapterInfo:
    """The row of :data:`CHAPTERS` for one chapter.

    Args:
        number: The chapter's number (1 first).

    Returns:
        Its :class:`ChapterInfo`.

    Raises:
        YoloTrainingError: there is no such chapter (the message lists the chapters).

    Examples:
        >>> chapter_info(6).title
        'Fine-tuning'
    """
    for info in CHAPTERS:
        if info.number == number:
            return info
    raise YoloTrainingError(
        f"There is no chapter {number!r} in the course; the chapters are "
        + ", ".join(f"{c.number} ({c.title})" for c in CHAPTERS) + "."
    )


def path_diagram(highlight: int | None = None) -> str:
    """The course's path as a Mermaid diagram, one box per chapter, one of them highlighted.

    Each notebook shows it under "Where we are in the course" (its own chapter highlighted) and the
    home page without a highlight; the tests check both against :data:`CHAPTERS`.

    Args:
        highlight: The chapter whose box is highlighted, or None.

    Returns:
        The diagram's Mermaid source (without the ```` ```mermaid ```` fence).

    Examples:
        >>> print(path_diagram(2).splitlines()[-1])
          style B fill:#ffb300,stroke:#333,stroke-width:3px
    """
    ids = {c.number: chr(ord("A") + i) for i, c in enumerate(CHAPTERS)}
    lines = ["graph LR", "  " + " --> ".join(f'{ids[c.number]}["{c.number} {c.step}"]' for c in CHAPTERS)]
    if highlight is not None:
        lines.append(f"  style {ids[chapter_info(highlight).number]} {DIAGRAM_HIGHLIGHT}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Budget:
    """One training cell of the course: its settings, its budget and how long the cell takes.

    ``minutes`` is a time budget (Ultralytics' ``time=``, in hours) that ends the run however many
    epochs it reached; ``epochs`` alone bounds runs that are short by design. ``expected`` is the
    whole cell on the reference machine, in minutes (the budget plus start-up and the final validation).
    """

    chapter: int
    what: str
    settings: dict = field(default_factory=dict)
    minutes: float | None = None
    epochs: int | None = None
    expected: float = 0.0


#: Every training cell of the course, by run name. ``expected`` is the cell's time measured with
#: these settings on the reference machine (the site's build of 2026-11-27, load about 1.4; chapter
#: 4's run reached best mAP50 0.93 in its 5 minutes). Runs continued from chapter 4's model stop
#: early (patience 10) before their time budget there; the budget bounds them on slower machines.
BUDGETS: dict[str, Budget] = {
    "prelabel": Budget(2, "a tiny model that proposes boxes (when chapter 4 has trained none yet)",
                       dict(model="yolov8n", imgsz=64), epochs=1, expected=0.2),  # not measured: it runs only with Label Studio
    "course": Budget(4, "the first model", dict(model="yolov8n", imgsz=224, batch=16, patience=100, epochs=100),
                     minutes=5.0, expected=5.3),
    "course-more": Budget(6, "more epochs from the first model", dict(fraction=0.25, epochs=100), minutes=1.0, expected=0.7),
    "course-interrupted": Budget(6, "a run stopped in its first epoch",
                                 dict(model="yolov8n", imgsz=224, batch=16, fraction=0.25), epochs=3, expected=0.1),
    "course-resumed": Budget(6, "resuming the stopped run (its own 3 epochs)", expected=0.2),
    "course-s": Budget(6, "a bigger model, yolov8s", dict(model="yolov8s", imgsz=224, batch=16, fraction=0.25, epochs=100),
                       minutes=1.5, expected=1.7),
    "course-frozen": Budget(6, "the first model with its backbone frozen", dict(freeze=10, fraction=0.25, epochs=100),
                            minutes=1.0, expected=0.8),
    "course-search": Budget(6, "a tiny hyperparameter search",
                            dict(trials=2, budget_per_trial=2, space=dict(model="yolov8n", imgsz=(160, 288, 32), fraction=0.25)),
                            expected=0.4),
}

#: Each chapter top to bottom on the reference machine, in minutes (:attr:`ChapterInfo.minutes`, by number).
CHAPTER_MINUTES = {c.number: c.minutes for c in CHAPTERS}
#: The reference machine's :func:`~yolo_training.classroom.preflight.speed_probe` score (steps per second)
#: in the same run: a laptop's own score over it scales :data:`CHAPTER_MINUTES` (doctor's workshop
#: line). None: not measured, and the times are shown as measured.
REFERENCE_SPEED: float | None = 17.07


def time_scale() -> float:
    """The factor of ``YOLO_TRAINING_TIME_SCALE`` (1 when it is unset).

    Returns:
        A positive number that multiplies every time budget and expected time of the course.

    Examples:
        In a shell, before starting Jupyter on laptops 1.5 times slower than 2 CPU cores::

            export YOLO_TRAINING_TIME_SCALE=1.5

        then ``time_scale()`` is 1.5 and chapter 4's 5-minute budget becomes 7.5 minutes.
    """
    text = os.environ.get(TIME_SCALE_VARIABLE, "").strip()
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise YoloTrainingError(
            f"{TIME_SCALE_VARIABLE}={text!r} is not a positive number. Use e.g. 1.5 on machines 1.5 times slower than "
            f"{REFERENCE_MACHINE} (every training budget of the course gets 1.5 times longer), or unset it."
        )
    return value


def _minutes(value: float) -> str:
    return f"{value:.1f} min" if value < 10 else f"{value:.0f} min"


def _budget(name: str) -> Budget:
    if name not in BUDGETS:
        raise YoloTrainingError(f"There is no budget {name!r} in the course; known: {', '.join(BUDGETS)}.")
    return BUDGETS[name]


def budget_settings(name: str) -> dict:
    """The training arguments of one training cell of the course, with its (scaled) budget.

    Args:
        name: A key of :data:`BUDGETS`, the cell's run name (``"course"``, ``"course-s"``...).

    Returns:
        The arguments for :func:`~yolo_training.train`, :func:`~yolo_training.continue_training`
        or :func:`~yolo_training.explore`: the settings, ``epochs``, and ``time`` (hours) when the
        cell has a time budget. A search's ``space`` is :func:`~yolo_training.default_space`
        with the course's changes.

    Examples:
        >>> budget_settings("course")  # at YOLO_TRAINING_TIME_SCALE=1
        {'model': 'yolov8n', 'imgsz': 224, 'batch': 16, 'patience': 100, 'epochs': 100, 'time': 0.08333}
    """
    entry = _budget(name)
    settings = dict(entry.settings)
    if "space" in settings:  # a search: the default space with the course's changes
        from ..search.space import default_space

        settings["space"] = {**default_space(budget_per_trial=settings.get("budget_per_trial")), **settings["space"]}
    if entry.epochs is not None:
        settings["epochs"] = entry.epochs
    if entry.minutes is not None:
        settings["time"] = round(entry.minutes * time_scale() / 60, 5)
    return settings


def describe_budget(name: str) -> str:
    """One line for a student: what the cell trains, with which budget, and how long it takes here."""
    from ..training.settings import profile

    entry, scale = _budget(name), time_scale()
    shown = ", ".join(f"{k}={v}" for k, v in entry.settings.items() if k not in ("epochs", "space"))
    if "space" in entry.settings:
        shown += ", the default search space with " + ", ".join(f"{k}={v}" for k, v in entry.settings["space"].items())
    limit = f"time budget {_minutes(entry.minutes * scale)}" if entry.minutes is not None else (
        f"{entry.epochs} epochs" if entry.epochs is not None else "")
    parts = [p for p in (shown, limit) if p]
    line = f"{name}: {entry.what}" + (f" ({'; '.join(parts)})" if parts else "")
    line += f". Expected: about {_minutes(entry.expected * scale)} on {REFERENCE_MACHINE}"
    line += f" ({TIME_SCALE_VARIABLE}={scale:g})" if scale != 1 else ""
    if profile() == "fast":
        line += "; seconds here (YOLO_TRAINING_PROFILE=fast)"
    return line + "."


def course_budgets() -> pd.DataFrame:
    """The course's training cells and each chapter's expected time, for planning a session.

    Returns:
        One row per training cell (chapter, run, what, budget in minutes or epochs, expected
        minutes on the reference machine times ``YOLO_TRAINING_TIME_SCALE``), then one row per
        chapter with its whole expected time (``run`` is empty).

    Examples:
        >>> table = course_budgets()
        >>> chapters = table[table.run == ""].set_index("chapter")["expected_min"]
        >>> bool(chapters.loc[4:7].sum() <= 20)  # minutes for chapters 4 to 7 on 2 CPU cores
        True
    """
    scale = time_scale()
    rows = [
        dict(chapter=b.chapter, run=name, what=b.what,
             budget=_minutes(b.minutes * scale) if b.minutes is not None else (f"{b.epochs} epochs" if b.epochs else ""),
             expected_min=round(b.expected * scale, 2))
        for name, b in BUDGETS.items()
    ]
    rows += [dict(chapter=c.number, run="", what=f"chapter {c.number}, {c.title.lower()}, top to bottom", budget="",
                  expected_min=round(c.minutes * scale, 2)) for c in CHAPTERS]
    return pd.DataFrame(rows)


@dataclass
class Chapter:
    """What a chapter works with: the project's folders, ``config.yaml`` and chapter 4's run.

    Attributes:
        number: The chapter (its row of :data:`CHAPTERS`), or None.
        root: The project folder (``config.yaml``, ``annotations/``, ``runs/``).
        export: The annotated export, ``annotations/export``.
        config: The split's ``config.yaml`` (it exists once the chapter needs a split).
        run: Chapter 4's :class:`~yolo_training.Run` when the chapter needs it, else None.

    Examples:
        >>> ch = yt.start_chapter(6, needs="run")  # doctest: +SKIP
        >>> more = yt.continue_training(ch.run, name="course-more", **ch.budget("course-more"))  # doctest: +SKIP
    """

    number: int | None
    root: Path
    export: Path
    config: Path
    run: Run | None = None

    def budget(self, name: str) -> dict:
        """Print what a training cell will do and how long it takes, and return its arguments.

        Args:
            name: The cell's run name in :data:`BUDGETS` (``"course"``, ``"course-s"``...).

        Returns:
            The training arguments with the cell's budget (see :func:`budget_settings`).

        Examples:
            >>> ch = start_chapter(4, needs="split")  # doctest: +SKIP
            >>> run = yt.train(ch.config, name="course", overwrite=True, **ch.budget("course"))  # doctest: +SKIP
        """
        settings = budget_settings(name)
        print(describe_budget(name), flush=True)
        return settings


def _level(needs: str) -> int:
    if needs not in NEEDS:
        raise YoloTrainingError(f"needs={needs!r} is not one of {', '.join(map(repr, NEEDS))}.")
    return NEEDS.index(needs)


def _ensure_export(export: Path) -> str:
    from ..data.sample import generate_sample

    if export.exists():
        return f"export {len(list_images(export / 'images'))} photos"
    generate_sample(export)
    return f"sample export drawn ({len(list_images(export / 'images'))} photos)"


def _ensure_split(export: Path, out: Path, config: Path) -> str:
    from ..data.split import split_dataset

    folders = out / "images"
    made = ""
    if not (config.is_file() and (folders / "train").is_dir()):
        split_dataset(export, out, config=config, overwrite=True, progress=False)
        made = " made now"
    counts = {s: len(list_images(folders / s)) for s in ("train", "val", "test") if (folders / s).is_dir()}
    return f"split{made} " + "/".join(str(n) for n in counts.values()) + f" ({'/'.join(counts)})"


def _ensure_run(root: Path, config: Path):
    from ..training.runs import effective_status, read_record
    from ..training.fit import train

    folder = env.run_dir(COURSE_RUN, root=root)
    status = effective_status(read_record(folder)) if folder.is_dir() else None
    if status in ("pending", "preparing", "training"):
        raise YoloTrainingError(
            f"Chapter 4's run {env.shown_path(folder, root)} is still training (in another notebook?). Wait until it ends, then run this cell again."
        )
    if (folder / "weights" / "best.pt").is_file():
        run = Run.from_dir(folder)
        score = run.metrics.get("mAP50")
        return run, f"chapter 4's run '{COURSE_RUN}'" + (f" (mAP50 {score:.2f})" if score is not None else "")
    print(f"Chapter 4's run '{COURSE_RUN}' is missing: training it now with chapter 4's settings.", flush=True)
    print(describe_budget(COURSE_RUN), flush=True)
    run = train(config, name=COURSE_RUN, overwrite=True, **budget_settings(COURSE_RUN))
    return run, f"chapter 4's run '{COURSE_RUN}' trained now"


def set_up_project(needs: str = "export", root: str | Path | None = None) -> tuple[Chapter, list[str]]:
    """What :func:`start_chapter` sets up, without its line: the export, the split and chapter 4's run, as needed.

    Shared by the chapters and the demo (:func:`yolo_training.course.demo.run_demo`): what is
    missing is made, nothing that exists is changed.

    Args:
        needs: One of :data:`NEEDS`: ``"project"``, ``"export"``, ``"split"`` or ``"run"``.
        root: The project folder (default: :func:`~yolo_training.core.env.project_root`).

    Returns:
        ``(chapter, done)``: a :class:`Chapter` without a number, and one phrase per step saying
        what was found or made (``"export 360 photos"``, ``"split made now 288/72 (train/val)"``).

    Examples:
        >>> ch, done = set_up_project("split")  # doctest: +SKIP
        >>> done  # doctest: +SKIP
        ['export 360 photos', 'split 288/72 (train/val)']
    """
    level = _level(needs)
    root = Path(root) if root is not None else env.project_root()
    export, config = env.export_dir(root), env.config_path(root)
    done, run = [], None
    if level >= NEEDS.index("export"):
        done.append(_ensure_export(export))
    if level >= NEEDS.index("split"):
        done.append(_ensure_split(export, env.split_dir(root), config))
    if level >= NEEDS.index("run"):
        run, text = _ensure_run(root, config)
        done.append(text)
    return Chapter(number=None, root=root, export=export, config=config, run=run), done


def start_chapter(chapter: int | None = None, needs: str | None = None) -> Chapter:
    """Set a chapter up: the project, the sample export, the split and chapter 4's run, as needed.

    What is missing is made: the sample export is drawn when ``annotations/export`` does not exist
    (a hosted notebook), the split of chapter 3 is made with its default settings when there is
    none, and chapter 4's run is trained with chapter 4's settings when a later chapter needs it.
    Nothing that exists is changed. One line says what was found and done, and how long the
    chapter takes on the reference machine.

    Args:
        chapter: The chapter's number (a row of :data:`CHAPTERS`), for the line it prints and its
            expected time; None for the project alone.
        needs: ``"project"`` (the folder only), ``"export"`` (the annotated photos), ``"split"``
            (and ``config.yaml``) or ``"run"`` (and chapter 4's trained model); None: what the
            chapter's row of :data:`CHAPTERS` says (``"export"`` without a chapter).

    Returns:
        A :class:`Chapter` with ``root``, ``export``, ``config`` and ``run``.

    Examples:
        >>> ch = yt.start_chapter(5, needs="run")  # doctest: +SKIP
        Chapter 5 in yolo-training: export 360 photos, split 288/72 (train/val), chapter 4's run 'course' (mAP50 0.91); about 0.8 min on 2 CPU cores.
        >>> table = yt.validate(ch.run)  # doctest: +SKIP
    """
    info = chapter_info(chapter) if chapter is not None else None
    runtime.hosted()  # on Colab or Kaggle: the runtime and GPU in one line, the project on storage that outlives it
    ch, done = set_up_project(needs if needs is not None else (info.needs if info else "export"))
    ch.number = chapter
    title = f"Chapter {chapter}" if chapter is not None else "Project"
    line = f"{title} in {env.shown_path(ch.root, ch.root)}" + (f": {', '.join(done)}" if done else "")
    if info is not None:
        scale = time_scale()
        line += f"; about {_minutes(info.minutes * scale)} on {REFERENCE_MACHINE}"
        line += f" ({TIME_SCALE_VARIABLE}={scale:g})" if scale != 1 else ""
    print(line + ".", flush=True)
    if chapter is not None:
        events.announce("chapter_started", chapter)  # the class view listens (it sends nothing unless the student joined)
    return ch
