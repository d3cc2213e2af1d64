"""Live training progress: one compact display in Jupyter, plain lines in a terminal.

:class:`LiveProgress` is a set of Ultralytics callbacks (``on_train_start``, ``on_train_batch_end``,
``on_train_epoch_end``, ``on_fit_epoch_end``, ``on_train_end``). It keeps the numbers a student
reads (epoch and batch, losses, the last validation P/R/mAP, elapsed time, an ETA) and hands them
to a view: :class:`WidgetView` (ipywidgets, updated in place, with a small matplotlib chart) or
:class:`TextView` (one line per epoch). The full Ultralytics log goes to ``train.log`` in the run
folder instead of the screen (see :func:`yolo_training.training.extensions.capture_output`).

The time estimate: the first batches of the run are the warm-up. Their mean time, times the
batches of the whole run, is shown after ``WARMUP_BATCHES`` batches; after every epoch the ETA is
re-estimated from the measured epoch times; when early stopping (``patience``) or the ``time=``
budget ends the run sooner, the ETA drops to zero and the display says why.

Multi-GPU (DDP) training runs the callbacks in worker processes, which cannot reach this kernel's
widgets; :func:`progress_source` then picks ``"results"`` and :class:`ResultsFollower` feeds the same
view from ``results.csv``, which rank 0 writes every epoch.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from pathlib import Path

from ..core.common import fmt_seconds, in_notebook, show_widget, update_widget
from ..core.errors import ResultsError, YoloTrainingError
from .runs import raw_results, readable_metrics

WARMUP_BATCHES = 3


# ---------------------------------------------------------------------------------------------
# Where the progress comes from: callbacks in this process, or results.csv under DDP


def device_count(device) -> int:
    """How many devices a ``device=`` value names (``[0, 1]`` or ``"0,1"`` -> 2; ``"cpu"`` -> 1)."""
    if isinstance(device, (list, tuple)):
        return len(device)
    text = str(device if device is not None else "").strip().lower()
    if text in ("", "auto", "cpu", "mps"):
        return 1
    return len([d for d in text.replace("cuda:", "").split(",") if d.strip()])


def progress_source(device) -> str:
    """``"callbacks"`` for one device, ``"results"`` when Ultralytics will spawn DDP workers.

    With several GPUs Ultralytics 8.4 pickles the trainer's callbacks (with cloudpickle) into
    separate worker processes: they run there, but cannot update widgets in this kernel, so the
    display follows ``results.csv`` instead. cloudpickle must then be installed (Ultralytics'
    auto-install is off): ``pip install "yolo-training[multigpu]"``.
    """
    if device_count(device) <= 1:
        return "callbacks"
    try:
        import cloudpickle  # noqa: F401
    except ImportError as err:
        raise YoloTrainingError(
            f"device={device!r} trains on several GPUs (DDP), for which Ultralytics needs cloudpickle. "
            'Install it with: pip install "yolo-training[multigpu]" (or pip install cloudpickle).'
        ) from err
    return "results"


# ---------------------------------------------------------------------------------------------
# The numbers


class LiveProgress:
    """Ultralytics callbacks that keep the run's progress and show it through ``view``.

    ``state`` holds what the views show: epoch, epochs, batch, batches, losses (dict), metrics
    (last validation, readable names), history (one dict per epoch), elapsed, eta, estimate
    (from the warm-up batches), message. ``view`` is a :class:`TextView`, a :class:`WidgetView`
    or ``None`` (numbers only).
    """

    def __init__(self, view=None, epochs: int | None = None):
        self.view = view
        self.state = dict(
            epoch=0, epochs=epochs or 0, batch=0, batches=0, losses={}, metrics={}, history=[],
            elapsed=0.0, eta=None, estimate=None, message="preparing", finished=False,
        )
        self._t0 = None
        self._budget = None  # seconds, when the run has a `time=` budget
        self._epoch_t0 = None
        self._batch_times: list[float] = []
        self._last_batch_t = None
        self._epoch_times: list[float] = []
        self._last_draw = 0.0
        self._last_train_epoch = None

    # Ultralytics event name -> method
    def callbacks(self) -> dict:
        return {
            "on_train_start": self.on_train_start,
            "on_train_epoch_start": self.on_train_epoch_start,
            "on_train_batch_end": self.on_train_batch_end,
            "on_train_epoch_end": self.on_train_epoch_end,
            "on_fit_epoch_end": self.on_fit_epoch_end,
            "on_train_end": self.on_train_end,
        }

    def _show(self, force: bool = False) -> None:
        if self.view is None:
            return
        now = time.perf_counter()
        if force or now - self._last_draw > 0.25:  # at most 4 redraws a second: no measurable overhead
            self._last_draw = now
            self.view.update(self.state)

    def on_train_start(self, trainer) -> None:
        self._t0 = time.perf_counter()
        s = self.state
        s["epochs"] = trainer.epochs
        s["epoch"] = trainer.start_epoch
        s["first_epoch"] = trainer.start_epoch
        s["batches"] = len(trainer.train_loader)
        budget = getattr(getattr(trainer, "args", None), "time", None)
        self._budget = float(budget) * 3600 if budget else None  # `time=` ends the run before `epochs`
        s["message"] = (
            f"resumed at epoch {trainer.start_epoch + 1}" if trainer.start_epoch else "training"
        )
        self._show(force=True)

    def on_train_epoch_start(self, trainer) -> None:
        self._epoch_t0 = self._last_batch_t = time.perf_counter()
        self.state["epoch"] = trainer.epoch + 1
        self.state["batch"] = 0
        self.state["batches"] = len(trainer.train_loader)

    def on_train_batch_end(self, trainer) -> None:
        now = time.perf_counter()
        s = self.state
        s["batch"] += 1
        if self._last_batch_t is not None and not self._epoch_times:
            self._batch_times.append(now - self._last_batch_t)
            # the first batch pays for worker start-up: estimate from the following ones when there are any
            if len(self._batch_times) == min(WARMUP_BATCHES + 1, max(1, s["batches"])):
                times = self._batch_times[1:] or self._batch_times
                per_batch = sum(times) / len(times)
                remaining_epochs = s["epochs"] - s.get("first_epoch", 0)
                s["estimate"] = per_batch * s["batches"] * remaining_epochs * 1.15  # + ~15% for validation
                if self._budget:
                    s["estimate"] = min(s["estimate"], self._budget)
                s["eta"] = s["estimate"] - (now - self._t0)
        self._last_batch_t = now
        tloss = getattr(trainer, "tloss", None)
        if isinstance(tloss, dict):
            s["losses"] = {str(k): float(v) for k, v in tloss.items()}
        elif tloss is not None:
            try:
                s["losses"] = {k.split("/")[-1]: float(v) for k, v in trainer.label_loss_items(tloss, prefix="train").items()}
            except Exception:  # a display must never stop training
                pass
        s["elapsed"] = now - self._t0 if self._t0 else 0.0
        self._show()

    def on_train_epoch_end(self, trainer) -> None:
        self._last_train_epoch = trainer.epoch
        if self._epoch_t0 is not None:
            self._epoch_times.append(time.perf_counter() - self._epoch_t0)

    def on_fit_epoch_end(self, trainer) -> None:
        s = self.state
        if self._last_train_epoch is not None and trainer.epoch != self._last_train_epoch:
            # final validation of best.pt: Ultralytics calls this event once more, with epoch + 1
            s["final_metrics"] = readable_metrics(trainer.metrics or {})
            return
        now = time.perf_counter()
        s["epochs"] = trainer.epochs  # a time= budget re-plans the epochs every epoch
        s["metrics"] = readable_metrics(trainer.metrics or {})
        row = {"epoch": trainer.epoch + 1, **{f"train/{k}": v for k, v in s["losses"].items()}}
        for key, value in (trainer.metrics or {}).items():
            if str(key).startswith("val/"):
                row[str(key)] = float(value)
        row.update(s["metrics"])
        s["history"].append(row)
        done = trainer.epoch + 1 - s.get("first_epoch", 0)
        s["elapsed"] = now - self._t0 if self._t0 else 0.0
        left = trainer.epochs - (trainer.epoch + 1)
        s["eta"] = s["elapsed"] / max(done, 1) * left
        s["message"] = "training"
        self._show(force=True)

    def on_train_end(self, trainer) -> None:
        s = self.state
        s["elapsed"] = time.perf_counter() - self._t0 if self._t0 else s["elapsed"]
        s["eta"] = 0.0
        s["finished"] = True
        done = len(s["history"]) + s.get("first_epoch", 0)
        stopper = getattr(trainer, "stopper", None)
        if getattr(trainer, "stop_requested", False):
            s["message"] = f"stopped at epoch {s['epoch']}/{trainer.epochs}: resume() continues it"
        elif stopper is not None and done < trainer.epochs and (
            done - (getattr(stopper, "best_epoch", 0) or 0) >= (getattr(stopper, "patience", None) or float("inf"))
        ):
            s["message"] = (
                f"stopped early at epoch {done}/{trainer.epochs}: no improvement for {stopper.patience} epochs "
                f"(patience), best epoch {stopper.best_epoch}"
            )
        elif done < trainer.epochs:
            s["message"] = f"ended at epoch {done}/{trainer.epochs} (time budget)"
        else:
            s["message"] = f"completed {done} epochs"
        self._show(force=True)
        if self.view is not None and hasattr(self.view, "close"):
            self.view.close(s)


# ---------------------------------------------------------------------------------------------
# Views


def _metrics_text(metrics: dict) -> str:
    keys = [k for k in ("precision", "recall", "mAP50", "mAP50-95", "mask_mAP50-95", "top1", "top5") if k in metrics]
    return "  ".join(f"{'P' if k == 'precision' else 'R' if k == 'recall' else k} {metrics[k]:.3f}" for k in keys)


def status_line(s: dict) -> str:
    losses = " ".join(f"{k} {v:.3f}" for k, v in s["losses"].items())
    parts = [f"epoch {s['epoch']}/{s['epochs']}", f"batch {s['batch']}/{s['batches']}"]
    if losses:
        parts.append(losses)
    if s["metrics"]:
        parts.append(_metrics_text(s["metrics"]))
    parts.append(f"elapsed {fmt_seconds(s['elapsed'])}")
    if s["eta"] is not None:
        parts.append(f"ETA {fmt_seconds(s['eta'])}")
    return " | ".join(parts)


class TextView:
    """Plain progress lines (a terminal): the estimate once, then one line per epoch."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self._printed_epochs = 0
        self._estimated = False

    def update(self, s: dict) -> None:
        if s["estimate"] is not None and not self._estimated:
            self._estimated = True
            print(f"Estimated training time on this machine: about {fmt_seconds(s['estimate'])} "
                  f"(from the first {WARMUP_BATCHES} batches)", file=self.stream, flush=True)
        if len(s["history"]) > self._printed_epochs:
            self._printed_epochs = len(s["history"])
            print(status_line(s), file=self.stream, flush=True)

    def close(self, s: dict) -> None:
        print(f"Training {s['message']}; took {fmt_seconds(s['elapsed'])}.", file=self.stream, flush=True)


