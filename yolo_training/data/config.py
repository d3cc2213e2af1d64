"""The data config, ``config.yaml``: written by the split, read and checked, resolved for Ultralytics.

One home for the file Ultralytics calls ``data=``: :func:`write_config` writes it with folders
relative to itself, :func:`load_config` reads it and checks the folders it names, and
:func:`prepare_data` gives Ultralytics an absolute copy (or, for classification, the image folder).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import yaml

from ..core import env
from ..core.common import list_images
from ..core.errors import ConfigError, YoloTrainingError


def write_config(config: str | Path, dataset_root: str | Path, names: list[str], splits: tuple[str, ...] = ("train", "val")) -> Path:
    """Write a ``config.yaml`` for Ultralytics whose folders are relative to the file itself.

    It has no ``path:`` entry (``path: .`` would be read against the working folder), so plain
    Ultralytics finds the folders from wherever the file is given; on Windows, across drives, it
    names the dataset folder absolutely instead.

    Args:
        config: the file to write.
        dataset_root: the folder holding ``images/<split>`` and ``labels/<split>``.
        names: the class names, id 0 first.
        splits: the split folders to name.

    Returns:
        The config file's absolute path.

    Examples:
        >>> yt.write_config("config.yaml", "annotations", ["10 euro", "5 euro"])  # doctest: +SKIP
    """
    config = Path(config).resolve()
    root = Path(dataset_root).resolve()
    try:
        rel = Path(os.path.relpath(root, config.parent)).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        rel = None
    # Without `path:`, Ultralytics resolves the folders against this file's own folder (as given, from
    # any working folder); a `path: .` would be read against the working folder instead.
    data: dict = {} if rel is not None else {"path": root.as_posix()}
    prefix = "" if rel in (None, ".") else f"{rel}/"
    for split in splits:
        data[split] = f"{prefix}images/{split}"
    data["nc"] = len(names)
    data["names"] = dict(enumerate(names))
    header = (
        "# Written by yolo-training (split_dataset). The folders are relative to this file: Ultralytics\n"
        "# (yolo train data=..., YOLO(...).train(data=...)) and yolo_training.train() find them from any folder.\n"
    )
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return config


def load_config(config: str | Path = "config.yaml") -> dict:
    """Read ``config.yaml`` and resolve its ``path`` against the file's own folder.

    Checks that the split folders exist and hold images, and says how to create them if not.

    Args:
        config: the config file (default: the working folder's ``config.yaml``).

    Returns:
        Its entries, ``path`` made absolute.

    Raises:
        ConfigError: the file or a split folder it names is missing, empty or not YAML.

    Examples:
        >>> yt.load_config("config.yaml")["names"]  # doctest: +SKIP
        {0: '10 euro', 1: '5 euro'}
    """

    config = Path(config)
    if not config.is_file():
        raise ConfigError(
            f"{config.resolve()} does not exist. Create it with `yolo-training split` "
            "(or split_dataset() in a notebook), which splits annotations/export and writes config.yaml."
        )
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{config} is not valid YAML: {err}") from err
    for key in ("train", "val", "names"):
        if key not in data:
            raise ConfigError(f"{config} has no '{key}' entry. Write it again with `yolo-training split`.")
    root = Path(data.get("path") or ".")
    root = root if root.is_absolute() else (config.resolve().parent / root)
    data["path"] = str(root.resolve())
    for split in ("train", "val", "test"):
        if split not in data or data[split] is None:
            continue
        folder = Path(data["path"]) / data[split]
        if not folder.is_dir():
            raise ConfigError(
                f"The {split} folder {folder} named in {config} does not exist yet. Run `yolo-training split` "
                "(or split_dataset()) to create the split folders from annotations/export."
            )
        if folder.is_dir() and folder.parent.name == "images" and not list_images(folder):
            raise ConfigError(f"The {split} folder {folder} named in {config} holds no images. Run the split again.")
    return data


def prepare_data(config: str | Path, task: str = "detect") -> str:
    """The dataset argument for Ultralytics: an absolute YAML for detect/segment, a folder for classify.

    ``config.yaml`` keeps a ``path`` relative to itself; Ultralytics would resolve that against its
    own datasets folder, so a resolved copy is written under the project's ``.ultralytics/data``
    (one file per config path, written atomically: two configs or two processes never share one).

    Args:
        config: the split's ``config.yaml`` (detect, segment) or an ImageFolder (classify).
        task: ``detect``, ``segment`` or ``classify``.

    Returns:
        The path to give Ultralytics as ``data=``.

    Examples:
        >>> prepare_data("config.yaml")  # doctest: +SKIP
        '/home/me/yolo-training/.ultralytics/data/config-1a2b3c4d5e-resolved.yaml'
    """
    if task == "classify":
        folder = Path(config)
        if not (folder / "train").is_dir():
            raise YoloTrainingError(
                f"Classification needs an image folder with train/ and val/ subfolders of class folders; {folder} has no train/. "
                "Create one with `yolo-training sample --task classify --out <folder>`."
            )
        return str(folder.resolve())
    data = load_config(config)
    key = hashlib.sha1(str(Path(config).resolve()).encode("utf-8")).hexdigest()[:10]
    target = env.config_dir() / "data" / f"{Path(config).stem}-{key}-resolved.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.replace(tmp, target)
    return str(target)
