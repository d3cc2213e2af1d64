"""Small helpers shared by several modules: one definition each, never copied.

What counts as an image or a video is Ultralytics' own list (``IMG_FORMATS``, ``VID_FORMATS``), so
a file that inspection accepts is one that training reads. The rest are the few things every
module needs: Jupyter detection, a process-alive check, a safe zip extractor, a camera opener,
hard links with a copy fallback, a progress bar, and database addresses (SQLAlchemy URLs).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from pathlib import Path

from ultralytics.data.utils import IMG_FORMATS, VID_FORMATS

from .errors import DatasetError

#: File endings Ultralytics reads as images (``.jpg``...), and as videos (``.mp4``...).
IMAGE_SUFFIXES: tuple[str, ...] = tuple(sorted(f".{s}" for s in IMG_FORMATS))
VIDEO_SUFFIXES: tuple[str, ...] = tuple(sorted(f".{s}" for s in VID_FORMATS))
#: A few endings to name in messages ("holds no images (.jpg, .png, ...)").
COMMON_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
COMMON_VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")

#: Limits of :func:`safe_extract`: what an annotation export plausibly is.
MAX_UNZIPPED_BYTES = 20 * 2**30
MAX_ZIP_ENTRIES = 2_000_000
MAX_RATIO = 200  # uncompressed / compressed size of one entry; photos compress little


def is_image(path: str | os.PathLike) -> bool:
    """True when the file name ends like an image Ultralytics reads (case-insensitive)."""
    return os.path.splitext(str(path))[1].lower() in IMAGE_SUFFIXES


def is_video(path: str | os.PathLike) -> bool:
    """True when the file name ends like a video Ultralytics reads (case-insensitive)."""
    return os.path.splitext(str(path))[1].lower() in VIDEO_SUFFIXES


def list_images(folder: str | Path, recursive: bool = False) -> list[Path]:
    """Image files in ``folder`` (directly, or below it with ``recursive``), sorted by path.

    Hidden files (``.DS_Store``, ``._photo.jpg`` from macOS) are left out.
    """
    folder = Path(folder)
    if recursive:
        found = (p for p in folder.rglob("*") if is_image(p) and not p.name.startswith(".") and p.is_file())
        return sorted(found, key=lambda p: p.as_posix())
    with os.scandir(folder) as entries:  # scandir: no extra stat per file; sort names, not Paths (slow)
        names = sorted(e.name for e in entries if is_image(e.name) and not e.name.startswith(".") and e.is_file())
    return [folder / n for n in names]


def in_notebook() -> bool:
    """True inside a Jupyter kernel, where widgets and inline images can be shown.

    Ultralytics' own ``is_jupyter()`` recognises only Colab and Kaggle (its docstring says
    JupyterLab is not reliably detectable), so the kernel's shell class is checked instead.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def display_in_notebook(obj) -> None:
    """Display ``obj`` under the cell in a notebook; nothing in a terminal (callers print paths there)."""
    if in_notebook():
        from IPython.display import display

        display(obj)


def show_widget(widget, static_html: str):
    """Display an ipywidget together with a static view of it; returns the display handle (None outside Jupyter).

    Jupyter shows the live widget; a page rendered without a widget manager (the course's website,
    nbconvert, GitHub) shows ``static_html`` instead of an empty box. :func:`update_widget` replaces
    the static view with the widget's last state when it is done.
    """
    if not in_notebook():
        return None
    from IPython.display import display

    return display(_widget_bundle(widget, static_html), raw=True, display_id=True)


def update_widget(handle, widget, static_html: str) -> None:
    """Keep the static view of a widget shown by :func:`show_widget` up to date."""
    if handle is not None:
        handle.update(_widget_bundle(widget, static_html), raw=True)


def _widget_bundle(widget, static_html: str) -> dict:
    bundle = dict(widget._repr_mimebundle_() or {})
    bundle["text/html"] = static_html
    return bundle


def class_colors(n: int) -> list:
    """``n`` distinct colours (matplotlib's tab10, repeated), one per class, the same in every plot."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(max(n, 1))]


def fmt_seconds(seconds: float | None) -> str:
    """``1:02:03`` or ``2:03``: a duration as a student reads it; ``?`` when unknown."""
    if seconds is None or seconds != seconds:
        return "?"
    seconds = int(round(max(0.0, seconds)))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def pid_alive(pid: int) -> bool:
    """True when a process with this id runs (a zombie counts as gone).

    psutil, not ``os.kill(pid, 0)``, which on Windows would send the process Ctrl-C.
    """
    import psutil  # an Ultralytics dependency

    if pid is None or int(pid) <= 0:
        return False
    if int(pid) == os.getpid():
        return True
    try:
        return psutil.pid_exists(int(pid)) and psutil.Process(int(pid)).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def link_or_copy(src: str | os.PathLike, dst: str | os.PathLike) -> bool:
    """Hard-link ``src`` to ``dst`` (no extra disk space), or copy it; True when it was linked.

    A link fails across drives and on some file systems (FAT, network shares): then a copy.
    """
    try:
        os.link(src, dst)
        return True
    except OSError:
        shutil.copy2(src, dst)
        return False


def database_url(storage: str | os.PathLike) -> str:
    """A SQLAlchemy URL for ``storage``: a URL as given, a plain path as a SQLite file (absolute).

    ``postgresql://`` gets the PostgreSQL driver that is installed (SQLAlchemy's default changed
    from psycopg2 in 2.0 to psycopg 3 in 2.1).
    """
    text = str(storage)
    scheme, sep, rest = text.partition("://")
    if scheme in ("postgresql", "postgres"):
        import importlib.util

        driver = "psycopg2" if importlib.util.find_spec("psycopg2") else "psycopg"
        return f"postgresql+{driver}://{rest}"
    if sep:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve().as_posix()}"


def hide_password(url: str) -> str:
    """``url`` with its password replaced by ``***``, to show in messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse (or no SQLAlchemy): show it as given
        return url


