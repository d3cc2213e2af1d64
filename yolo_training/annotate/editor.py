"""The offline box editor: correct the boxes of an export inside the notebook, without a server.

:func:`box_editor` shows an export's images one at a time with their boxes (drawn with the mouse
when ``jupyter-bbox-widget`` is installed, else listed as text lines beside the image) and saves
them as YOLO label files, keeping the old file beside the new one as a backup.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..core.common import class_colors, list_images, show_widget
from ..core.errors import DatasetError
from ..data.labels import read_class_names
from ..core.env import project_root

#: The keys of a box: pixels, ``x, y`` the top-left corner, ``label`` a class name.
BOX_KEYS = ("x", "y", "width", "height", "label")


class BoxEditor:
    """Edit the boxes of an export's images in the notebook, offline; saves YOLO label files.

    ``editor.widget`` is the interactive view (jupyter-bbox-widget when installed, else a text
    list of boxes beside the image). Boxes are dicts in pixels: ``{"x", "y", "width", "height",
    "label"}`` with ``x, y`` the top-left corner and ``label`` a class name. :meth:`save` writes
    the current image's label file and keeps the old one beside it as ``<name>.txt.bak``.

    Args:
        export: the export folder (``images/``, ``labels/``, ``classes.txt`` or ``notes.json``).
        images: the file names to edit (default: every image of the export).

    Examples:
        >>> editor = BoxEditor("annotations/export", images=["IMG_0001.jpg"])  # doctest: +SKIP
        >>> editor.set_boxes([{"x": 20, "y": 20, "width": 80, "height": 60, "label": "5 euro"}])  # doctest: +SKIP
        >>> editor.save()  # doctest: +SKIP
    """

    def __init__(self, export: str | Path = "annotations/export", images: list[str] | None = None):
        export = Path(export)
        if not export.is_absolute() and not export.exists():
            export = project_root() / export
        self.export = export
        self.names = read_class_names(export)
        self.images = _images_to_edit(export, images)
        self.index = 0
        self._boxes: list[dict] = []
        self._polygons: list[int] = []
        self._view = None
        self._widget = None
        self.load(0)

    @property
    def image(self) -> Path:
        """The image shown now."""
        return self.images[self.index]

    @property
    def label_file(self) -> Path:
        """The label file of the image shown now."""
        return self.export / "labels" / f"{self.image.stem}.txt"

    def image_size(self) -> tuple[int, int]:
        """Width and height of the image shown now, in pixels."""
        from PIL import Image

        with Image.open(self.image) as im:
            return im.size

    def load(self, index: int) -> list[dict]:
        """Show image ``index`` (counted around) and read its boxes from its label file.

        Args:
            index: the image's position in :attr:`images`.

        Returns:
            Its boxes.
        """
        self.index = index % len(self.images)
        self._boxes, self._polygons = _read_boxes(self.label_file, self.names, self.image_size())
        self._show()
        return self.boxes

    @property
    def boxes(self) -> list[dict]:
        """The boxes of the current image (what the widget shows)."""
        if self._view is not None:
            self._boxes = self._view.read()
        return [dict(b) for b in self._boxes]

    def set_boxes(self, boxes: list[dict]) -> None:
        """Replace the boxes of the current image.

        Args:
            boxes: dicts with ``x, y, width, height`` in pixels and ``label`` a class name.
        """
        _check_labels(boxes, self.names, "")
        self._boxes = [dict(b) for b in boxes]
        self._show()

    def save(self) -> Path:
        """Write the current image's label file (YOLO format); the old file is kept as a ``.bak``.

        Returns:
            The label file.

        Raises:
            DatasetError: a box names an unknown class, or the file holds polygons this editor would lose.
        """
        if self._polygons:
            raise DatasetError(
                f"{self.label_file}, line(s) {self._polygons}: polygons. This editor draws boxes only and would lose "
                "them; correct polygons in Label Studio."
            )
        boxes = self.boxes
        _check_labels(boxes, self.names, "; nothing saved")
        lines = _yolo_lines(boxes, self.names, self.image_size())
        return _write_keeping_backup(self.label_file, "\n".join(lines) + ("\n" if lines else ""))

    # the interactive part ------------------------------------------------------------
    @property
    def widget(self):
        """The editor as an ipywidgets box: the image with its boxes, Previous / Save / Next."""
        if self._widget is None:
            self._view = _make_view(self.names, self.image)
            self._widget, self._status = _with_buttons(self, self._view.widget)
            self._show()
        return self._widget

    def _show(self) -> None:
        """Put the current image and boxes in the widget (when it was made)."""
        if self._view is None:
            return
        self._view.show(self.image, self._boxes)
        self._status.value = f"{self.index + 1}/{len(self.images)}  {self.image.name}"

    def _ipython_display_(self):
        show_widget(self.widget, self.static_html())

    def static_html(self) -> str:
        """The current image with its boxes drawn, as HTML: what a page rendered without widgets shows."""
        import base64
        import html

        import cv2

        picture = cv2.imread(str(self.image))
        if picture is None:
            return f"<p>{html.escape(self.image.name)}: cannot be read</p>"
        colors = class_colors(len(self.names))
        for box in self.boxes:
            r, g, b, _ = colors[self.names.index(box["label"]) % len(colors)] if box["label"] in self.names else (1, 0, 0, 1)
            x, y, w, h = (int(round(box[k])) for k in ("x", "y", "width", "height"))
            cv2.rectangle(picture, (x, y), (x + w, y + h), (int(b * 255), int(g * 255), int(r * 255)), 2)
        ok, jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 80])
        image = f'<img src="data:image/jpeg;base64,{base64.b64encode(jpeg.tobytes()).decode()}"/>' if ok else ""
        caption = f"{self.index + 1}/{len(self.images)} {self.image.name}: {len(self.boxes)} boxes (the editor is interactive in Jupyter)"
        return f"<div>{image}<br>{html.escape(caption)}</div>"


def box_editor(export: str | Path = "annotations/export", images: list[str] | None = None) -> BoxEditor:
    """An offline box editor for an export; show it as a cell's last line.

    Args:
        export: the export folder (default: ``annotations/export`` of the working folder; a notebook passes ``ch.export``).
        images: the file names to edit (default: all).

    Returns:
        A :class:`BoxEditor`.

    Examples:
        >>> editor = box_editor("annotations/export")  # doctest: +SKIP
        >>> editor  # in a notebook: the image, its boxes, Previous / Save / Next  # doctest: +SKIP
    """
    return BoxEditor(export, images)


# --------------------------------------------------------------------------- label files


def _images_to_edit(export: Path, names: list[str] | None) -> list[Path]:
    found = list_images(export / "images") if (export / "images").is_dir() else []
    if names is not None:
        by_name = {p.name: p for p in found}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise DatasetError(f"Not in {export / 'images'}: {missing}.")
        found = [by_name[n] for n in names]
    if not found:
        raise DatasetError(f"{export / 'images'} holds no images to edit.")
    return found


def _read_boxes(label: Path, names: list[str], size: tuple[int, int]) -> tuple[list[dict], list[int]]:
    """The boxes of a YOLO label file in pixels, and the numbers of its polygon lines (kept apart)."""
    w, h = size
    boxes, polygons = [], []
    if not label.is_file():
        return boxes, polygons
    for number, line in enumerate(label.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 5:
            polygons.append(number)
            continue
        cls, xc, yc, bw, bh = int(parts[0]), *map(float, parts[1:])
        label_name = names[cls] if 0 <= cls < len(names) else str(cls)
        boxes.append({"x": (xc - bw / 2) * w, "y": (yc - bh / 2) * h, "width": bw * w, "height": bh * h, "label": label_name})
    return boxes, polygons


def _check_labels(boxes: list[dict], names: list[str], consequence: str) -> None:
    for b in boxes:
        if b.get("label") not in names:
            raise DatasetError(f"Box {b}: label {b.get('label')!r} is not one of the classes {names}{consequence}.")


def _yolo_lines(boxes: list[dict], names: list[str], size: tuple[int, int]) -> list[str]:
    """YOLO label lines of pixel boxes, clipped to the image; empty boxes (a click without a drag) are left out."""
    w, h = size
    lines = []
    for b in boxes:
        x1, y1 = max(0.0, float(b["x"])), max(0.0, float(b["y"]))
        x2, y2 = min(float(w), float(b["x"]) + float(b["width"])), min(float(h), float(b["y"]) + float(b["height"]))
        if x2 <= x1 or y2 <= y1:
            continue
        cls = names.index(b["label"])
        lines.append(f"{cls} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
    return lines


def _write_keeping_backup(label: Path, text: str) -> Path:
    """Write ``label`` atomically; a different old file is kept as ``.bak`` (``.bak2``, ...)."""
    label.parent.mkdir(parents=True, exist_ok=True)
    if label.is_file():
        if label.read_text(encoding="utf-8") == text:
            return label
        shutil.copy2(label, _backup_path(label))
    tmp = label.with_name(label.name + ".saving")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, label)
    return label


def _backup_path(label: Path) -> Path:
    candidate = label.with_name(label.name + ".bak")
    n = 2
    while candidate.exists():
        candidate = label.with_name(f"{label.name}.bak{n}")
        n += 1
    return candidate


# --------------------------------------------------------------------------- the views


class _DrawingView:
    """jupyter-bbox-widget: the image with boxes the student draws and moves with the mouse."""

    def __init__(self, names: list[str]):
        from jupyter_bbox_widget import BBoxWidget

        self.bbox = BBoxWidget(classes=list(names), hide_buttons=True)
        self.widget = self.bbox

    def show(self, image: Path, boxes: list[dict]) -> None:
        self.bbox.image = str(image)
        self.bbox.bboxes = [dict(b) for b in boxes]

    def read(self) -> list[dict]:
        return [{k: b[k] for k in BOX_KEYS} for b in self.bbox.bboxes]


class _TextView:
    """Without jupyter-bbox-widget: the image, and its boxes as editable text lines beside it."""

    def __init__(self, names: list[str], image: Path):
        import ipywidgets as W

        self.image = W.Image(format=image.suffix.lstrip(".").lower() or "jpeg", layout=W.Layout(max_width="640px"))
        self.text = W.Textarea(
            placeholder="one box a line: class name, x, y, width, height (pixels, top-left corner)",
            layout=W.Layout(width="420px", height="200px"),
        )
        self.widget = W.HBox([self.image, W.VBox([W.Label(f"classes: {', '.join(names)}"), self.text])])

    def show(self, image: Path, boxes: list[dict]) -> None:
        self.image.value = image.read_bytes()
        self.text.value = "\n".join(f"{b['label']}, {b['x']:.0f}, {b['y']:.0f}, {b['width']:.0f}, {b['height']:.0f}" for b in boxes)

    def read(self) -> list[dict]:
        boxes = []
        for number, line in enumerate(self.text.value.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.rsplit(",", 4)]
            try:
                label, x, y, bw, bh = parts[0], *map(float, parts[1:])
            except ValueError:
                raise DatasetError(f"Box line {number} {line!r}: write 'class name, x, y, width, height' in pixels.") from None
            boxes.append({"x": x, "y": y, "width": bw, "height": bh, "label": label})
        return boxes


def _make_view(names: list[str], image: Path):
    try:
        return _DrawingView(names)
    except ImportError:
        return _TextView(names, image)


def _with_buttons(editor: BoxEditor, view):
    """The view with a status line and Previous / Save / Next buttons that drive ``editor``; returns both."""
    import ipywidgets as W

    status = W.Label()
    prev_b, save_b, next_b = W.Button(description="Previous"), W.Button(description="Save", button_style="success"), W.Button(description="Next")
    message = W.Label()

    def go(step):
        def handler(_):
            editor.load(editor.index + step)
            message.value = ""

        return handler

    def save(_):
        try:
            message.value = f"saved {editor.save().name}"
        except DatasetError as err:
            message.value = str(err)

    prev_b.on_click(go(-1))
    next_b.on_click(go(1))
    save_b.on_click(save)
    return W.VBox([status, view, W.HBox([prev_b, save_b, next_b, message])]), status
