"""COCO JSON annotations (``images``, ``annotations``, ``categories``) read as YOLO lines.

One JSON or several (Roboflow's ``train|valid|test/_annotations.coco.json``, COCO's
``instances_val2017.json``: the split is read from the folder or the file name). Boxes by
default; polygons with ``task="segment"``, several parts of one object joined with Ultralytics'
own ``merge_multi_segment``. Ultralytics' ``convert_coco`` itself does not fit: it takes class
ids as ``category_id - 1`` (wrong for most exports) and drops what it cannot convert silently;
here every such case is a problem with the file and the annotation id.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from ...core.errors import DatasetError
from ..labels import LabelProblem, read_text
from ..layout import Item, Layout, Scan, Sniff, image_root_of, key_of, shown, split_name, split_of_stem


def is_coco(path: Path) -> bool:
    """True when a ``.json`` file looks like COCO (its first 64 KB name images or categories)."""
    if path.name == "notes.json":
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and (b'"images"' in head or b'"categories"' in head or b'"annotations"' in head)


def _load(path: Path) -> dict:
    try:
        data = json.loads(read_text(path))
        for key in ("images", "annotations", "categories"):
            if not isinstance(data[key], list):
                raise TypeError(f"'{key}' is not a list")
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path} is not a COCO annotation file with images, annotations and categories ({err}).") from err
    return data


def _categories(path: Path, data: dict, notes: list[str]) -> list[tuple[int, str]]:
    """(id, name) of the classes, by id; a supercategory that only groups others (Roboflow) is left out."""
    used = {a.get("category_id") for a in data["annotations"]}
    categories = sorted(((int(c["id"]), str(c["name"]).strip(), c.get("supercategory")) for c in data["categories"]), key=lambda c: c[0])
    parents = {s for _, _, s in categories}
    kept = []
    for cid, name, _ in categories:
        if cid not in used and name in parents:
            notes.append(f"{path}: category {name!r} only groups the others (a supercategory without objects); not a class")
            continue
        kept.append((cid, name))
    duplicated = [n for n, k in Counter(n for _, n in kept).items() if k > 1]
    if duplicated:
        raise DatasetError(f"{path}: category names {duplicated} appear under several ids; give each class one name.")
    return kept


def _split_of(path: Path) -> str | None:
    return split_of_stem(path.stem) or split_name(path.parent.name)


def _find_image(rel: str, json_path: Path, scan: Scan, by_name: dict) -> Path | None:
    rel = rel.replace("\\", "/")
    base = json_path.parent
    for root in (base, base / "images", base.parent / "images", base.parent, scan.root):
        if (root / rel).is_file():
            return root / rel
    candidates = by_name.get(Path(rel).name.lower())
    return min(candidates, key=lambda p: (p.parent != base, p.as_posix())) if candidates else None


def _line(a: dict, cls: int, w: float, h: float, task: str, json_path: Path, problems: list, key: str) -> str | None:
    if task == "segment":
        seg = a.get("segmentation")
        polygons = [p for p in seg if isinstance(p, list) and len(p) >= 6 and not len(p) % 2] if isinstance(seg, list) else []
        if not polygons:
            what = "an RLE mask" if isinstance(seg, dict) else "no polygon"
            problems.append(LabelProblem(json_path, 0, f"annotation {a.get('id')} has {what}, no polygon to train on; left out.", "no-polygon", "error", key))
            return None
        if len(polygons) > 1:
            import numpy as np
            from ultralytics.data.converter import merge_multi_segment

            points = np.concatenate(merge_multi_segment(polygons), axis=0).reshape(-1).tolist()
        else:
            points = polygons[0]
        return f"{cls} " + " ".join(f"{v / (w if i % 2 == 0 else h):.6f}" for i, v in enumerate(points))
    try:
        x, y, bw, bh = (float(v) for v in a["bbox"])
    except (KeyError, TypeError, ValueError):
        problems.append(LabelProblem(json_path, 0, f"annotation {a.get('id')} has no bbox [x, y, width, height]; left out.", "malformed", "error", key))
        return None
    return f"{cls} {(x + bw / 2) / w:.6f} {(y + bh / 2) / h:.6f} {bw / w:.6f} {bh / h:.6f}"


def _image_size(image: Path, entry: dict) -> tuple[float, float]:
    w, h = float(entry.get("width") or 0), float(entry.get("height") or 0)
    if w and h:
        return w, h
    from PIL import Image

    with Image.open(image) as im:
        return im.size


def layout_from_coco(scan: Scan, jsons: list[Path], names: list[str] | None, task: str = "detect") -> Layout:
    """The COCO dataset below ``scan.root``: every listed image with its objects as YOLO lines."""
    problems: list[LabelProblem] = []
    notes: list[str] = []
    loaded, refused = [], []
    for path in jsons:  # a COCO download also holds captions: JSON files without categories
        try:
            loaded.append((path, _load(path)))
        except DatasetError as err:
            refused.append(err)
            problems.append(LabelProblem(path, 0, f"{err} Left out.", "malformed", "warning"))
    if not loaded:
        raise refused[0]
    found_names = {str(path): [n for _, n in _categories(path, data, notes)] for path, data in loaded}
    if names is None:
        names = next(iter(found_names.values()))
        if any(n != names for n in found_names.values()):
            listed = "\n".join(f"  {p}: {n}" for p, n in found_names.items())
            raise DatasetError(f"The COCO files do not list the same categories:\n{listed}\nExport them again from one project.")
    ids = {n: i for i, n in enumerate(names)}
    by_name = defaultdict(list)
    for image in scan.images:
        by_name[image.name.lower()].append(image)
    entries: dict[Path, tuple[Path, dict, list, str | None]] = {}  # image -> (json, its entry, annotations, split)
    for path, data in loaded:
        to_class = {cid: ids.get(name) for cid, name in _categories(path, data, [])}
        by_image, crowd = defaultdict(list), 0
        for a in data["annotations"]:
            if a.get("iscrowd"):
                crowd += 1
            else:
                by_image[a.get("image_id")].append((a, to_class.get(a.get("category_id"))))
        if crowd:
            problems.append(LabelProblem(path, 0, f"{crowd} crowd annotation(s) (one region for many objects) left out, as Ultralytics' own converter does.", "crowd", "warning"))
        for entry in data["images"]:
            rel = str(entry.get("file_name", ""))
            image = _find_image(rel, path, scan, by_name)
            if image is None:
                problems.append(LabelProblem(path, 0, f"image {rel!r} (id {entry.get('id')}) is listed but not found below {shown(scan.root)}; left out.", "missing-image", "warning"))
            elif image in entries:
                problems.append(LabelProblem(path, 0, f"image {rel!r} is also listed in {entries[image][0].name}; only that listing is used.", "duplicate-annotation", "warning"))
            else:
                entries[image] = (path, entry, by_image.get(entry.get("id"), []), _split_of(path))
    listed = set(entries)
    for image in scan.images:
        if image not in listed:
            problems.append(LabelProblem(image, 0, "is not listed in any COCO file; left out.", "no-label", "warning"))
    images = sorted(entries, key=lambda p: p.as_posix())
    image_root = image_root_of(images, scan.root)
    items = []
    for image in images:
        path, entry, anns, split = entries[image]
        key = key_of(image, image_root)
        w, h = _image_size(image, entry)
        lines, origins = [], []
        for a, cls in anns:
            if cls is None:
                problems.append(LabelProblem(path, 0, f"annotation {a.get('id')} has category {a.get('category_id')}, which is not among the class names {names}; left out.", "class-id", "error", key))
                continue
            line = _line(a, cls, w, h, task, path, problems, key)
            if line is not None:
                lines.append(line + "\n")
                origins.append((0, f"annotation {a.get('id')}: "))
        items.append(Item(key, image, path, split, "".join(lines), origins, (w, h, 0)))
    kind = "COCO JSON" + (f" ({jsons[0].name})" if len(jsons) == 1 else f" ({len(jsons)} files)")
    return Layout(kind, scan.root, names, items, image_root, problems, notes)


def looks_like(path: Path) -> Sniff | None:
    """A COCO JSON that was not read: its annotations and categories; None for any other file."""
    if path.suffix.lower() != ".json" or not is_coco(path):
        return None
    try:
        data = _load(path)
    except DatasetError:
        return None
    return Sniff("COCO JSON", len(data["annotations"]), len(data["categories"]))
