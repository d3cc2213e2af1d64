"""Regions drawn in annotation tools (rectangles, polygons, circles, ellipses, masks) as YOLO lines.

labelme and CVAT draw more than boxes. Each region here has its exact bounding box (the line for
detection) and a polygon (the line for segmentation): a rectangle's four corners, a circle's or
an ellipse's outline in :data:`OUTLINE_POINTS` points, a mask's outer contour (several parts
joined with Ultralytics' own ``merge_multi_segment``, as :mod:`.coco` joins them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..labels import box_line, polygon_line

#: Points of the polygon that stands for a circle or an ellipse in segmentation.
OUTLINE_POINTS = 32


@dataclass(frozen=True)
class Region:
    """A region in pixels: its bounding box ``(x0, y0, x1, y1)`` and its outline ``[(x, y), ...]``."""

    box: tuple[float, float, float, float]
    polygon: list[tuple[float, float]]

    def yolo_line(self, cls: int, width: float, height: float, task: str) -> str:
        """``cls xc yc w h`` (fractions of the image), or ``cls x1 y1 x2 y2 ...`` for ``task="segment"``."""
        if task == "segment":
            return polygon_line(cls, self.polygon, width, height)
        return box_line(cls, *self.box, width, height)


def _box_of(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def polygon(points: list[tuple[float, float]]) -> Region | None:
    """A polygon's region; None for fewer than 3 points (a line, not a region)."""
    points = [(float(x), float(y)) for x, y in points]
    return Region(_box_of(points), points) if len(points) >= 3 else None


def rectangle(x0: float, y0: float, x1: float, y1: float, rotation: float = 0.0) -> Region:
    """A rectangle from two opposite corners (in any order), turned ``rotation`` degrees about its centre."""
    x0, x1 = sorted((float(x0), float(x1)))
    y0, y1 = sorted((float(y0), float(y1)))
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    if rotation:
        cx, cy, a = (x0 + x1) / 2, (y0 + y1) / 2, math.radians(rotation)
        c, s = math.cos(a), math.sin(a)
        corners = [(cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c) for x, y in corners]
    return Region(_box_of(corners), corners)


def ellipse(cx: float, cy: float, rx: float, ry: float, rotation: float = 0.0) -> Region:
    """An ellipse (a circle when ``rx == ry``) by centre and radii, turned ``rotation`` degrees: its exact box."""
    a = math.radians(rotation)
    c, s = math.cos(a), math.sin(a)
    half_w, half_h = math.hypot(rx * c, ry * s), math.hypot(rx * s, ry * c)
    outline = []
    for k in range(OUTLINE_POINTS):
        t = 2 * math.pi * k / OUTLINE_POINTS
        x, y = rx * math.cos(t), ry * math.sin(t)
        outline.append((cx + x * c - y * s, cy + x * s + y * c))
    return Region((cx - half_w, cy - half_h, cx + half_w, cy + half_h), outline)


def mask(pixels, left: float = 0.0, top: float = 0.0) -> Region | None:
    """A mask's region: ``pixels`` (2-D, non-zero inside) placed with its top-left at ``(left, top)``; None when empty."""
    import cv2
    import numpy as np

    pixels = (np.asarray(pixels) > 0).astype(np.uint8)
    ys, xs = np.nonzero(pixels)
    if not len(xs):
        return None
    box = (left + float(xs.min()), top + float(ys.min()), left + float(xs.max()) + 1, top + float(ys.max()) + 1)
    contours, _ = cv2.findContours(pixels, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    parts = [c.reshape(-1, 2).astype(float) for c in contours if len(c) >= 3]
    if not parts:  # a line of pixels: its box is the region
        return Region(box, rectangle(*box).polygon)
    if len(parts) > 1:
        from ultralytics.data.converter import merge_multi_segment

        points = np.concatenate(merge_multi_segment([p.reshape(-1).tolist() for p in parts]), axis=0).reshape(-1, 2)
    else:
        points = parts[0]
    return Region(box, [(left + float(x), top + float(y)) for x, y in points])