class WidgetView:
    """One ipywidgets box updated in place: two progress bars, a status line and a live chart."""

    def __init__(self, title: str = "Training"):
        import ipywidgets as w

        self.title = w.HTML(f"<b>{title}</b>")
        self.epochs = w.IntProgress(value=0, min=0, max=1, description="epochs", bar_style="info")
        self.batches = w.IntProgress(value=0, min=0, max=1, description="batches")
        self.epochs_label = w.Label()
        self.batches_label = w.Label()
        self.status = w.HTML()
        self.chart = w.Image(format="png")
        self.box = w.VBox([
            self.title,
            w.HBox([self.epochs, self.epochs_label]),
            w.HBox([self.batches, self.batches_label]),
            self.status,
            self.chart,
        ])
        self._charted = 0
        self._lock = threading.Lock()
        self.handle = None

    def _ipython_display_(self):
        self.show()

    def show(self) -> None:
        """Display the box (Jupyter) with a static copy of its state for pages rendered without widgets."""
        self.handle = show_widget(self.box, self.static_html())

    def static_html(self) -> str:
        """The display's current state as plain HTML: title, epochs, status lines and the chart."""
        import base64

        chart = self.chart.value
        image = f'<img src="data:image/png;base64,{base64.b64encode(chart).decode()}"/>' if chart else ""
        return (f"<div>{self.title.value}<br>epochs {self.epochs_label.value or '-'} &nbsp; "
                f"batches {self.batches_label.value or '-'}<br>{self.status.value}<br>{image}</div>")

    def update(self, s: dict) -> None:
        with self._lock:
            self.epochs.max = max(1, s["epochs"])
            self.epochs.value = min(len(s["history"]) + s.get("first_epoch", 0), self.epochs.max)
            self.epochs_label.value = f"{s['epoch']}/{s['epochs']}"
            self.batches.max = max(1, s["batches"])
            self.batches.value = min(s["batch"], self.batches.max)
            self.batches_label.value = f"{s['batch']}/{s['batches']}"
            lines = [s["message"]]
            if s["losses"]:
                lines.append("losses: " + "  ".join(f"{k} {v:.3f}" for k, v in s["losses"].items()))
            if s["metrics"]:
                lines.append("last validation: " + _metrics_text(s["metrics"]))
            eta = f"  ETA {fmt_seconds(s['eta'])}" if s["eta"] is not None else ""
            estimate = f"  (estimated total {fmt_seconds(s['estimate'])})" if s["estimate"] is not None else ""
            lines.append(f"elapsed {fmt_seconds(s['elapsed'])}{eta}{estimate}")
            self.status.value = "<br>".join(lines)
            if len(s["history"]) != self._charted:
                self._charted = len(s["history"])
                self.chart.value = chart_png(s["history"])

    def close(self, s: dict) -> None:
        self.update(s)
        self.epochs.bar_style = "success" if "completed" in s["message"] or "early" in s["message"] else "warning"
        update_widget(self.handle, self.box, self.static_html())


