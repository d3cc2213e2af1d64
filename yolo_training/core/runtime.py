"""Hosted notebooks (Google Colab, Kaggle): which runtime and GPU this is, and a project that survives a disconnect.

A hosted runtime lends a GPU for a few hours and wipes its disk when it disconnects (the browser
slept, the session timed out). :func:`hosted` recognises Colab and Kaggle by the signals
Ultralytics itself reads (``ultralytics.utils.is_colab`` and ``is_kaggle``: Colab's
``COLAB_RELEASE_TAG``/``COLAB_BACKEND_VERSION``, Kaggle's ``PWD`` and ``KAGGLE_URL_BASE``), says in
one line which runtime and GPU are there, and moves the project (its export, split, ``config.yaml``
and runs) to storage that outlives the runtime, by pointing ``YOLO_TRAINING_HOME`` at it:

* Colab: Google Drive, mounted on request (``hosted(drive=True)``; Colab asks for permission), one
  folder per course, ``MyDrive/yolo-training``. Without it the project stays on the runtime's
  disk and the line says how to keep it.
* Kaggle: ``/kaggle/working``, which Kaggle keeps with the notebook (its Persistence option,
  Files, keeps it between sessions).

A persistent folder that has no export yet gets the current project's (the bundled sample, or
the one a student made before asking for Drive). A training cut off by a disconnect is then on
the persistent copy: ``yt.resume("course")`` in the new runtime continues it from its ``last.pt``.
``start_chapter`` calls :func:`hosted` first thing, so the course's chapters need nothing more.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import env
from .errors import YoloTrainingError

#: Where Colab mounts Google Drive, and the folder of the student's files in it.
DRIVE_MOUNT = Path("/content/drive")
DRIVE_FILES = "MyDrive"
#: The course's folder on Google Drive (one folder per course).
COURSE_FOLDER = "yolo-training"
#: Kaggle's output folder, kept with the notebook.
KAGGLE_WORKING = Path("/kaggle/working")
#: The runtimes by their short name: the name shown, and the menu path to a GPU.
RUNTIMES = {
    "colab": ("Google Colab", "Runtime > Change runtime type > T4 GPU"),
    "kaggle": ("Kaggle", "Settings > Accelerator > GPU"),
}


@dataclass(frozen=True)
class HostedRuntime:
    """What :func:`hosted` found: the runtime, its GPUs, and where the project is kept.

    Attributes:
        runtime: ``"colab"``, ``"kaggle"``, or None (not a hosted runtime: a laptop, a lab machine).
        gpus: The CUDA GPUs, one ``"name (N GB)"`` each; empty on a CPU runtime.
        root: The project folder now (``YOLO_TRAINING_HOME``).
        persistent: Whether ``root`` outlives the runtime (always True off hosted runtimes).
        line: The one line :func:`hosted` printed.

    Examples:
        >>> info = yt.hosted()  # doctest: +SKIP
        Google Colab with a GPU: Tesla T4 (15 GB). Project on Google Drive, kept when the runtime disconnects: /content/drive/MyDrive/yolo-training.
        >>> info.persistent  # doctest: +SKIP
        True
    """

    runtime: str | None
    gpus: tuple[str, ...]
    root: Path
    persistent: bool
    line: str

    def __str__(self) -> str:
        return self.line


def hosted_runtime() -> str | None:
    """The hosted runtime this process runs in, recognised as Ultralytics recognises it.

    Returns:
        ``"colab"``, ``"kaggle"`` or None.

    Examples:
        >>> hosted_runtime() in ("colab", "kaggle", None)
        True
    """
    from ultralytics.utils import is_colab, is_kaggle  # functions: they read the environment when called

    if is_colab():
        return "colab"
    if is_kaggle():
        return "kaggle"
    return None


def gpu_names() -> tuple[str, ...]:
    """The CUDA GPUs of this machine, each as ``"name (N GB)"``; empty without one."""
    import torch

    if not torch.cuda.is_available():
        return ()
    names = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        names.append(f"{props.name} ({props.total_memory / 2**30:.0f} GB)")
    return tuple(names)


def _gpu_text(name: str, gpus: tuple[str, ...], runtime: str) -> str:
    if not gpus:
        return (f"{name} without a GPU: training on its {os.cpu_count() or 1} CPU cores is slow. For a GPU: "
                f"{RUNTIMES[runtime][1]}, then run the notebook again from the top")
    if len(set(gpus)) == 1 and len(gpus) > 1:
        return f"{name} with {len(gpus)} GPUs: {gpus[0]} each"
    return f"{name} with a GPU: {', '.join(gpus)}"


def _within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _mount_drive() -> None:
    try:
        from google.colab import drive
    except ImportError as err:
        raise YoloTrainingError(
            "hosted(drive=True): google.colab is not importable, so Google Drive cannot be mounted here. "
            "Run this in a Colab notebook, or call yt.hosted() without drive=True."
        ) from err
    drive.mount(str(DRIVE_MOUNT))


def _seed(old_root: Path, new_root: Path) -> str:
    """Copy the current project's export into a persistent project that has none; say what was done."""
    target = env.export_dir(new_root)
    source = env.export_dir(old_root)
    if target.exists() or old_root == new_root or not source.is_dir():
        return ""
    shutil.copytree(source, target)
    return f"; the export of {old_root} was copied there"


