"""Step 0 of the course: an environment where Ultralytics works offline, on every core.

Everything that must happen *before* ``import ultralytics`` lives here, in one place:

* a config folder that belongs to the project (``.ultralytics/`` beside ``config.yaml``), so
  Ultralytics' settings, ``datasets_dir`` and ``runs_dir`` never depend on the folder Python was
  first started in;
* automatic ``pip install`` and settings sync switched off;
* a TrueType font installed under the names Ultralytics' plots look for (``Arial.ttf``,
  ``Arial.Unicode.ttf``), copied from the DejaVu Sans font that matplotlib ships, so no plot
  ever tries to download one;
* offline mode (``YOLO_OFFLINE=1``) when the machine cannot reach GitHub, where weights live.

``import yolo_training`` calls :func:`setup` first thing; nothing here imports Ultralytics.
The thread count is set after Ultralytics is imported (see :func:`yolo_training.core.devices.use_all_cores`).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

#: Folder and file names the project uses, relative to :func:`project_root`.
CONFIG_DIR_NAME = ".ultralytics"
WEIGHTS_DIR_NAME = "weights"
RUNS_DIR_NAME = "runs"
SPLIT_DIR_NAME = "annotations"  # the split's images/ and labels/, beside the export
EXPORT_DIR_NAME = "export"  # inside SPLIT_DIR_NAME
CONFIG_NAME = "config.yaml"
CACHE_DIR_NAME = ".cache"  # what the package can make again (the site's chapters, images derived from datasets)

#: The host pretrained weights are downloaded from; if its name does not resolve, we are offline.
WEIGHTS_HOST = "github.com"
#: Ultralytics' plots ask for these font files by name.
FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")

_state: dict = {}


def project_root() -> Path:
    """The folder that holds ``config.yaml``, ``weights/``, ``runs/`` and ``.ultralytics/``.

    Returns:
        ``YOLO_TRAINING_HOME`` when set; otherwise the source checkout this package was installed
        from (``pip install -e .``); otherwise (a hosted notebook with a pip-installed package)
        the current folder.

    Examples:
        >>> (project_root() / "config.yaml").name
        'config.yaml'
    """
    if home := os.environ.get("YOLO_TRAINING_HOME"):
        return Path(home).expanduser().resolve()
    checkout = Path(__file__).resolve().parents[2]  # yolo_training/core/env.py -> the checkout
    if (checkout / "pyproject.toml").is_file() and (checkout / "yolo_training").is_dir():
        return checkout
    return Path.cwd().resolve()


def config_dir() -> Path:
    """The folder given to Ultralytics as ``YOLO_CONFIG_DIR``."""
    return project_root() / CONFIG_DIR_NAME


def ultralytics_settings_dir() -> Path:
    """Where Ultralytics keeps ``settings.json`` and looks for fonts (``YOLO_CONFIG_DIR/Ultralytics``)."""
    return config_dir() / "Ultralytics"


def weights_dir() -> Path:
    """Where pretrained ``.pt`` files are cached for offline use."""
    return project_root() / WEIGHTS_DIR_NAME


def runs_dir(root: str | Path | None = None) -> Path:
    """Where training runs are written: ``runs/`` of the project.

    Args:
        root: the project folder (default: :func:`project_root`).

    Returns:
        The folder (it may not exist yet).

    Examples:
        >>> runs_dir().name
        'runs'
    """
    return _root(root) / RUNS_DIR_NAME


def run_dir(name: str, task: str = "detect", root: str | Path | None = None) -> Path:
    """The folder of one training run: ``runs/<task>/<name>`` of the project.

    Args:
        name: the run's name (``"course"``, ``"demo"``...).
        task: ``detect``, ``segment`` or ``classify``.
        root: the project folder (default: :func:`project_root`).

    Returns:
        The run's folder (it may not exist yet).

    Examples:
        >>> run_dir("course").relative_to(project_root()).as_posix()
        'runs/detect/course'
    """
    return runs_dir(root) / task / name


def split_dir(root: str | Path | None = None) -> Path:
    """Where the split writes ``images/<split>`` and ``labels/<split>``: ``annotations/``, beside the export.

    Args:
        root: the project folder (default: :func:`project_root`).

    Returns:
        The folder (it may not exist yet).

    Examples:
        >>> split_dir().relative_to(project_root()).as_posix()
        'annotations'
    """
    return _root(root) / SPLIT_DIR_NAME


def export_dir(root: str | Path | None = None) -> Path:
    """The project's annotated export (the bundled sample, or Label Studio's): ``annotations/export``.

    Args:
        root: the project folder (default: :func:`project_root`).

    Returns:
        The folder (it may not exist yet).

    Examples:
        >>> export_dir().relative_to(project_root()).as_posix()
        'annotations/export'
    """
    return split_dir(root) / EXPORT_DIR_NAME


def config_path(root: str | Path | None = None) -> Path:
    """The project's data config, ``config.yaml`` (written by the split, read by training).

    Args:
        root: the project folder (default: :func:`project_root`).

    Returns:
        The file's path (it may not exist yet).

    Examples:
        >>> config_path().name
        'config.yaml'
    """
    return _root(root) / CONFIG_NAME


def cache_dir(root: str | Path | None = None) -> Path:
    """Where the package keeps files it can always make again: ``.cache/`` of the project.

    The site's executed chapters are kept there, and the images a dataset holds only inside its
    annotation files or its video (labelme's embedded ``imageData``, the frames of a CVAT video
    task), so that nothing is ever written into the student's dataset folder.

    Args:
        root: the project folder (default: :func:`project_root`).

    Returns:
        The folder (it may not exist yet).

    Examples:
        >>> cache_dir().relative_to(project_root()).as_posix()
        '.cache'
    """
    return _root(root) / CACHE_DIR_NAME


def shown_path(path: str | Path, root: str | Path | None = None) -> str:
    """A path as the package shows it to a student: relative to the project folder.

    What the package prints names paths inside the project relative to it (``runs/detect/course``),
    so that a page executed on another machine (the course's website) does not show that
    machine's folders; the project folder itself is shown by its name. Paths outside the project
    are shown as they are, absolute.

    Args:
        path: the path to show.
        root: the project folder (default: :func:`project_root`).

    Returns:
        The text to print.

    Examples:
        >>> shown_path(project_root() / "runs" / "detect" / "course")
        'runs/detect/course'
    """
    root, path = _root(root).resolve(), Path(path).expanduser()
    full = path.resolve() if path.is_absolute() else (Path.cwd() / path).resolve()
    if full == root:
        return root.name
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        return str(full)


def _root(root: str | Path | None) -> Path:
    return Path(root) if root is not None else project_root()


def network_available() -> bool:
    """True when the name of the host that serves pretrained weights resolves.

    A name lookup fails at once on a machine without network, so this costs milliseconds;
    it is the same kind of check Ultralytics makes on import.
    """
    try:
        socket.getaddrinfo(WEIGHTS_HOST, 443, socket.AF_UNSPEC, socket.SOCK_STREAM)
        return True
    except OSError:
        return False


def _truthy(value: str | None) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on", "y", "t"}


def is_offline() -> bool:
    """Whether Ultralytics runs in offline mode (decided once, in :func:`setup`)."""
    return _truthy(os.environ.get("YOLO_OFFLINE"))


def install_font() -> list[Path]:
    """Copy matplotlib's DejaVu Sans to the file names Ultralytics' plotting asks for."""
    import matplotlib

    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    target_dir = ultralytics_settings_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    installed = []
    for name in FONT_NAMES:
        target = target_dir / name
        if not target.exists() or target.stat().st_size == 0:
            shutil.copyfile(source, target)
        installed.append(target)
    return installed


def font_installed() -> bool:
    """True when every font file Ultralytics looks for is in its config folder."""
    return all((ultralytics_settings_dir() / name).is_file() for name in FONT_NAMES)


def setup() -> dict:
    """Prepare the environment for Ultralytics. Safe to call many times; works once.

    Must run before the first ``import ultralytics`` (``import yolo_training`` does it). If
    Ultralytics was imported earlier, a warning says that its settings may not be the project's.
    """
    if _state:
        return _state
    if "ultralytics" in sys.modules:
        print(
            "yolo_training: ultralytics was imported before yolo_training, so its config folder "
            "may not be the project's. Put `import yolo_training` first (or restart the kernel).",
            file=sys.stderr,
        )
    os.environ.setdefault("YOLO_CONFIG_DIR", str(config_dir()))
    os.environ["YOLO_AUTOINSTALL"] = "False"
    if "YOLO_OFFLINE" not in os.environ and not network_available():
        os.environ["YOLO_OFFLINE"] = "1"
    try:
        install_font()
    except OSError as err:  # a read-only checkout: plots still work if the font exists elsewhere
        print(f"yolo_training: could not install the plot font ({err}).", file=sys.stderr)
    _state.update(
        config_dir=Path(os.environ["YOLO_CONFIG_DIR"]),
        offline=is_offline(),
        root=project_root(),
    )
    return _state


def configure_ultralytics() -> None:
    """Point Ultralytics' persistent settings at the project's folders and switch sync off.

    Called after Ultralytics is imported (its settings object exists only then).
    """
    if _state.get("configured"):
        return
    from ultralytics.utils import SETTINGS

    wanted = {
        "datasets_dir": str(project_root() / "datasets"),
        "weights_dir": str(weights_dir()),
        "runs_dir": str(runs_dir()),
        "sync": False,
    }
    if any(SETTINGS.get(k) != v for k, v in wanted.items()):
        SETTINGS.update(wanted)
    _state["configured"] = True


def set_project_root(folder: str | Path) -> Path:
    """Make ``folder`` the project for the rest of this process: ``YOLO_TRAINING_HOME``, and Ultralytics' settings.

    What a hosted runtime needs when the project moves to storage that outlives it (see
    :func:`yolo_training.core.runtime.hosted`): every path of the package follows
    :func:`project_root`, and Ultralytics' ``runs_dir``, ``weights_dir`` and ``datasets_dir`` are
    pointed there too. Its config folder (``YOLO_CONFIG_DIR``) stays where it was at import, as
    Ultralytics reads it only then; the plot font is installed in the new project as well.

    Args:
        folder: the new project folder (made when it does not exist).

    Returns:
        The folder, absolute.

    Examples:
        >>> set_project_root("/content/drive/MyDrive/yolo-training")  # doctest: +SKIP
        PosixPath('/content/drive/MyDrive/yolo-training')
    """
    root = Path(folder).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    os.environ["YOLO_TRAINING_HOME"] = str(root)
    if _state:
        _state["root"] = root
    try:
        install_font()
    except OSError as err:
        print(f"yolo_training: could not install the plot font in {root} ({err}).", file=sys.stderr)
    if _state.pop("configured", False):
        configure_ultralytics()
    return root
