"""The training panel: an ipywidgets form to start, watch, stop and resume a run (OCTRON's Train tab).

``training_panel("config.yaml")`` in a notebook cell shows the settings, a Train and a Stop button
and the live display underneath. Training runs in a background thread so that the kernel stays
free to receive the Stop click; Stop ends the run after the current batch (Ultralytics validates
and saves that epoch) and leaves a ``last.pt`` that the "resume" box, or :func:`yolo_training.resume`,
continues.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..core import env
from ..core.common import fmt_seconds, show_widget, update_widget
from ..core.errors import YoloTrainingError
from ..core.devices import available_devices
from .estimate import estimate_training_time
from .models import FAMILIES, SIZES, TASKS
from .progress import WidgetView
from .settings import CPU_DEFAULTS
from .fit import resume, train

IMAGE_SIZES = list(range(32, 1280 + 1, 32))


def _widgets():
    """ipywidgets, imported when a panel is made (it is not needed to train from code)."""
    import ipywidgets

    return ipywidgets


class TrainingPanel:
    """The widgets and what the buttons do; ``panel.box`` is what is displayed.

    Headless use (tests, scripts): set ``panel.<widget>.value``, call ``panel.train_button.click()``,
    then ``panel.wait()``; ``panel.run`` is the finished :class:`~yolo_training.Run` and
    ``panel.error`` the message of a failed start.
    """

    def __init__(self, config: str | Path = "config.yaml", project: str | Path | None = None, **defaults):
        self.project = project
        self._make_fields(config, defaults)
        self._make_buttons()
        self.message = _widgets().HTML()
        self.view = WidgetView("Training")
        self.view.box.layout.display = "none"
        self.box = self._layout()
        self.handle = None
        self.thread: threading.Thread | None = None
        self.stop_event = threading.Event()
        self.run = None
        self.estimate: dict | None = None
        self.error: str | None = None

    def _make_fields(self, config, defaults: dict) -> None:
        """The settings, preset from ``defaults`` (the CPU defaults otherwise)."""
        widgets, style = _widgets(), {"description_width": "110px"}
        self.config = widgets.Text(value=str(config), description="data", style=style,
                                   tooltip="config.yaml (detect, segment) or an image folder with train/ and val/ (classify)")
        self.task = widgets.Dropdown(options=list(TASKS), value=defaults.get("task", "detect"), description="task", style=style)
        self.family = widgets.Dropdown(options=list(FAMILIES), value=defaults.get("family", "yolov8"), description="model family", style=style)
        self.size = widgets.Dropdown(options=list(SIZES), value=defaults.get("size", "n"), description="model size", style=style)
        self.imgsz = widgets.Dropdown(options=IMAGE_SIZES, value=defaults.get("imgsz", CPU_DEFAULTS["imgsz"]), description="image size", style=style)
        numbers = dict(epochs=(1, 10000), batch=(1, 1024), patience=(0, 10000), save_period=(-1, 10000))
        for key, (low, high) in numbers.items():
            value = defaults.get(key, CPU_DEFAULTS.get(key, -1))
            setattr(self, key, widgets.BoundedIntText(value=value, min=low, max=high, description=key.replace("_", " "), style=style))
        self.device = widgets.Dropdown(options=["auto"] + available_devices(), value=defaults.get("device", "auto"), description="device", style=style)
        self.name = widgets.Text(value=defaults.get("name", "train"), description="run name", style=style)
        self.resume = widgets.Checkbox(value=False, description="resume the run of this name (interrupted runs only)", indent=False)
        self.overwrite = widgets.Checkbox(value=False, description="overwrite a run of this name", indent=False)
        self.tensorboard = widgets.Checkbox(value=False, description="TensorBoard", indent=False)

    def _make_buttons(self) -> None:
        widgets = _widgets()
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.estimate_button = widgets.Button(description="Estimate time", icon="clock-o",
                                              tooltip="time a few real batches and tell how long these settings will train")
        self.train_button.on_click(self._on_train)
        self.stop_button.on_click(self._on_stop)
        self.estimate_button.on_click(self._on_estimate)

    def _layout(self):
        widgets = _widgets()
        return widgets.VBox([
            self.config,
            widgets.HBox([widgets.VBox([self.task, self.family, self.size, self.imgsz, self.device]),
                          widgets.VBox([self.epochs, self.batch, self.patience, self.save_period, self.name])]),
            widgets.HBox([self.resume, self.overwrite, self.tensorboard]),
            widgets.HBox([self.train_button, self.stop_button, self.estimate_button]),
            self.message,
            self.view.box,
        ])

    def _ipython_display_(self):
        self.show()

    def show(self) -> None:
        """Display the panel (Jupyter), with a static copy for pages rendered without widgets."""
        self.handle = show_widget(self.box, self.static_html())

    def static_html(self) -> str:
        """The panel as plain HTML: its settings, its message and the last training display."""
        import html

        shown = ", ".join(f"{k}={v}" for k, v in self.settings(check=False).items() if k != "config")
        training = self.view.static_html() if self.view.box.layout.display != "none" else ""
        return (f"<div><b>Training panel</b> (interactive in Jupyter: Train, Stop, Estimate time)<br>"
                f"data {html.escape(str(self.config.value))}<br>{html.escape(shown)}<br>{self.message.value}{training}</div>")

    # -- what the form asks for

    def settings(self, check: bool = True) -> dict:
        """The :func:`~yolo_training.train` arguments the form holds."""
        if check and self.imgsz.value % 32:
            raise YoloTrainingError(f"image size {self.imgsz.value} must be a multiple of 32.")
        return dict(
            config=self.config.value,
            model=f"{self.family.value}{self.size.value}",
            task=self.task.value,
            imgsz=self.imgsz.value,
            epochs=self.epochs.value,
            batch=self.batch.value,
            patience=self.patience.value,
            save_period=self.save_period.value,
            device=self.device.value,
            name=self.name.value.strip(),
            overwrite=self.overwrite.value,
            tensorboard=self.tensorboard.value,
        )

    def _set_running(self, running: bool) -> None:
        self.train_button.disabled = running
        self.stop_button.disabled = not running

    def _on_train(self, _button=None) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        self.error = None
        self.run = None
        self.stop_event = threading.Event()
        try:
            settings = self.settings()
        except YoloTrainingError as err:
            self._fail(str(err))
            return
        self.view.box.layout.display = None
        self._set_running(True)
        self.message.value = f"{'Resuming' if self.resume.value else 'Starting'} {settings['name']}..."
        self.thread = threading.Thread(target=self._work, args=(settings, self.resume.value), daemon=True)
        self.thread.start()

    def _work(self, settings: dict, resuming: bool) -> None:
        try:
            if resuming:
                self.run = resume(settings["name"], device=settings["device"], progress=self.view,
                                      stop=self.stop_event, project=self._lookup_project(settings))
            else:
                config = settings.pop("config")
                self.run = train(config, progress=self.view, stop=self.stop_event, project=self.project, **settings)
            status = self.run.status
            self.message.value = f"Run <b>{self.run.name}</b>: {status}. Folder: {self.run.dir}"
        except YoloTrainingError as err:
            self._fail(str(err))
        except Exception as err:  # show it in the panel rather than lose it in a thread
            self._fail(f"{type(err).__name__}: {err}")
        finally:
            self._set_running(False)
            update_widget(self.handle, self.box, self.static_html())

    def _lookup_project(self, settings: dict):
        return self.project if self.project is not None else env.runs_dir()

    def _fail(self, text: str) -> None:
        import html

        self.error = text
        self.message.value = f"<span style='color:#b00'>{html.escape(text)}</span>"

    def _on_estimate(self, _button=None) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        self.error = None
        try:
            settings = self.settings()
        except YoloTrainingError as err:
            self._fail(str(err))
            return
        self._set_running(True)
        self.stop_button.disabled = True
        self.message.value = "Timing a few batches of the real data..."
        self.thread = threading.Thread(target=self._estimate, args=(settings,), daemon=True)
        self.thread.start()

    def _estimate(self, settings: dict) -> None:
        try:
            for key in ("name", "overwrite", "tensorboard", "save_period"):
                settings.pop(key)
            self.estimate = estimate_training_time(settings.pop("config"), verbose=False, **settings)
            e = self.estimate
            self.message.value = (f"Estimated training time on this machine: about <b>{fmt_seconds(e['seconds'])}</b> "
                                  f"({fmt_seconds(e['per_epoch'])} per epoch of {e['batches_per_epoch']} batches).")
        except YoloTrainingError as err:
            self._fail(str(err))
        except Exception as err:
            self._fail(f"{type(err).__name__}: {err}")
        finally:
            self._set_running(False)

    def _on_stop(self, _button=None) -> None:
        self.stop_event.set()
        self.message.value = "Stopping after the current batch (this epoch is validated and saved)..."

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the training thread; True when it has finished."""
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True


def training_panel(config: str | Path = "config.yaml", project: str | Path | None = None, **defaults) -> TrainingPanel:
    """Show the training form for ``config`` (in Jupyter) and return the panel.

    Train starts a run in a background thread (the live display appears under the form), Stop ends
    it after the current batch, leaving a resumable ``last.pt``; "resume" continues an interrupted
    run of the same name; Estimate time times a few real batches first.

    Args:
        config: the split's ``config.yaml`` (default: the working folder's), or an ImageFolder for classify.
        project: where runs go (default: the project's ``runs/<task>/``).
        **defaults: preset the form: ``epochs=10, imgsz=224, name="euro", task="detect",
            family="yolo11", size="s", batch=8, patience=5, device="cpu"``...

    Returns:
        The :class:`TrainingPanel`; after a run, ``panel.run`` is its :class:`~yolo_training.Run`.

    Examples:
        >>> panel = training_panel("config.yaml", epochs=30, imgsz=320, name="panel")  # doctest: +SKIP
    """
    panel = TrainingPanel(config, project=project, **defaults)
    panel.show()
    return panel
