"""The bundled sample: procedurally drawn 5 and 10 euro notes, as a Label Studio export.

The course photographs real banknotes; a repository cannot ship those, so this module draws
them: a note template (colour, numerals, an arch, the circle of stars, a foil stripe) is warped
in perspective onto a textured, cluttered background, then lit unevenly, blurred and partly
covered, as photos are. About 10 % of the images hold no note at all (backgrounds).

The output has the exact layout of an unpacked Label Studio "YOLO with images" export::

    export/
      images/  1a2b3c4d-IMG_0001.jpg ...
      labels/  1a2b3c4d-IMG_0001.txt ... (an empty file for an image without notes)
      classes.txt
      notes.json

``layout="roboflow"`` writes the same photos as Roboflow Universe's "YOLOv8" download instead
(``train|valid|test/images|labels``, a ``data.yaml`` with ``../`` paths, Roboflow's renamed
files), the layout most datasets found online come in.

Class ids are the ones Label Studio 1.23 gives: names sorted, so ``10 euro`` is id 0 and
``5 euro`` id 1. Nothing in the package assumes them; it reads ``notes.json``.

Everything is drawn from one seed, so the same call writes the same files on every machine
(up to the JPEG encoder, which differs slightly between OpenCV builds).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..core.errors import ArgumentError
from ..core.folders import replace_output

#: The two classes of the course, in the id order Label Studio 1.23 exports them (sorted names).
CLASS_NAMES = ("10 euro", "5 euro")
#: Default size of a sample photo (width, height) and number of photos.
IMAGE_SIZE = (400, 300)
N_IMAGES = 360
SEED = 2024
#: Marks a folder this module wrote, so it may be replaced (see :func:`generate_sample`).
MARKER = ".yolo-training-sample"

# Real notes are 120 x 62 mm (5 euro) and 127 x 67 mm (10 euro).
_NOTE_MM = {"5 euro": (120, 62), "10 euro": (127, 67)}
# BGR base colours, numeral colour and accent colour of each note.
_STYLE = {
    "5 euro": dict(base=(178, 170, 150), ink=(120, 96, 70), accent=(150, 190, 200), label="5"),
    "10 euro": dict(base=(120, 110, 205), ink=(50, 40, 150), accent=(90, 160, 230), label="10"),
}
_TASKS = ("detect", "segment", "classify")
_LAYOUTS = ("label-studio", "roboflow")


@dataclass
class SampleObject:
    """One note placed in a sample photo: its class and its four corners in pixels."""

    name: str
    corners: np.ndarray  # (4, 2) float, clockwise from the top-left of the note


def _note_template(name: str, rng: np.random.Generator, width: int = 240) -> np.ndarray:
    """Draw one banknote, front view, ``width`` pixels wide."""
    mm_w, mm_h = _NOTE_MM[name]
    h = round(width * mm_h / mm_w)
    style = _STYLE[name]
    jitter = rng.integers(-12, 13, size=3)
    base = np.clip(np.array(style["base"]) + jitter, 0, 255)
    # horizontal shading, as the printed colour gradients of real notes
    ramp = np.linspace(0.85, 1.1, width)[None, :, None]
    note = np.clip(base[None, None, :] * ramp * np.ones((h, width, 1)), 0, 255).astype(np.uint8)
    ink = tuple(int(c) for c in style["ink"])
    accent = tuple(int(c) for c in style["accent"])
    # fine guilloche lines
    for k in range(0, h, 6):
        y = k + int(3 * math.sin(k))
        cv2.line(note, (0, y), (width, y + 8), tuple(int(0.92 * c) for c in base), 1, cv2.LINE_AA)
    # an arch (the architectural motif of the series)
    cx, cy = int(width * 0.45), int(h * 0.75)
    for r in (int(h * 0.45), int(h * 0.38), int(h * 0.31)):
        cv2.ellipse(note, (cx, cy), (r, r), 0, 180, 360, ink, 2, cv2.LINE_AA)
    cv2.rectangle(note, (cx - int(h * 0.45), cy), (cx + int(h * 0.45), h - 4), ink, 2)
    # the circle of stars, top left
    sx, sy, sr = int(width * 0.14), int(h * 0.28), int(h * 0.16)
    for i in range(12):
        a = 2 * math.pi * i / 12
        cv2.circle(note, (int(sx + sr * math.cos(a)), int(sy + sr * math.sin(a))), 2, (0, 200, 240), -1)
    # a foil stripe on the right
    fx = int(width * 0.8)
    cv2.rectangle(note, (fx, 0), (fx + int(width * 0.07), h), accent, -1)
    cv2.rectangle(note, (fx, 0), (fx + int(width * 0.07), h), (210, 210, 210), 1)
    # numerals: large top left, smaller bottom right
    font = cv2.FONT_HERSHEY_DUPLEX
    label = style["label"]
    cv2.putText(note, label, (int(width * 0.03), int(h * 0.93)), font, h / 40, ink, 3, cv2.LINE_AA)
    cv2.putText(note, label, (int(width * 0.86), int(h * 0.3)), font, h / 110, ink, 2, cv2.LINE_AA)
    cv2.putText(note, "EURO", (int(width * 0.35), int(h * 0.2)), font, h / 140, ink, 1, cv2.LINE_AA)
    cv2.rectangle(note, (0, 0), (width - 1, h - 1), tuple(int(0.7 * c) for c in base), 2)
    return note


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A textured, cluttered surface: a table, a cloth, paper, a noisy desk."""
    kind = rng.integers(4)
    colour = rng.integers(40, 230, size=3).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == 0:  # wood grain
        f = rng.uniform(0.02, 0.08)
        grain = 0.5 + 0.5 * np.sin(f * (xx + 8 * np.sin(yy / rng.uniform(10, 40))))
        img = colour * (0.7 + 0.3 * grain[..., None])
    elif kind == 1:  # woven cloth
        period = rng.integers(4, 12)
        weave = ((xx // period + yy // period) % 2)[..., None]
        img = colour * (0.85 + 0.15 * weave)
    elif kind == 2:  # blotchy low-frequency noise
        small = rng.uniform(0.6, 1.2, size=(h // 30 + 2, w // 30 + 2, 3)).astype(np.float32)
        img = colour * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    else:  # plain with a gradient
        img = colour * np.linspace(0.75, 1.15, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 1), np.float32)
    img = img + rng.normal(0, rng.uniform(2, 10), size=img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    # clutter: pens, coins, sticky notes, receipts (paper rectangles without numerals)
    for _ in range(rng.integers(2, 9)):
        c = tuple(int(v) for v in rng.integers(0, 256, size=3))
        shape = rng.integers(4)
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if shape == 0:
            cv2.circle(img, (x, y), int(rng.integers(6, 30)), c, -1, cv2.LINE_AA)
        elif shape == 1:
            cv2.line(img, (x, y), (int(rng.integers(0, w)), int(rng.integers(0, h))), c, int(rng.integers(2, 8)))
        elif shape == 2:
            box = cv2.boxPoints(((x, y), (float(rng.integers(20, 110)), float(rng.integers(15, 70))), float(rng.uniform(0, 180))))
            cv2.fillPoly(img, [box.astype(np.int32)], c, cv2.LINE_AA)
        else:
            paper = tuple(int(v) for v in rng.integers(200, 256, size=3))
            box = cv2.boxPoints(((x, y), (float(rng.integers(40, 120)), float(rng.integers(30, 70))), float(rng.uniform(0, 180))))
            cv2.fillPoly(img, [box.astype(np.int32)], paper, cv2.LINE_AA)
            cv2.polylines(img, [box.astype(np.int32)], True, (90, 90, 90), 1, cv2.LINE_AA)
    return img


def _place(rng: np.random.Generator, note_w: int, note_h: int, w: int, h: int) -> np.ndarray:
    """Corners of a note after scaling, rotating and a mild perspective tilt (pixels)."""
    scale = rng.uniform(0.28, 0.62) * w / note_w
    angle = rng.uniform(-math.pi, math.pi) if rng.random() < 0.5 else rng.uniform(-0.4, 0.4)
    half = np.array([[-note_w, -note_h], [note_w, -note_h], [note_w, note_h], [-note_w, note_h]], np.float32) / 2
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], np.float32)
    corners = half * scale @ rot.T
    corners += rng.uniform(-0.08, 0.08, size=(4, 2)).astype(np.float32) * note_w * scale
    centre = np.array([rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h], np.float32)
    return corners + centre


def _clip_polygon(points: np.ndarray, w: int, h: int) -> np.ndarray:
    """Sutherland-Hodgman clipping of a polygon to the image rectangle."""
    poly = [tuple(p) for p in points]
    for axis, limit, keep_below in ((0, 0, False), (0, w, True), (1, 0, False), (1, h, True)):
        out = []
        for i, cur in enumerate(poly):
            prev = poly[i - 1]
            cur_in = cur[axis] <= limit if keep_below else cur[axis] >= limit
            prev_in = prev[axis] <= limit if keep_below else prev[axis] >= limit
            if cur_in != prev_in:
                t = (limit - prev[axis]) / (cur[axis] - prev[axis])
                out.append(tuple(prev[k] + t * (cur[k] - prev[k]) for k in range(2)))
            if cur_in:
                out.append(cur)
        poly = out
        if not poly:
            break
    return np.array(poly, np.float32).reshape(-1, 2)


def _box(corners: np.ndarray, w: int, h: int) -> tuple[float, float, float, float]:
    x0, y0 = np.clip(corners.min(0), 0, [w, h])
    x1, y1 = np.clip(corners.max(0), 0, [w, h])
    return float(x0), float(y0), float(x1), float(y1)


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def draw_sample_image(rng: np.random.Generator, size: tuple[int, int] = IMAGE_SIZE) -> tuple[np.ndarray, list[SampleObject]]:
    """Draw one sample photo: banknotes in perspective on a cluttered table (or none, one time in ten).

    Args:
        rng: the random generator that decides everything drawn.
        size: width and height in pixels.

    Returns:
        The BGR image and the notes in it (class name and corners).

    Examples:
        >>> image, notes = draw_sample_image(np.random.default_rng(0))
        >>> image.shape
        (300, 400, 3)
    """
    w, h = size
    img = _background(rng, w, h)
    n_notes = rng.choice([0, 1, 2, 3], p=[0.1, 0.55, 0.25, 0.1])
    objects: list[SampleObject] = []
    boxes = []
    for _ in range(n_notes * 8):  # a few attempts to place each note without heavy overlap
        if len(objects) == n_notes:
            break
        name = CLASS_NAMES[int(rng.integers(len(CLASS_NAMES)))]
        template = _note_template(name, rng)
        th, tw = template.shape[:2]
        corners = _place(rng, tw, th, w, h)
        box = _box(corners, w, h)
        full = cv2.contourArea(corners)
        inside = cv2.contourArea(_clip_polygon(corners, w, h)) if full > 0 else 0
        if inside < 0.75 * full or any(_iou(box, b) > 0.25 for b in boxes):
            continue
        src = np.array([[0, 0], [tw, 0], [tw, th], [0, th]], np.float32)
        m = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
        warped = cv2.warpPerspective(template, m, (w, h), flags=cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(np.full((th, tw), 255, np.uint8), m, (w, h), flags=cv2.INTER_LINEAR)
        alpha = (mask.astype(np.float32) / 255)[..., None]
        img = (img * (1 - alpha) + warped * alpha).astype(np.uint8)
        objects.append(SampleObject(name, corners))
        boxes.append(box)
    # partial occlusion: a coin or a finger over a note
    for obj in objects:
        if rng.random() < 0.25:
            c = obj.corners[int(rng.integers(4))] * 0.6 + obj.corners.mean(0) * 0.4
            size_px = float(np.linalg.norm(obj.corners[0] - obj.corners[2])) * rng.uniform(0.12, 0.25)
            skin = (int(rng.integers(60, 140)), int(rng.integers(110, 170)), int(rng.integers(170, 235)))
            cv2.ellipse(img, (int(c[0]), int(c[1])), (int(size_px), int(size_px * 0.6)), float(rng.uniform(0, 180)), 0, 360, skin, -1, cv2.LINE_AA)
    # light: uneven illumination, colour temperature, brightness and contrast
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    direction = rng.uniform(-1, 1, size=2)
    light = 1 + rng.uniform(0.1, 0.35) * ((xx / w - 0.5) * direction[0] + (yy / h - 0.5) * direction[1])
    tint = 1 + rng.uniform(-0.08, 0.08, size=3)
    gain = rng.uniform(0.7, 1.2)
    out = img.astype(np.float32) * light[..., None] * tint * gain + rng.uniform(-20, 20)
    out = np.clip(out + rng.normal(0, 3, size=out.shape), 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        k = int(rng.choice([3, 5]))
        out = cv2.GaussianBlur(out, (k, k), 0)
    return out, objects


def _yolo_lines(objects: list[SampleObject], size: tuple[int, int], task: str) -> list[str]:
    w, h = size
    lines = []
    for obj in objects:
        cls = CLASS_NAMES.index(obj.name)
        if task == "segment":
            poly = _clip_polygon(obj.corners, w, h) / np.array([w, h], np.float32)
            coords = " ".join(f"{v:.6f}" for v in np.clip(poly, 0, 1).ravel())
            lines.append(f"{cls} {coords}")
        else:
            x0, y0, x1, y1 = _box(obj.corners, w, h)
            lines.append(f"{cls} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} {(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}")
    return lines


def generate_sample(
    out: str | Path = "annotations/export",
    n_images: int = N_IMAGES,
    seed: int = SEED,
    task: str = "detect",
    size: tuple[int, int] = IMAGE_SIZE,
    overwrite: bool = False,
    quality: int = 90,
    layout: str = "label-studio",
) -> Path:
    """Write the sample dataset and return its folder.

    ``task="detect"`` writes boxes and ``"segment"`` polygons, both in the Label Studio export
    layout; ``"classify"`` writes crops of each note into an ImageFolder (``train/<class>/``,
    ``val/<class>/``, every fifth photo's notes to ``val``), the layout Ultralytics classifies.
    An existing folder is replaced only with ``overwrite=True`` and only if this function
    wrote it (it carries a marker file). ``layout="roboflow"`` (detect and segment) writes
    Roboflow's download layout, already split 70 / 20 / 10 into ``train``, ``valid`` and ``test``.

    Args:
        out: the folder to write (relative to the working folder).
        n_images: how many photos.
        seed: decides every photo: the same seed writes the same files.
        task: ``"detect"``, ``"segment"`` or ``"classify"``.
        size: width and height of a photo in pixels.
        overwrite: replace a sample written earlier.
        quality: the JPEG quality.
        layout: ``"label-studio"`` (the export of chapter 2) or ``"roboflow"`` (a dataset as
            downloaded from Roboflow Universe, to practise bringing your own).

    Returns:
        The folder written.

    Raises:
        ArgumentError: an unknown ``task`` or ``layout``, or ``n_images`` below 1.

    Examples:
        >>> export = generate_sample("annotations/export", n_images=30, seed=7)  # doctest: +SKIP
        >>> yolo_training.inspect_dataset(export)  # doctest: +SKIP
        >>> download = generate_sample("downloads/notes", n_images=60, layout="roboflow")  # doctest: +SKIP
    """
    if task not in _TASKS:
        raise ArgumentError(f"task={task!r} is not one of {', '.join(_TASKS)}.")
    if layout not in _LAYOUTS or (layout == "roboflow" and task == "classify"):
        raise ArgumentError(f"layout={layout!r} is not one of {', '.join(_LAYOUTS)} (classify writes its own folders).")
    if n_images < 1:
        raise ArgumentError(f"n_images must be at least 1, got {n_images}.")
    out = replace_output(
        Path(out), MARKER, overwrite, "a sample generated earlier",
        f"Generated by yolo-training: generate_sample(n_images={n_images}, seed={seed}, task={task!r}, size={tuple(size)}, "
        f"layout={layout!r}).\n"
        "Delete this file to protect the folder from being regenerated.",
    )
    rng = np.random.default_rng(seed)
    encode = [cv2.IMWRITE_JPEG_QUALITY, quality]
    if layout == "roboflow":
        return _roboflow(out, n_images, rng, task, size, encode)
    if task != "classify":
        (out / "images").mkdir()
        (out / "labels").mkdir()
    for i in range(1, n_images + 1):
        img, objects = draw_sample_image(rng, size)
        stem = f"{rng.integers(0, 2**32):08x}-IMG_{i:04d}"
        if task == "classify":
            split = "val" if i % 5 == 0 else "train"
            for j, obj in enumerate(objects):
                x0, y0, x1, y1 = (int(round(v)) for v in _box(obj.corners, *size))
                folder = out / split / obj.name
                folder.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(folder / f"{stem}_{j}.jpg"), img[y0:y1, x0:x1], encode)
            continue
        cv2.imwrite(str(out / "images" / f"{stem}.jpg"), img, encode)
        lines = _yolo_lines(objects, size, task)
        (out / "labels" / f"{stem}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    if task != "classify":
        (out / "classes.txt").write_text("".join(n + "\n" for n in CLASS_NAMES), encoding="utf-8")
        notes = {
            "categories": [{"id": i, "name": n} for i, n in enumerate(CLASS_NAMES)],
            "info": {"year": 2026, "version": "1.0", "contributor": "Label Studio"},
        }
        (out / "notes.json").write_text(json.dumps(notes, indent=2) + "\n", encoding="utf-8")
    return out


def _roboflow_split(i: int) -> str:
    """70 / 20 / 10, interleaved so that every part gets photos from the whole sequence."""
    return {3: "valid", 6: "valid", 0: "test"}.get(i % 10, "train")


def _roboflow(out: Path, n_images: int, rng: np.random.Generator, task: str, size: tuple[int, int], encode: list) -> Path:
    """The sample as Roboflow's YOLOv8 download: renamed files in train|valid|test, data.yaml with ../ paths."""
    for i in range(1, n_images + 1):
        img, objects = draw_sample_image(rng, size)
        stem = f"IMG_{i:04d}_jpg.rf.{rng.integers(0, 2**63):016x}{rng.integers(0, 2**63):016x}"
        split = _roboflow_split(i)
        for kind in ("images", "labels"):
            (out / split / kind).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(out / split / "images" / f"{stem}.jpg"), img, encode)
        lines = _yolo_lines(objects, size, task)
        (out / split / "labels" / f"{stem}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    names = ", ".join(f"'{n}'" for n in CLASS_NAMES)
    splits = [s for s in ("train", "valid", "test") if (out / s).is_dir()]
    paths = "".join(f"{'val' if s == 'valid' else s}: ../{s}/images\n" for s in splits)
    (out / "data.yaml").write_text(
        f"{paths}\nnc: {len(CLASS_NAMES)}\nnames: [{names}]\n\nroboflow:\n  workspace: yolo-training\n  project: euro-notes\n"
        "  version: 1\n  license: CC BY 4.0\n  url: https://universe.roboflow.com/yolo-training/euro-notes/dataset/1\n",
        encoding="utf-8",
    )
    (out / "README.roboflow.txt").write_text(
        "Euro notes - v1\n\nDrawn by yolo-training's generate_sample(layout='roboflow') in the layout of a Roboflow "
        "Universe 'YOLOv8' download.\n", encoding="utf-8")
    return out