def _persistent_root(runtime: str, drive: bool, folder: str) -> tuple[Path | None, Path | None, str]:
    """The course's folder that outlives this runtime, the storage it is on (None: none yet), and how it is kept."""
    if runtime == "kaggle":
        return KAGGLE_WORKING, KAGGLE_WORKING, "kept with the notebook (its Persistence option, Files, keeps it between sessions)"
    files = DRIVE_MOUNT / DRIVE_FILES
    if drive and not files.is_dir():
        _mount_drive()
        if not files.is_dir():
            raise YoloTrainingError(
                f"Google Drive did not mount at {DRIVE_MOUNT} ({files} is missing). Run the cell again and allow access "
                "to Google Drive, or call yt.hosted() to keep the project on this runtime's disk (wiped when it disconnects)."
            )
    if files.is_dir():  # mounted now, or earlier in this runtime
        return files / folder, DRIVE_MOUNT, "on Google Drive, kept when the runtime disconnects"
    return None, None, ""


def hosted(drive: bool = False, folder: str = COURSE_FOLDER) -> HostedRuntime:
    """On Colab or Kaggle: say which runtime and GPU this is, and keep the project where a disconnect cannot wipe it.

    Off hosted runtimes it changes nothing and prints nothing. On Colab the project moves to
    Google Drive, ``MyDrive/<folder>``, when Drive is mounted (``drive=True`` mounts it; Colab asks
    for permission); without Drive it stays on the runtime's disk and the line says how to keep
    it. On Kaggle it moves to ``/kaggle/working``. A project already on that storage (set with
    ``YOLO_TRAINING_HOME``, or a clone there) stays where it is. The move sets
    ``YOLO_TRAINING_HOME``, so every path of the package follows; a persistent folder without an
    export gets the current project's. After a disconnect, run the same cells again: an interrupted
    training continues with ``yt.resume(name)``, from its ``last.pt`` on the persistent copy.

    Args:
        drive: On Colab, mount Google Drive (once per runtime) and keep the project there.
        folder: The course's folder in ``MyDrive`` (one per course).

    Returns:
        A :class:`HostedRuntime`: the runtime, its GPUs, the project folder and whether it persists.

    Raises:
        YoloTrainingError: ``drive=True`` on Colab and Google Drive did not mount.

    Examples:
        In a Colab notebook, before the chapter's first cell::

            yt.hosted(drive=True)
            # Google Colab with a GPU: Tesla T4 (15 GB). Project on Google Drive, kept when the runtime disconnects: /content/drive/MyDrive/yolo-training.

        >>> yt.hosted().runtime  # doctest: +SKIP
        'colab'
    """
    runtime = hosted_runtime()
    root = env.project_root()
    if runtime is None:
        return HostedRuntime(None, gpu_names(), root, True, f"Not a hosted runtime (Colab, Kaggle): the project stays in {root}.")
    name = RUNTIMES[runtime][0]
    gpus = gpu_names()
    target, storage, kept = _persistent_root(runtime, drive, folder)
    seeded = ""
    if target is not None and not _within(root, storage):
        old, root = root, env.set_project_root(target)
        seeded = _seed(old, root)
    if target is not None:
        where = f"Project {kept}: {root}{seeded}"
    else:
        where = (f"Project in {root}, which {name} wipes when the runtime disconnects: yt.hosted(drive=True) keeps it "
                 f"on Google Drive (then run the chapter's cells again)")
    line = f"{_gpu_text(name, gpus, runtime)}. {where}."
    print(line, flush=True)
    return HostedRuntime(runtime, gpus, root, target is not None, line)