def chart_png(history: list[dict]) -> bytes:
    """A small PNG: train and val losses (left) and mAP or accuracy (right) per epoch."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 2.4), dpi=80)
    ax1, ax2 = fig.subplots(1, 2)
    epochs = [h["epoch"] for h in history]
    for prefix, style in (("train/", "-"), ("val/", "--")):
        keys = sorted({k for h in history for k in h if k.startswith(prefix)})
        for key in keys:
            ax1.plot(epochs, [h.get(key, float("nan")) for h in history], style, marker=".", label=key)
    ax1.set_title("loss", fontsize=9)
    ax1.set_xlabel("epoch", fontsize=8)
    if history:
        ax1.legend(fontsize=6)
    for key in ("mAP50", "mAP50-95", "top1"):
        if any(key in h for h in history):
            ax2.plot(epochs, [h.get(key, float("nan")) for h in history], marker=".", label=key)
    ax2.set_title("validation", fontsize=9)
    ax2.set_xlabel("epoch", fontsize=8)
    if history:
        ax2.legend(fontsize=6)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def make_view(mode: str | bool = "auto", title: str = "Training"):
    """``"auto"``: widgets in Jupyter, text in a terminal; ``"widget"``, ``"text"``, ``False`` (none) or a view."""
    if hasattr(mode, "update"):
        return mode
    if mode is False or mode in ("none", None):
        return None
    if mode == "auto":
        mode = "widget" if in_notebook() else "text"
    if mode == "widget":
        view = WidgetView(title)
        view.show()
        return view
    if mode == "text":
        return TextView()
    raise YoloTrainingError(f"progress={mode!r} must be 'auto', 'widget', 'text' or False.")


# ---------------------------------------------------------------------------------------------
# DDP: follow results.csv


class ResultsFollower:
    """Feeds a :class:`LiveProgress` from ``results.csv`` while DDP workers train elsewhere.

    Polls the file every ``interval`` seconds in a thread; each new epoch row becomes an
    ``on_fit_epoch_end`` with a stand-in trainer carrying that row's numbers.
    """

    def __init__(self, csv: Path, progress: LiveProgress, epochs: int, interval: float = 2.0):
        self.csv = Path(csv)
        self.progress = progress
        self.epochs = epochs
        self.interval = interval
        self.rows_seen = 0
        self._stop = threading.Event()
        self._thread = None

    def poll(self) -> int:
        """Read new rows; returns how many were new."""
        if not self.csv.is_file():
            return 0
        try:
            table = raw_results(self.csv)
        except (OSError, ResultsError):
            return 0  # being written
        new = table.iloc[self.rows_seen:]
        for _, row in new.iterrows():
            raw = row.to_dict()
            stand_in = _StandIn(epoch=int(raw["epoch"]) - 1, epochs=self.epochs, metrics=raw)
            if self.progress._t0 is None:
                self.progress._t0 = time.perf_counter()
            self.progress.state["losses"] = {k.split("/", 1)[1]: float(v) for k, v in raw.items() if k.startswith("train/")}
            self.progress.state["epoch"] = int(raw["epoch"])
            self.progress.on_fit_epoch_end(stand_in)
        self.rows_seen = len(table)
        return len(new)

    def _loop(self):
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.interval)
        self.poll()

    def start(self) -> "ResultsFollower":
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)


class _StandIn:
    """The few trainer attributes the progress callbacks read, from a results.csv row."""

    def __init__(self, epoch: int, epochs: int, metrics: dict):
        self.epoch = epoch
        self.epochs = epochs
        self.metrics = metrics