def progress_bar(iterable, total: int, desc: str, enabled: bool = True, unit: str = "img"):
    """A progress bar over ``iterable``: a widget in Jupyter, a text bar in a terminal.

    The bar is closed when the loop ends, however it ends; a loop that consumed every item
    shows ``total/total``. Consume it in a plain ``for`` loop: inside ``zip()`` the last item
    is never counted, and the bar would end short (red in Jupyter).
    """
    if not enabled:
        yield from iterable
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit=unit, leave=False) as bar:
        for item in iterable:
            yield item
            bar.update(1)


def safe_extract(
    archive: str | Path, dest: str | Path, max_bytes: int = MAX_UNZIPPED_BYTES, max_entries: int = MAX_ZIP_ENTRIES,
    overwrite: bool = True,
) -> Path:
    """Unpack a zip into ``dest`` safely and return ``dest``.

    Refused, before anything is written: entries that would land outside ``dest`` (``..``,
    absolute paths, drive letters), links and special files, more than ``max_entries`` entries,
    and an entry with an implausible compression ratio. Sizes are counted while writing, not
    trusted from the zip's header, so a zip bomb stops at ``max_bytes``.

    Args:
        archive: the ``.zip`` file.
        dest: the folder to unpack into (made if missing).
        max_bytes: the most the archive may unpack to.
        max_entries: the most files and folders it may hold.
        overwrite: False: refuse, before anything is written, when a file of the zip already exists
            in ``dest`` (unpacking beside the student's own files never replaces one).

    Returns:
        ``dest``, as a :class:`~pathlib.Path`.

    Raises:
        DatasetError: the file is not a zip, it breaks one of the rules above, or (``overwrite=False``)
            it would replace a file.

    Examples:
        >>> folder = safe_extract("export.zip", "unpacked")  # doctest: +SKIP
        >>> safe_extract("cars/images.zip", "cars", overwrite=False)  # beside the annotations  # doctest: +SKIP
        PosixPath('cars')
    """
    archive, dest = Path(archive), Path(dest)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as err:
        raise DatasetError(f"{archive} is not a readable zip file ({err}). Download it again.") from err
    too_big = f"{archive} unpacks to more than {max_bytes / 2**30:.3g} GiB; refusing what looks like a zip bomb."
    with zf:
        plan = _extraction_plan(zf, archive, dest, max_entries)
        existing = [target for info, target in plan if not info.is_dir() and target.exists()]
        if existing and not overwrite:
            raise DatasetError(
                f"{archive} holds {len(existing)} file(s) that already exist in {dest} (e.g. {existing[0].relative_to(dest.resolve())}); "
                "nothing was unpacked, so nothing was replaced. Unpack it into an empty folder instead."
            )
        if sum(info.file_size for info, _ in plan) > max_bytes:
            raise DatasetError(too_big)
        dest.mkdir(parents=True, exist_ok=True)
        written = 0
        for info, target in plan:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    size += len(chunk)
                    written += len(chunk)
                    if written > max_bytes or size > info.file_size:  # the header lied about the size
                        raise DatasetError(too_big)
                    out.write(chunk)
    return dest


def _extraction_plan(zf: zipfile.ZipFile, archive: Path, dest: Path, max_entries: int) -> list[tuple[zipfile.ZipInfo, Path]]:
    """Each entry of the zip with the path it is written to; raises on the first unsafe entry."""
    infos = zf.infolist()
    if len(infos) > max_entries:
        raise DatasetError(f"{archive} holds {len(infos)} entries, more than the {max_entries} allowed; it is not an annotation export.")
    root = dest.resolve()
    plan = []
    for info in infos:
        name = info.filename.replace("\\", "/")
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise DatasetError(f"{archive}: entry {info.filename!r} is a symbolic link or special file; refusing to unpack it (it could point anywhere).")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in name.split("/"):
            raise DatasetError(f"{archive}: entry {info.filename!r} would be written outside {dest}; refusing to unpack this zip.")
        target = (root / name).resolve()
        if target != root and root not in target.parents:
            raise DatasetError(f"{archive}: entry {info.filename!r} would be written outside {dest}; refusing to unpack this zip.")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 2**20:
            raise DatasetError(f"{archive}: entry {info.filename!r} expands {info.file_size // info.compress_size}x; refusing what looks like a zip bomb.")
        plan.append((info, target))
    return plan


def open_camera(camera: int | str = 0):
    """An opened ``cv2.VideoCapture`` that delivers frames, or ``None`` when there is no such camera.

    ``camera`` is a device index (0 is the built-in webcam) or a stream URL. OpenCV prints its own
    warnings when a camera is missing; they are silenced while probing.
    """
    import cv2

    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    level = logging.getLogLevel() if logging else None
    if logging:  # OpenCV prints several lines of C++ warnings for a missing camera: callers say it in one
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        cap = cv2.VideoCapture(camera)
    finally:
        if logging:
            logging.setLogLevel(level)
    if cap.isOpened():
        ok, _ = cap.read()
        if ok:
            return cap
    cap.release()
    return None


def existing_ancestor(path: Path) -> Path:
    """``path`` itself when it exists, else its nearest parent that does (where a folder would be made)."""
    while not path.exists():
        path = path.parent
    return path
