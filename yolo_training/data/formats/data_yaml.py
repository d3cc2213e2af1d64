"""Reading an Ultralytics dataset YAML (``data.yaml``, ``config.yaml``) as Ultralytics itself does.

The rules are those of ``ultralytics.data.utils.check_det_dataset`` and the dataset's
``get_img_files``: ``path`` is the dataset root (relative: to the YAML's folder here, which is
what a downloaded dataset means; Ultralytics tries its current folder and its datasets folder);
``train``, ``val`` (or ``validation``) and ``test`` are a folder (searched recursively), a text
file listing images (``./`` relative to that file) or a list of those; a Roboflow
``../train/images`` that does not exist is read without its ``../``, as Ultralytics does;
``names`` is a list or ``{id: name}``, or only ``nc`` is given. Label files are where Ultralytics
looks: the last ``images`` folder of each image path replaced by ``labels``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from ...core.common import is_image, list_images
from ...core.errors import DatasetError
from ..labels import LabelProblem, names_from_mapping, read_text
from ..layout import SPLIT_ALIASES, SPLIT_NAMES, Item, Layout, Sniff, image_root_of, key_of, orphan_labels, pair_labels, shown


def read_data_yaml(path: Path) -> dict | None:
    """The YAML as a dict when it describes a dataset (``train`` and ``val``), else None."""
    try:
        data = yaml.safe_load(read_text(path))
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return None
    if not isinstance(data, dict) or "train" not in data or not ("val" in data or "validation" in data):
        return None
    return data


def find_data_yaml(yamls: list[Path], root: Path) -> tuple[Path, dict] | None:
    """The dataset YAML among ``yamls`` (shallowest first; ``data.yaml`` before other names)."""
    ranked = sorted(yamls, key=lambda p: (len(p.relative_to(root).parts), p.name not in ("data.yaml", "data.yml"), p.name))
    for candidate in ranked:
        data = read_data_yaml(candidate)
        if data is not None:
            return candidate, data
    return None


def _line_of(text: str, key: str) -> int:
    m = re.search(rf"^\s*{re.escape(key)}\s*:", text, re.MULTILINE)
    return text[: m.start()].count("\n") + 1 if m else 0


def _dataset_root(file: Path, data: dict, notes: list[str]) -> Path:
    given = data.get("path")
    if not given:
        return file.parent
    candidates = [Path(given)] if Path(given).is_absolute() else [file.parent / given, Path.cwd() / given]
    for root in candidates:
        if root.is_dir():
            return root.resolve()
    notes.append(f"{file}: path {given!r} does not exist here; its folders are read relative to the YAML itself")
    return file.parent


def _entry_images(entry: str, root: Path, file: Path, text: str, key: str, problems: list[LabelProblem]) -> list[Path]:
    """Images of one ``train``/``val``/``test`` entry: a folder, a list file or an image."""
    entry = _slashes(entry, root)
    where = root / entry
    if not where.exists() and entry.startswith("../"):  # Roboflow's data.yaml, read as Ultralytics does
        where = root / entry[3:]
    if where.is_dir():
        return list_images(where, recursive=True)
    if where.is_file() and where.suffix.lower() == ".txt":
        return _listed_images(where, root, problems)
    if where.is_file() and is_image(where):
        return [where]
    problems.append(LabelProblem(file, _line_of(text, key), f"{key}: {entry!r} does not exist (looked for {where}); that part of the dataset is missing.", "missing-image", "error"))
    return []


def _slashes(entry: str, root: Path) -> str:
    """``images\\train`` written on Windows, read with ``/`` where the backslashes name nothing."""
    return entry.replace("\\", "/") if "\\" in entry and not (root / entry).exists() else entry


def _listed_images(listing: Path, root: Path, problems: list[LabelProblem]) -> list[Path]:
    found = []
    for number, line in enumerate(read_text(listing).splitlines(), start=1):
        entry = _slashes(line.strip(), root)
        if not entry or not is_image(entry):
            continue
        if entry.startswith("./"):
            candidates = [listing.parent / entry[2:]]
        elif os.path.isabs(entry):
            candidates = [Path(entry)]
        else:
            candidates = [root / entry, listing.parent / entry, Path(entry)]
        image = next((c for c in candidates if c.is_file()), None)
        if image is None:
            problems.append(LabelProblem(listing, number, f"lists {entry!r}, which does not exist; left out.", "missing-image", "warning"))
        else:
            found.append(image)
    return found


def _unnamed_split_folders(root: Path, file: Path, named: set[Path], notes: list[str]) -> None:
    """Say so when a split folder beside the named ones holds images the YAML does not name (never a silent drop)."""
    for alias, split in SPLIT_ALIASES.items():
        for folder in (root / "images" / alias, root / alias / "images"):
            if not folder.is_dir():
                continue
            left = [p for p in list_images(folder, recursive=True) if p not in named]
            if left:
                notes.append(f"{shown(folder)} holds {len(left)} image(s) that {file.name} does not name: left out "
                             f"(add `{split}: {folder.relative_to(root).as_posix()}` to {file.name} to use them)")


def _names(file: Path, data: dict, text: str, notes: list[str]) -> list[str] | None:
    if data.get("names") is not None:
        names = names_from_mapping(data["names"], f"{file}, line {_line_of(text, 'names')}")
        if data.get("nc") is not None and str(data["nc"]).strip() != str(len(names)):
            raise DatasetError(f"{file}, line {_line_of(text, 'nc')}: nc: {data['nc']} but {len(names)} names are listed. Make them agree.")
        return names
    if data.get("nc") is not None:
        notes.append(f"{file} gives only nc: {data['nc']}; classes named class_0, class_1, ... (pass names= for real names)")
        return [f"class_{i}" for i in range(int(data["nc"]))]
    return None


def layout_from_yaml(file: Path, data: dict, kind: str) -> Layout:
    """The dataset a data YAML describes, with its publisher's split."""
    text = read_text(file)
    problems: list[LabelProblem] = []
    notes: list[str] = []
    if "val" not in data:
        data["val"] = data.pop("validation")
    root = _dataset_root(file, data, notes)
    names = _names(file, data, text, notes)
    seen: dict[Path, str] = {}
    for split in SPLIT_NAMES:
        entries = data.get(split)
        if not entries:
            continue
        for entry in entries if isinstance(entries, list) else [entries]:
            for image in _entry_images(str(entry), root, file, text, split, problems):
                if image in seen and seen[image] != split:
                    problems.append(LabelProblem(image, 0, f"is in both {seen[image]} and {split} of {file.name}; kept in {seen[image]} (validation on training images overestimates the model).", "split-overlap", "warning"))
                seen.setdefault(image, split)
    images = sorted(seen, key=lambda p: p.as_posix())
    _unnamed_split_folders(root, file, set(seen), notes)
    pairs, folders = pair_labels(images)
    image_root = image_root_of(images, root)
    items = [Item(key_of(im, image_root), im, pairs[im], seen[im]) for im in images]
    for orphan in orphan_labels(folders, pairs, {str(im.parent) for im in images}):
        problems.append(LabelProblem(orphan, 0, "a label file without an image; the image was probably not exported. Export it again or ignore this.", "no-image", "warning"))
    layout = Layout(kind, root, names or [], items, image_root, problems, notes)
    return layout


def looks_like(path: Path) -> Sniff | None:
    """An Ultralytics dataset YAML that was not read; None for any other file."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        return None
    data = read_data_yaml(path)
    if data is None:
        return None
    names = data.get("names")
    return Sniff("Ultralytics dataset YAML", None, len(names) if isinstance(names, (list, dict)) else data.get("nc"))
