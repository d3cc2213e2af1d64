"""Getting the annotations out of Label Studio: its export, swapped safely into ``annotations/export``.

:func:`pull_export` downloads a project's "YOLO with images" export (a classification project:
one folder per class), unpacks it safely beside the destination and swaps it in only when it is
complete. The export's ``notes.json`` / ``classes.txt`` decide the class ids, never the labelling
configuration: Label Studio 1.23 sorts the names. An export that is not exactly an earlier pull is
kept as a backup, never deleted.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..core.common import is_image, list_images, safe_extract
from ..core.errors import DatasetError, LabelStudioError
from ..data.labels import read_class_names
from .client import LabelingProject

#: Marks an export folder written by :func:`pull_export`, with a fingerprint of what it wrote.
PULL_MARKER = ".yolo-training-pull.json"
#: A pulled zip larger than this is refused (a zip bomb or the wrong project).
MAX_EXPORT_BYTES = 20 * 2**30


@dataclass
class PullResult:
    """What :func:`pull_export` did: the export folder, its classes, counts, and the backup of the old one.

    Examples:
        >>> print(PullResult(Path("annotations/export"), ["5 euro", "10 euro"], 60, 60))
        Pulled 60 images (60 label files), classes ['5 euro', '10 euro'], into annotations/export
    """

    export: Path
    names: list[str]
    images: int
    labels: int
    backup: Path | None = None

    def __str__(self) -> str:
        text = f"Pulled {self.images} images ({self.labels} label files), classes {self.names}, into {self.export}"
        return text + (f"\nThe previous export was kept in {self.backup}" if self.backup else "")


def pull_export(
    project: LabelingProject,
    dest: str | Path = "annotations/export",
    replace_classes: bool = False,
    max_bytes: int = MAX_EXPORT_BYTES,
) -> PullResult:
    """Fetch the project's "YOLO with images" export and put it in ``dest``, safely.

    The zip is downloaded and unpacked beside ``dest`` first and swapped in only when complete,
    so a failed pull leaves the export there as it was. An existing export that is exactly an
    earlier pull is replaced; any other (edited by hand, the sample, another source) is moved to
    ``<dest>.backup-<time>``. A classification project is pulled as one folder per class name
    (and ``classes.txt``).

    Args:
        project: the Label Studio project.
        dest: the export folder (a relative path is relative to the working folder; a notebook passes ``ch.export``).
        replace_classes: replace an export whose class names differ from the project's; without
            it the pull stops, since the same id would mean another class.
        max_bytes: the largest export accepted.

    Returns:
        A :class:`PullResult`: folder, class names, counts and the backup made, if any.

    Raises:
        LabelStudioError: nothing is annotated yet, or the server sent no zip.
        DatasetError: the class names differ, or the export is too large or unsafe.

    Examples:
        >>> print(pull_export(project))  # doctest: +SKIP
        Pulled 6 images (6 label files), classes ['10 euro', '5 euro'], into .../annotations/export
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.pulling-", dir=dest.parent))
    try:
        unpacked = work / dest.name
        images = _download(project, work, unpacked, max_bytes)
        if not images:
            raise LabelStudioError(
                f"The export of project {project.title!r} holds no annotated image: nothing was pulled and "
                f"{dest} is unchanged. Annotate (and submit) some tasks in {project.url} first."
            )
        names = read_class_names(unpacked)
        if not replace_classes:
            _check_same_classes(project, dest, names)
        _mark_pull(project, unpacked)
        backup = _swap_in(unpacked, dest, work)
        n_labels = len(list((dest / "labels").glob("*.txt"))) if (dest / "labels").is_dir() else 0
        return PullResult(export=dest, names=names, images=len(images), labels=n_labels, backup=backup)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _download(project: LabelingProject, work: Path, unpacked: Path, max_bytes: int) -> list[Path]:
    if project.task == "classify":
        return _download_classes(project, unpacked, max_bytes)
    return _download_yolo(project, work, unpacked, max_bytes)


