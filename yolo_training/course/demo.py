"""The demo (``yolo-training demo``, ``make demo``): chapters 3 to 5 in one call, on the bundled sample.

It is the course's own pipeline, not a copy of it: the project is set up as :func:`start_chapter`
sets a chapter up (:func:`~yolo_training.course.chapters.set_up_project`: the sample drawn when
there is no export, the split made with chapter 3's defaults when there is none) and the model is
trained with chapter 4's budget (``BUDGETS["course"]``: yolov8n from scratch, 224 px, 5 minutes on
every core), so a change to the course's settings changes the demo with it.
"""

from __future__ import annotations

from pathlib import Path

from ..core import env
from .chapters import COURSE_RUN, budget_settings, describe_budget, set_up_project

#: The budget of :data:`~yolo_training.course.chapters.BUDGETS` the demo trains with: chapter 4's.
DEMO_BUDGET = COURSE_RUN


def run_demo(root: str | Path | None = None, name: str = "demo", **overrides):
    """The course's pipeline on the bundled sample: check, split and ``config.yaml``, train, plots.

    The export and the split are made only when missing (as :func:`~yolo_training.start_chapter`
    does); the training takes chapter 4's settings and time budget.

    Args:
        root: the project folder (default: :func:`~yolo_training.project_root`).
        name: the run's name.
        **overrides: training settings over chapter 4's (``epochs``, ``project``...).

    Returns:
        The :class:`~yolo_training.Run`.

    Examples:
        >>> run = run_demo(epochs=3)  # doctest: +SKIP
    """
    from ..data.inspection import inspect_dataset
    from ..results.plots import show_results
    from ..training.fit import train

    root = Path(root) if root is not None else env.project_root()
    ch, done = set_up_project("export", root)
    print(f"[1/5] Checking the annotations in {env.shown_path(ch.export, root)} ({done[0]})")
    print(inspect_dataset(ch.export).summary())
    print(f"\n[2/5] The split and {env.shown_path(ch.config, root)}, as chapter 3 makes them")
    ch, done = set_up_project("split", root)
    print(done[-1])
    print(f"\n[3/5] Training with chapter 4's settings: {describe_budget(DEMO_BUDGET)}")
    run = train(ch.config, name=name, **{**budget_settings(DEMO_BUDGET), **overrides})
    print("\n[4/5] Plots")
    show_results(run)
    print("\n[5/5] Done.")
    print(f"Run folder: {env.shown_path(run.dir, root)}")
    m = run.metrics
    print(
        "Final validation (best.pt): "
        f"precision {m.get('precision', float('nan')):.3f}  recall {m.get('recall', float('nan')):.3f}  "
        f"mAP50 {m.get('mAP50', float('nan')):.3f}  mAP50-95 {m.get('mAP50-95', float('nan')):.3f}"
    )
    return run
