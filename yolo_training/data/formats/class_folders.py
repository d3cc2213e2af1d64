"""Class folders for classification: ``<class>/*.jpg`` or ``<split>/<class>/*.jpg``, the layout
Ultralytics classifies.

The split folders go by the names people use (``train``, ``training_set``, ``Validation``,
``test_set``: :func:`~yolo_training.data.layout.split_name`), Kaggle's doubled
``training_set/training_set/<class>/`` included. Tried last (:mod:`.recognition`): any folder of
images could be a class.
"""

from __future__ import annotations

from pathlib import Path

from ...core.errors import DatasetError
from ..labels import LabelProblem
from ..layout import Item, Layout, Scan, split_name

_NOT_CLASSES = ("images", "labels")


def _placed(scan: Scan) -> list[tuple[Path, str, str | None]]:
    """(image, class folder, split) of each image in a class folder."""
    found = []
    for image in scan.images:
        parts = image.relative_to(scan.root).parts
        if len(parts) == 4 and split_name(parts[0]) and split_name(parts[1]) == split_name(parts[0]):
            parts = parts[1:]  # Kaggle: training_set/training_set/cats/cat.1.jpg
        if len(parts) == 2 and parts[0].lower() not in _NOT_CLASSES:
            found.append((image, parts[0], None))
        elif len(parts) == 3 and split_name(parts[0]) and parts[1].lower() not in _NOT_CLASSES:
            found.append((image, parts[1], split_name(parts[0])))
    return found


def claims(scan: Scan) -> list[Path]:
    """The class folders of the folder (``cats/``, ``training_set/dogs/``); empty when it has none.

    At least half the images must be in class folders, and folders that only name splits
    (``train/``, ``val/`` holding images directly) are not classes.

    Args:
        scan: the walk of the dataset's folder.

    Returns:
        The class folders, sorted.

    Example:
        >>> claims(Scan(Path("kaggle-cats-dogs")))  # doctest: +SKIP
        [PosixPath('kaggle-cats-dogs/test_set/cats'), ...]
    """
    found = _placed(scan)
    if not found or len(found) < len(scan.images) / 2:
        return []
    if all(split is None and split_name(cls) for _, cls, split in found):
        return []  # train/, val/ holding images directly: splits, not classes
    return sorted({image.parent for image, _, _ in found})


def read(scan: Scan, files: list[Path], names: list[str] | None, task: str) -> Layout:
    """One item per image in a class folder, its class the folder's name, its split the parent's.

    Args:
        scan: the walk of the dataset's folder.
        files: the class folders :func:`claims` found.
        names: class names given by the student: the same names as the folders, in the id order
            wanted (default: sorted, as Ultralytics orders them).
        task: ignored (class folders are for classification).

    Returns:
        The layout (``task="classify"``); an image outside the class folders is a problem.

    Raises:
        DatasetError: ``names`` are not the folders' names.

    Example:
        >>> read(Scan(Path("coins")), [], None, "auto").names  # doctest: +SKIP
        ['10 euro', '5 euro']
    """
    root = scan.root
    found = _placed(scan)
    folders = sorted({cls for _, cls, _ in found})
    if names is not None and sorted(names) != folders:
        raise DatasetError(f"names={names} are not the class folders of {root.name}: {folders}. Leave names= out, or rename the folders.")
    names = list(names) if names is not None else folders
    ids = {n: i for i, n in enumerate(names)}
    items = [Item(image.relative_to(root).as_posix(), image, None, split, cls=ids[cls]) for image, cls, split in found]
    problems = [
        LabelProblem(image, 0, "is not in a class folder (<class>/ or <split>/<class>/); left out.", "no-label", "warning")
        for image in sorted(set(scan.images) - {image for image, _, _ in found})
    ]
    return Layout("Classification folders (one folder per class)", root, names, items, root, problems, task="classify")


def looks_like(path: Path) -> None:
    """Class folders hold no annotation file: nothing to say about a file that was not read.

    Args:
        path: any file.

    Returns:
        None.

    Example:
        >>> looks_like(Path("cats/a.jpg")) is None
        True
    """
    return None