def _download_yolo(project: LabelingProject, work: Path, unpacked: Path, max_bytes: int) -> list[Path]:
    """Label Studio's "YOLO with images" export of the project, unpacked safely into ``unpacked``."""
    archive = work / "export.zip"
    response = project.client.get(
        f"/api/projects/{project.id}/export", params={"exportType": "YOLO_WITH_IMAGES"}, stream=True, timeout=600
    )
    size = 0
    with open(archive, "wb") as f:
        for chunk in response.iter_content(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise DatasetError(f"The export of {project.title!r} is larger than {max_bytes / 2**30:.1f} GiB; refused.")
            f.write(chunk)
    if not zipfile.is_zipfile(archive):
        raise LabelStudioError(
            f"Label Studio sent no zip for project {project.title!r} (it said: {archive.read_bytes()[:300]!r}). "
            "Is anything annotated yet? Submit at least one task, then pull again."
        )
    safe_extract(archive, unpacked, max_bytes=max_bytes)
    archive.unlink()
    return list_images(unpacked / "images") if (unpacked / "images").is_dir() else []


def _download_classes(project: LabelingProject, unpacked: Path, max_bytes: int) -> list[Path]:
    """A classification project as one folder per class (Label Studio's YOLO export has no classes).

    Each annotated task's image goes to ``<class name>/``; ``classes.txt`` lists the names sorted,
    the order Ultralytics gives ImageFolder classes. Tasks whose annotation chose nothing are left out.
    """
    client = project.client
    tasks = client.get(f"/api/projects/{project.id}/export", params={"exportType": "JSON"}, timeout=600).json()
    unpacked.mkdir(parents=True)
    images, total = [], 0
    for task in tasks:
        name = _chosen_class(task)
        if name is None:
            continue
        src = str(task["data"]["image"])
        content = client.download(src)
        total += len(content)
        if total > max_bytes:
            raise DatasetError(f"The images of {project.title!r} are larger than {max_bytes / 2**30:.1f} GiB together; refused.")
        target = unpacked / name / src.rsplit("/", 1)[-1]
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(content)
        images.append(target)
    if images:
        names = sorted(p.name for p in unpacked.iterdir() if p.is_dir())
        (unpacked / "classes.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    return images


def _chosen_class(task: dict) -> str | None:
    """The class the latest submitted annotation of a classification task chose, or None."""
    done = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
    if not done:
        return None
    latest = max(done, key=lambda a: (a.get("updated_at") or "", a.get("id", 0)))
    chosen = [r["value"]["choices"][0] for r in latest.get("result", []) if r.get("type") == "choices" and r["value"].get("choices")]
    if not chosen:
        return None
    name = str(chosen[0])
    if name in ("", ".", "..") or "/" in name or "\\" in name:
        raise DatasetError(f"Class name {name!r} cannot be a folder name; rename the class in the project's labelling setup.")
    return name


def _check_same_classes(project: LabelingProject, dest: Path, names: list[str]) -> None:
    """Refuse to replace an export whose class names differ (the same id would mean another class)."""
    if not dest.exists():
        return
    try:
        old_names = read_class_names(dest)
    except DatasetError:
        return
    if old_names != names:
        raise DatasetError(
            f"The classes of project {project.title!r} ({names}) differ from those of {dest} ({old_names}): "
            "the same id would mean another class. Nothing was changed. Pull into another folder, "
            "or pass replace_classes=True to replace it (the old export is kept as a backup)."
        )


# --------------------------------------------------------------------------- the pull's marker


def _fingerprint(export: Path) -> dict[str, str]:
    """What a pull wrote: label and class files by content hash, images by size."""
    prints = {}
    for p in sorted(export.rglob("*")):
        if not p.is_file() or p.name == PULL_MARKER:
            continue
        rel = p.relative_to(export).as_posix()
        prints[rel] = f"size:{p.stat().st_size}" if is_image(p) else hashlib.sha256(p.read_bytes()).hexdigest()
    return prints


def _mark_pull(project: LabelingProject, unpacked: Path) -> None:
    marker = {"project": project.id, "url": project.client.url, "title": project.title, "pulled": time.strftime("%Y-%m-%d %H:%M:%S")}
    marker["files"] = _fingerprint(unpacked)
    (unpacked / PULL_MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")


def _unchanged_pull(export: Path) -> bool:
    """True when ``export`` is exactly what an earlier pull wrote (so Label Studio holds all of it)."""
    try:
        marker = json.loads((export / PULL_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and bool(marker.get("files")) and marker["files"] == _fingerprint(export)


# --------------------------------------------------------------------------- swapping the new export in


def _swap_in(unpacked: Path, dest: Path, work: Path) -> Path | None:
    """Move ``unpacked`` to ``dest``; an old export is dropped if it was an untouched pull, else kept. Returns the backup."""
    if not dest.exists():
        unpacked.rename(dest)
        return None
    if _unchanged_pull(dest):
        backup, old = None, work / "old"  # removed with the work folder
    else:
        backup = old = _backup_name(dest)
    dest.rename(old)
    try:
        unpacked.rename(dest)
    except OSError:
        old.rename(dest)  # put the old one back
        raise
    return backup


def _backup_name(dest: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup, n = dest.with_name(f"{dest.name}.backup-{stamp}"), 2
    while backup.exists():
        backup, n = dest.with_name(f"{dest.name}.backup-{stamp}-{n}"), n + 1
    return backup
