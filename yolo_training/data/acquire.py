"""Step 1 of the course: getting photos: a webcam, a video, a folder of photos, then cleaning them.

Every function writes into an output folder of its own (``data/raw/webcam``, ``data/raw/video``...)
that carries a marker file; a folder without the marker is never written into, one with it is
replaced only with ``overwrite=True``. Cleaning never deletes: unreadable files and exact
duplicates are *moved aside* into a ``_set_aside/`` subfolder (listed in its ``report.csv``),
where the next steps do not look, and from where a student can move them back.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..core.errors import ArgumentError, DatasetError, DeviceError, WriteError
from ..core.folders import replace_output
from ..core.common import COMMON_IMAGE_SUFFIXES, is_image, open_camera

#: Marks folders written by this module; only those are ever replaced.
ACQUIRE_MARKER = ".yolo-training-acquire"
#: The subfolder :func:`clean_images` moves files into, and the list it keeps there.
SET_ASIDE = "_set_aside"
SET_ASIDE_REPORT = "report.csv"


@dataclass
class Acquired:
    """What an acquisition step wrote: the folder, the files, and where they came from.

    Examples:
        >>> got = extract_frames("desk.mp4", "data/raw/desk", every_seconds=0.5)  # doctest: +SKIP
        >>> len(got), got.out  # doctest: +SKIP
    """

    out: Path
    files: list[Path]
    source: str
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.files)

    def __str__(self) -> str:
        text = f"{len(self.files)} image(s) from {self.source} in {self.out}"
        return "\n".join([text, *self.notes])


def _prepare_out(out: str | Path, overwrite: bool, what: str) -> Path:
    return replace_output(
        Path(out).expanduser().resolve(), ACQUIRE_MARKER, overwrite, "images from an earlier run",
        f"Written by yolo-training ({what}). Replaced when the step runs again with overwrite=True; "
        "delete this file to protect the folder.",
    )


def _write(path: Path, frame: np.ndarray, quality: int = 95) -> None:
    if not cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise WriteError(f"Could not write {path}; is the disk full or the folder read-only?")


# ---------------------------------------------------------------------------------------------
# Video files


def open_video(video: str | Path) -> cv2.VideoCapture:
    """Open a video file with OpenCV, or say clearly why it cannot be read.

    Args:
        video: the video file.

    Returns:
        An opened ``cv2.VideoCapture`` (release it when done).

    Raises:
        DatasetError: the file is missing or OpenCV cannot decode it.

    Examples:
        >>> cap = open_video("data/demo_video.mp4")  # doctest: +SKIP
        >>> ok, frame = cap.read(); cap.release()  # doctest: +SKIP
    """
    video = Path(video).expanduser()
    if not video.is_file():
        raise DatasetError(f"There is no video file {video.resolve()}. Check the path (and the file ending).")
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        cap.release()
        raise DatasetError(
            f"OpenCV cannot read the video {video.resolve()}. Convert it to .mp4 (H.264) or .avi, "
            "for example with VLC or ffmpeg, and try again."
        )
    return cap


def video_info(video: str | Path) -> dict:
    """Frames, frames per second, duration and size of a video file.

    Args:
        video: the video file.

    Returns:
        ``{"frames", "fps", "seconds", "width", "height"}`` (``seconds`` is None without a frame rate).

    Examples:
        >>> video_info("data/demo_video.mp4")  # doctest: +SKIP
        {'frames': 20, 'fps': 10.0, 'seconds': 2.0, 'width': 320, 'height': 240}
    """
    cap = open_video(video)
    try:
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or 0.0
        width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        cap.release()
    return dict(frames=frames, fps=fps, seconds=frames / fps if fps else None, width=width, height=height)


def _frame_step(fps: float, every_n_frames: int | None, every_seconds: float | None) -> int:
    if (every_n_frames is None) == (every_seconds is None):
        raise ArgumentError("Give exactly one of every_n_frames=... or every_seconds=...")
    if every_n_frames is not None:
        if int(every_n_frames) < 1:
            raise ArgumentError(f"every_n_frames={every_n_frames} must be at least 1.")
        return int(every_n_frames)
    if every_seconds <= 0:
        raise ArgumentError(f"every_seconds={every_seconds} must be positive.")
    if fps <= 0:
        raise DatasetError("The video does not say its frame rate, so every_seconds cannot be used; use every_n_frames.")
    return max(1, round(fps * every_seconds))


def extract_frames(
    video: str | Path,
    out: str | Path,
    every_n_frames: int | None = None,
    every_seconds: float | None = None,
    max_frames: int | None = None,
    prefix: str | None = None,
    overwrite: bool = False,
) -> Acquired:
    """Save every Nth frame (or one frame every N seconds) of a video file as JPEG photos.

    Neighbouring frames of a video are nearly the same photo; keeping one every second or so
    gives variety without near-duplicates. Files are named ``<prefix>_<frame number>.jpg``
    (prefix: the video's name).

    Args:
        video: the video file.
        out: the folder for the photos (made; one written earlier is replaced only with ``overwrite``).
        every_n_frames: keep one frame in this many (give this or ``every_seconds``).
        every_seconds: keep one frame every this many seconds.
        max_frames: stop after this many saved photos.
        prefix: the start of the file names (default: the video's name).
        overwrite: replace photos this function wrote into ``out`` earlier.

    Returns:
        An :class:`Acquired`: the folder, the photos, and notes on what was read.

    Raises:
        ArgumentError: not exactly one of ``every_n_frames`` and ``every_seconds``, or a step that is not positive.
        WriteError: a frame could not be written.

    Examples:
        >>> frames = extract_frames("data/demo_video.mp4", "data/raw/video", every_seconds=0.5)  # doctest: +SKIP
        >>> print(frames)  # doctest: +SKIP
    """
    cap = open_video(video)
    video = Path(video)
    prefix = prefix or video.stem
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or 0.0
        step = _frame_step(fps, every_n_frames, every_seconds)
        out = _prepare_out(out, overwrite, f"extract_frames from {video.name}")
        files: list[Path] = []
        index = 0
        while max_frames is None or len(files) < max_frames:
            if not cap.grab():  # grab without decoding: skipped frames cost little
                break
            if index % step == 0:
                ok, frame = cap.retrieve()
                if ok and frame is not None:
                    path = out / f"{prefix}_{index:06d}.jpg"
                    _write(path, frame)
                    files.append(path)
            index += 1
    finally:
        cap.release()
    every = f"every {step} frame(s)" + (f" ({step / fps:.2f} s at {fps:g} fps)" if fps else "")
    notes = [f"Read {index} frame(s), kept {every}."]
    if not files:
        notes.append("No frame could be decoded: the video may be empty or use a codec OpenCV lacks.")
    return Acquired(out=out, files=files, source=f"video {video.resolve()}", notes=notes)


def make_demo_video(
    path: str | Path, seconds: float = 4.0, fps: int = 10, size: tuple[int, int] = (320, 240), seed: int = 0
) -> Path:
    """Write a short video of the sample's banknotes, a camera panning over a table.

    For trying :func:`extract_frames` and the webcam fallback without a camera or a video of
    your own. The file is ``.mp4`` (MPEG-4); where OpenCV cannot encode that, ``.avi`` (MJPG).

    Args:
        path: the video to write (its ending may change to ``.avi``).
        seconds: its length.
        fps: frames per second.
        size: width and height of a frame in pixels.
        seed: the scene drawn (the same seed, the same video).

    Returns:
        The path of the video written.

    Raises:
        WriteError: this OpenCV can encode neither MPEG-4 nor MJPG.

    Examples:
        >>> video = make_demo_video("data/demo_video.mp4", seconds=2, fps=10)  # doctest: +SKIP
    """
    from .sample import draw_sample_image

    w, h = size
    rng = np.random.default_rng(seed)
    scene, _ = draw_sample_image(rng, (w * 2, h))  # twice as wide as the frame: the camera pans across it
    n = max(1, int(round(seconds * fps)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix, codec in ((".mp4", "mp4v"), (".avi", "MJPG")):
        target = path.with_suffix(suffix)
        writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*codec), fps, (w, h))
        if writer.isOpened():
            break
        writer.release()
    else:
        raise WriteError("OpenCV cannot write video files here (no MPEG-4 or MJPG encoder in this OpenCV build); the opencv-python wheel from PyPI has both.")
    try:
        for i in range(n):
            x = int(round(i * w / max(1, n - 1)))
            writer.write(np.ascontiguousarray(scene[:, x : x + w]))
    finally:
        writer.release()
    return target


# ---------------------------------------------------------------------------------------------
# Webcam


def capture_webcam(
    out: str | Path,
    every: int = 10,
    max_images: int = 20,
    camera: int | str = 0,
    fallback_video: str | Path | None = None,
    max_seconds: float = 60.0,
    overwrite: bool = False,
) -> Acquired:
    """Save every ``every``-th webcam frame until ``max_images`` photos (or ``max_seconds``).

    Move the object, turn it, change the light while it runs: that is the variety a model needs.
    When no camera can be opened (a server, a hosted notebook, a laptop whose camera is busy or
    not allowed), frames come from ``fallback_video`` instead, with a message that says so; with
    no fallback either, a :class:`DeviceError` says what to do.

    Args:
        out: the folder for the photos.
        every: keep one frame in this many.
        max_images: stop after this many photos.
        camera: a camera number (0 is the built-in one) or a stream URL.
        fallback_video: a video to take frames from when no camera can be opened.
        max_seconds: stop after this long, however many photos there are.
        overwrite: replace photos this function wrote into ``out`` earlier.

    Returns:
        An :class:`Acquired`: the folder, the photos, and where they came from.

    Raises:
        ArgumentError: ``every`` or ``max_images`` below 1.

    Examples:
        >>> shots = capture_webcam("data/raw/webcam", every=10, max_images=20, fallback_video=video)  # doctest: +SKIP
    """
    if every < 1 or max_images < 1:
        raise ArgumentError(f"every={every} and max_images={max_images} must both be at least 1.")
    cap = open_camera(camera)
    if cap is None:
        message = (
            f"No camera {camera!r} could be opened (none on this machine, or it is used by another program, "
            "or this program may not use it: on macOS allow the terminal/Jupyter under Privacy > Camera)."
        )
        if fallback_video is None:
            raise DeviceError(message + " Pass fallback_video= a video file to take frames from, or use extract_frames().")
        print(message + f" Taking every {every}th frame of {fallback_video} instead.")
        result = extract_frames(fallback_video, out, every_n_frames=every, max_frames=max_images, prefix="webcam", overwrite=overwrite)
        result.notes.insert(0, f"No camera: frames taken from the fallback video {fallback_video}.")
        return result
    files: list[Path] = []
    index = 0
    start = time.monotonic()
    try:
        out = _prepare_out(out, overwrite, f"capture_webcam from camera {camera!r}")
        while len(files) < max_images and time.monotonic() - start < max_seconds:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            if index % every == 0:
                path = out / f"webcam_{index:06d}.jpg"
                _write(path, frame)
                files.append(path)
            index += 1
    finally:
        cap.release()
    return Acquired(out=out, files=files, source=f"camera {camera!r}", notes=[f"Read {index} frame(s), kept every {every}th."])


# ---------------------------------------------------------------------------------------------
# A folder of photos


def import_photos(source: str | Path, out: str | Path, recursive: bool = True, overwrite: bool = False) -> Acquired:
    """Copy the photos of a folder (and its subfolders) into ``out``; the source is not changed.

    Photos from a phone or several people end up in one flat folder. Names from subfolders get
    the subfolder as a prefix (``holiday_IMG_0001.jpg``), so equal names never overwrite each
    other. Files that are not images are listed in the notes and left alone.

    Args:
        source: the folder of photos.
        out: the folder to copy them into.
        recursive: take the photos of subfolders too.
        overwrite: replace photos this function wrote into ``out`` earlier.

    Returns:
        An :class:`Acquired`: the folder, the copies, and notes on what was left out.

    Examples:
        >>> photos = import_photos("~/Pictures/euros", "data/raw/photos")  # doctest: +SKIP
    """
    source = Path(source).expanduser().resolve()
    if not source.is_dir():
        raise DatasetError(f"There is no folder {source}. Point import_photos() at the folder that holds your photos.")
    pattern = "**/*" if recursive else "*"
    out_resolved = Path(out).expanduser().resolve()
    candidates = sorted(
        p for p in source.glob(pattern)
        if p.is_file() and out_resolved not in p.parents and SET_ASIDE not in p.relative_to(source).parts
    )
    images = [p for p in candidates if is_image(p)]
    skipped = [p for p in candidates if not is_image(p) and not p.name.startswith(".")]
    if not images:
        raise DatasetError(f"{source} holds no photos ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...).")
    out = _prepare_out(out, overwrite, f"import_photos from {source}")
    files: list[Path] = []
    for image in images:
        rel = image.relative_to(source)
        name = "_".join(rel.parts)
        target = out / name
        n = 1
        while target.exists():  # e.g. a.jpg and a.JPG on a case-insensitive disk
            target = out / f"{Path(name).stem}_{n}{Path(name).suffix}"
            n += 1
        shutil.copy2(image, target)
        files.append(target)
    notes = []
    if skipped:
        shown = ", ".join(str(p.relative_to(source)) for p in skipped[:5])
        notes.append(f"{len(skipped)} file(s) that are not images were left out: {shown}{' ...' if len(skipped) > 5 else ''}")
    return Acquired(out=out, files=files, source=f"folder {source}", notes=notes)


# ---------------------------------------------------------------------------------------------
# Cleaning


@dataclass
class SetAside:
    """One file moved aside by :func:`clean_images`, and why."""

    file: str  # its name in the cleaned folder
    moved_to: Path
    reason: str  # "unreadable" or "duplicate"
    detail: str  # what was wrong, or the file it duplicates


@dataclass
class CleaningReport:
    """What :func:`clean_images` found: the images kept and the files moved aside.

    Examples:
        >>> print(clean_images("data/raw/desk").summary())  # doctest: +SKIP
    """

    folder: Path
    kept: list[Path]
    set_aside: list[SetAside]

    @property
    def unreadable(self) -> list[SetAside]:
        return [s for s in self.set_aside if s.reason == "unreadable"]

    @property
    def duplicates(self) -> list[SetAside]:
        return [s for s in self.set_aside if s.reason == "duplicate"]

    def summary(self) -> str:
        lines = [
            f"Cleaned {self.folder}: {len(self.kept)} image(s) kept, {len(self.unreadable)} unreadable and "
            f"{len(self.duplicates)} exact duplicate(s) moved aside"
        ]
        for s in self.set_aside:
            lines.append(f"  - {s.file}: {s.reason}, {s.detail}")
        if self.set_aside:
            lines.append(f"They are in {self.folder / SET_ASIDE} (listed in {SET_ASIDE_REPORT}); nothing was deleted.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def check_image(path: str | Path) -> str | None:
    """Whether an image file decodes completely (OpenCV and Pillow, every pixel).

    Args:
        path: the image file.

    Returns:
        None when it is sound; otherwise what is wrong with it, in words.

    Examples:
        >>> check_image("data/raw/photos/IMG_0001.jpg") is None  # doctest: +SKIP
        True
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if path.stat().st_size == 0:
        return "empty file (0 bytes)"
    # np.fromfile + imdecode, unlike imread, also reads non-ASCII paths on Windows
    if cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_UNCHANGED) is None:
        return "OpenCV cannot decode it (cut short while copying, or not really an image despite its ending)"
    try:
        with Image.open(path) as img:
            img.verify()  # structure and checksums
        with Image.open(path) as img:
            img.load()  # decodes every pixel: a truncated file fails here
            if img.width < 1 or img.height < 1:
                return "no pixels"
    except UnidentifiedImageError:
        return "not an image (its content is not a format Pillow reads)"
    except (OSError, SyntaxError, ValueError) as err:
        return f"cannot be decoded ({err})"
    return None


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _move_aside(path: Path, aside: Path) -> Path:
    aside.mkdir(exist_ok=True)
    target = aside / path.name
    n = 1
    while target.exists():
        target = aside / f"{path.stem}_{n}{path.suffix}"
        n += 1
    shutil.move(str(path), str(target))
    return target


def clean_images(folder: str | Path) -> CleaningReport:
    """Find unreadable images and exact duplicates in ``folder`` and move them into ``_set_aside/``.

    Nothing is deleted. Of a group of identical files (same bytes), the one with the shortest name
    stays (copies get longer names).
    Each file moved is listed in ``_set_aside/report.csv`` with the reason, so it can be
    checked and moved back. Near-duplicates (the same scene a frame apart) are not exact
    duplicates; extract frames further apart to avoid them.

    Args:
        folder: the folder of photos (not searched below).

    Returns:
        A :class:`CleaningReport`: the images kept and the files moved aside, with the reasons.

    Examples:
        >>> print(clean_images("data/raw/photos"))  # doctest: +SKIP
    """
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise DatasetError(f"There is no folder {folder} to clean.")
    aside = folder / SET_ASIDE
    images = sorted(
        (p for p in folder.iterdir() if p.is_file() and is_image(p)), key=lambda p: (len(p.name), p.name.lower())
    )  # shortest name first: of "IMG_1.jpg" and "IMG_1 (copy).jpg" the original stays
    kept: list[Path] = []
    moved: list[SetAside] = []
    seen: dict[str, Path] = {}
    for image in images:
        problem = check_image(image)
        if problem is not None:
            moved.append(SetAside(image.name, _move_aside(image, aside), "unreadable", problem))
            continue
        digest = _file_hash(image)
        if digest in seen:
            moved.append(SetAside(image.name, _move_aside(image, aside), "duplicate", f"same bytes as {seen[digest].name}"))
            continue
        seen[digest] = image
        kept.append(image)
    if moved:
        report = aside / SET_ASIDE_REPORT
        new = not report.exists()
        with report.open("a", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(["file", "moved_to", "reason", "detail"])
            for s in moved:
                writer.writerow([s.file, s.moved_to.name, s.reason, s.detail])
    return CleaningReport(folder=folder, kept=kept, set_aside=moved)


def show_images(images, columns: int = 4, width: float = 3.0, titles: list[str] | None = None):
    """Show images (paths or BGR arrays, as OpenCV reads them) in a grid; returns the figure.

    In Jupyter the figure appears under the cell; in a script, ``fig.savefig(...)`` it.

    Args:
        images: image paths or arrays.
        columns: images per row.
        width: the width of one image in inches.
        titles: a title per image (default: the file names).

    Returns:
        The matplotlib figure.

    Raises:
        ArgumentError: no images given.

    Examples:
        >>> show_images(sorted(Path("data/raw/photos").glob("*.jpg"))[:8], columns=4);  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    images = list(images)
    if not images:
        raise ArgumentError("No images to show: the list is empty (is the folder or glob pattern right?).")
    rows = (len(images) + columns - 1) // columns
    cols = min(columns, len(images))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, width * 0.75 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, (ax, image) in enumerate(zip(axes.ravel(), images)):
        name = None
        if isinstance(image, (str, Path)):
            name = Path(image).name
            image = cv2.imdecode(np.fromfile(str(image), dtype=np.uint8), cv2.IMREAD_COLOR)
            if image is None:
                ax.set_title(f"{name}: unreadable", fontsize=8)
                continue
        ax.imshow(cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image, cmap=None if image.ndim == 3 else "gray")
        title = titles[i] if titles and i < len(titles) else name
        if title:
            ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig
