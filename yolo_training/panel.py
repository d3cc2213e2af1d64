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

from ._common import in_notebook
from ._errors import YoloTrainingError

IMAGE_SIZES = list(range(32, 1280 + 1, 32))


class TrainingPanel:
    """The widgets and what the buttons do; ``panel.box`` is what is displayed.

    Headless use (tests, scripts): set ``panel.<widget>.value``, call ``panel.train_button.click()``,
    then ``panel.wait()``; ``panel.run`` is the finished :class:`~yolo_training.Run` and
    ``panel.error`` the message of a failed start.
    """

    def __init__(self, config: str | Path = "config.yaml", project: str | Path | None = None, **defaults):
        import ipywidgets as w

        from .progress import WidgetView
        from .train import CPU_DEFAULTS, FAMILIES, SIZES, TASKS, available_devices

        self.project = project
        style = {"description_width": "110px"}
        self.config = w.Text(value=str(config), description="data", style=style,
                             tooltip="config.yaml (detect, segment) or an image folder with train/ and val/ (classify)")
        self.task = w.Dropdown(options=list(TASKS), value=defaults.get("task", "detect"), description="task", style=style)
        self.family = w.Dropdown(options=list(FAMILIES), value=defaults.get("family", "yolov8"), description="model family", style=style)
        self.size = w.Dropdown(options=list(SIZES), value=defaults.get("size", "n"), description="model size", style=style)
        self.imgsz = w.Dropdown(options=IMAGE_SIZES, value=defaults.get("imgsz", CPU_DEFAULTS["imgsz"]), description="image size",
                                style=style)
        self.epochs = w.BoundedIntText(value=defaults.get("epochs", CPU_DEFAULTS["epochs"]), min=1, max=10000, description="epochs", style=style)
        self.batch = w.BoundedIntText(value=defaults.get("batch", CPU_DEFAULTS["batch"]), min=1, max=1024, description="batch", style=style)
        self.patience = w.BoundedIntText(value=defaults.get("patience", CPU_DEFAULTS["patience"]), min=0, max=10000,
                                         description="patience", style=style)
        self.save_period = w.BoundedIntText(value=defaults.get("save_period", -1), min=-1, max=10000,
                                            description="save period", style=style)
        devices = ["auto"] + available_devices()
        self.device = w.Dropdown(options=devices, value=defaults.get("device", "auto"), description="device", style=style)
        self.name = w.Text(value=defaults.get("name", "train"), description="run name", style=style)
        self.resume = w.Checkbox(value=False, description="resume the run of this name (interrupted runs only)", indent=False)
        self.overwrite = w.Checkbox(value=False, description="overwrite a run of this name", indent=False)
        self.tensorboard = w.Checkbox(value=False, description="TensorBoard", indent=False)
        self.train_button = w.Button(description="Train", button_style="success", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.estimate_button = w.Button(description="Estimate time", icon="clock-o",
                                        tooltip="time a few real batches and tell how long these settings will train")
        self.message = w.HTML()
        self.view = WidgetView("Training")
        self.view.box.layout.display = "none"
        self.train_button.on_click(self._on_train)
        self.stop_button.on_click(self._on_stop)
        self.estimate_button.on_click(self._on_estimate)
        self.box = w.VBox([
            self.config,
            w.HBox([w.VBox([self.task, self.family, self.size, self.imgsz, self.device]),
                    w.VBox([self.epochs, self.batch, self.patience, self.save_period, self.name])]),
            w.HBox([self.resume, self.overwrite, self.tensorboard]),
            w.HBox([self.train_button, self.stop_button, self.estimate_button]),
            self.message,
            self.view.box,
        ])
        self.thread: threading.Thread | None = None
        self.stop_event = threading.Event()
        self.run = None
        self.estimate: dict | None = None
        self.error: str | None = None

    def _ipython_display_(self):
        from IPython.display import display

        display(self.box)

    # -- what the form asks for

    def settings(self) -> dict:
        """The :func:`~yolo_training.train` arguments the form holds."""
        if self.imgsz.value % 32:
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

    def _work(self, settings: dict, resume: bool) -> None:
        from .train import resume as resume_run
        from .train import train

        try:
            if resume:
                self.run = resume_run(settings["name"], device=settings["device"], progress=self.view,
                                      stop=self.stop_event, project=self._lookup_project(settings))
            else:
                config = settings.pop("config")
                self.run = train(config, progress=self.view, stop=self.stop_event, project=self.project, **settings)
            from .runs import read_record

            status = read_record(self.run.dir).get("status")
            self.message.value = f"Run <b>{self.run.name}</b>: {status}. Folder: {self.run.dir}"
        except YoloTrainingError as err:
            self._fail(str(err))
        except Exception as err:  # noqa: BLE001 - show it in the panel rather than lose it in a thread
            self._fail(f"{type(err).__name__}: {err}")
        finally:
            self._set_running(False)

    def _lookup_project(self, settings: dict):
        if self.project is not None:
            return self.project
        from . import env

        return env.runs_dir()

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
        from .progress import fmt_seconds
        from .train import estimate_training_time

        try:
            for key in ("name", "overwrite", "tensorboard", "save_period"):
                settings.pop(key)
            self.estimate = estimate_training_time(settings.pop("config"), verbose=False, **settings)
            e = self.estimate
            self.message.value = (f"Estimated training time on this machine: about <b>{fmt_seconds(e['seconds'])}</b> "
                                  f"({fmt_seconds(e['per_epoch'])} per epoch of {e['batches_per_epoch']} batches).")
        except YoloTrainingError as err:
            self._fail(str(err))
        except Exception as err:  # noqa: BLE001
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

    ``defaults`` preset the form (``epochs=10, imgsz=224, name="euro"``...). Runs go to the
    project's ``runs/<task>/`` unless ``project`` says otherwise.
    """
    panel = TrainingPanel(config, project=project, **defaults)
    if in_notebook():
        from IPython.display import display

        display(panel.box)
    return panel
