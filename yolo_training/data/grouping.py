"""Which images must stay together, and a stratified assignment of whole groups to splits.

Near-duplicate photos, frames of one video and groups the student names are kept in one split:
otherwise validation shows the model images it has nearly seen in training. A group larger than
the smallest split is cut into runs of consecutive images (one long video, one fixed camera),
which leaves leakage only at the cuts and says so.

:func:`assign_groups` then places whole groups so that every split holds its share of images,
of backgrounds and of every class, reproducibly for a seed.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Iterable

SPLIT_NAMES = ("train", "val", "test")

# Label Studio prefixes uploaded files with 8 hex digits and a dash.
_LS_PREFIX = re.compile(r"^[0-9a-f]{8}-")
_FRAME_AUTO = re.compile(r"^(?P<prefix>.*?(?:frame|frm)[^0-9]*?)(?P<num>\d+)$", re.IGNORECASE)
_FRAME_ANY = re.compile(r"^(?P<prefix>.*?)(?P<num>\d+)$")


def frame_sequences(names: Iterable[str], frames: bool | str = "auto") -> dict[str, list[str]]:
    """Image names grouped by video: same name up to a frame number (``clip3_frame_0012.jpg``).

    ``frames="auto"`` only reads names that say ``frame``/``frm`` (camera names like
    ``IMG_0034`` are separate photos); ``True`` reads any name ending in a number.
    """
    if not frames:
        return {}
    pattern = _FRAME_AUTO if frames == "auto" else _FRAME_ANY
    sequences: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for name in names:
        folder, _, file = name.rpartition("/")
        stem = _LS_PREFIX.sub("", Path(file).stem)
        m = pattern.match(stem)
        if m:
            sequences[(folder + "/" if folder else "") + m["prefix"].rstrip("_- .").lower()].append((int(m["num"]), name))
    return {p: [n for _, n in sorted(v)] for p, v in sorted(sequences.items()) if len(v) > 1}


class _Union:
    def __init__(self, names: list[str]):
        self.parent = {n: n for n in names}

    def find(self, n: str) -> str:
        parent = self.parent
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def join(self, members: Iterable[str]) -> None:
        members = [m for m in members if m in self.parent]
        for m in members[1:]:
            a, b = self.find(members[0]), self.find(m)
            if a != b:
                self.parent[max(a, b)] = min(a, b)


def group_images(
    names: list[str],
    together: list[list[str]],
    frames: bool | str,
    max_group: int,
    extra: Callable[[str], str] | dict | None = None,
) -> tuple[dict[str, list[str]], list[str]]:
    """Groups of images to keep in one split: ``together`` (duplicates, near-duplicates), frame
    sequences and the student's own keys (``extra``: image -> key), linked transitively.

    A group of more than ``max_group`` images is cut into runs of consecutive names.

    Returns:
        Group key -> members (sorted), and notes on each group that was cut.
    """
    union = _Union(names)
    for group in together:
        union.join(group)
    for sequence in frame_sequences(names, frames).values():
        union.join(sequence)
    if extra is not None:
        by_key = defaultdict(list)
        for n in names:
            key = extra.get(n) if isinstance(extra, dict) else extra(n)
            if key is not None:
                by_key[key].append(n)
        for members in by_key.values():
            union.join(members)
    groups = defaultdict(list)
    for n in names:
        groups[union.find(n)].append(n)
    return _cut_large(groups, max_group)


def _cut_large(groups: dict[str, list[str]], max_group: int) -> tuple[dict[str, list[str]], list[str]]:
    """Groups larger than ``max_group`` cut into runs of consecutive names (leakage only at the cuts)."""
    result, notes = {}, []
    for key, members in groups.items():
        members = sorted(members)
        if len(members) <= max_group:
            result[key] = members
            continue
        runs = (len(members) + max_group - 1) // max_group
        notes.append(
            f"{len(members)} images that belong together (one scene or video, e.g. {members[0]}) were cut into {runs} runs of "
            "consecutive images, so that every split gets some. Validation on frames of the same scene overestimates the "
            "model; record a second session or another place for validation"
        )
        size = (len(members) + runs - 1) // runs
        for i in range(0, len(members), size):
            result[members[i]] = members[i : i + size]
    return result, notes


# --------------------------------------------------------------------------------------------
# Stratified assignment of groups


def allocate(n: int, ratios: tuple[float, ...]) -> list[int]:
    """Split ``n`` items by ``ratios`` with largest-remainder rounding."""
    exact = [n * r for r in ratios]
    counts = [int(e) for e in exact]
    for i in sorted(range(len(ratios)), key=lambda i: exact[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    return counts


class _Balance:
    """How full each split is, per dimension: 0 images, 1 backgrounds, 2... each class."""

    def __init__(self, names: tuple[str, ...], ratios: tuple[float, ...], classes_per_image: dict[str, list[int]], images: list[str]):
        self.names = names
        self.share = dict(zip(names, ratios))
        classes = sorted({c for cl in classes_per_image.values() for c in cl})
        self.dim_of = {c: 2 + i for i, c in enumerate(classes)}
        self.classes_per_image = classes_per_image
        self.cache: dict[str, dict[int, int]] = {}
        n_dims = 2 + len(classes)
        total = self.vector(images)
        self.totals = [max(total.get(d, 0), 1) for d in range(n_dims)]
        self.current = {s: [0] * n_dims for s in names}

    def image_vector(self, m: str) -> dict[int, int]:
        v = self.cache.get(m)
        if v is None:
            cl = set(self.classes_per_image.get(m, []))
            v = {0: 1, **({1: 1} if not cl else {}), **{self.dim_of[c]: 1 for c in cl}}
            self.cache[m] = v
        return v

    def vector(self, members: Iterable[str]) -> dict[int, int]:
        total: dict[int, int] = {}
        for m in members:
            for d, k in self.image_vector(m).items():
                total[d] = total.get(d, 0) + k
        return total

    def add(self, split: str, v: dict[int, int], sign: int = 1) -> None:
        if split in self.current:  # a split the ratios do not cover (a publisher's test) is not balanced
            row = self.current[split]
            for d, k in v.items():
                row[d] += sign * k

    def fill(self, split: str, v: dict[int, int]) -> tuple[float, float]:
        """How full ``split`` would be with ``v``, relative to its share: its classes and backgrounds, then images."""
        row, r = self.current[split], self.share[split]
        level = sum(k * (row[d] + k) / self.totals[d] for d, k in v.items() if d) / r
        return level + (row[0] + v[0]) / (r * self.totals[0]), -r

    def level(self, split: str, image: str) -> float:
        return sum(self.current[split][d] / (self.share[split] * self.totals[d]) for d in self.image_vector(image) if d)


def _free_groups(groups: dict[str, list[str]], fixed: dict[str, str], balance: _Balance, seed: int) -> tuple[dict, list[str]]:
    """Groups with images still to place (key -> (members, splits of their pinned images)), in
    placement order: largest first, then rarest class, ties in a seeded order."""
    free = {}
    for key in sorted(groups):
        members = [m for m in groups[key] if m not in fixed]
        if members:
            free[key] = (members, sorted({fixed[m] for m in groups[key] if m in fixed}))
    keys = sorted(free)
    random.Random(seed).shuffle(keys)
    n_images = sum(len(g) for g in groups.values())

    def rarest(key):
        dims = {d for m in free[key][0] for d in balance.image_vector(m) if d >= 2}
        return min((balance.totals[d] for d in dims), default=n_images + 1)

    keys.sort(key=lambda k: (-len(free[k][0]), rarest(k)))  # stable: ties keep the seeded order
    return free, keys


def _place_greedily(free: dict, keys: list[str], balance: _Balance, assignment: dict[str, str]) -> dict[str, list[str]]:
    """Each group to the split least full relative to its share (or where its pinned image is)."""
    placed: dict[str, list[str]] = {s: [] for s in balance.names}
    for key in keys:
        members, pinned = free[key]
        v = balance.vector(members)
        best = pinned[0] if pinned else min(balance.names, key=lambda s: balance.fill(s, v))  # pinned: no leakage
        balance.add(best, v)
        placed.setdefault(best, []).append(key)
        for m in members:
            assignment[m] = best
    return placed


def _even_out_counts(free: dict, placed: dict, balance: _Balance, assignment: dict[str, str], images: list[str], ratios) -> None:
    """Exact image counts where single images allow it: move the single image whose classes the
    donor holds most of (relative to its share) to the split below its count."""
    names = balance.names
    target = dict(zip(names, allocate(len(images), ratios)))
    count = Counter(assignment[m] for m in images)
    for _ in range(len(images)):
        over = [s for s in names if count[s] > target[s]]
        under = [s for s in names if count[s] < target[s]]
        if not over or not under:
            return
        donor, taker = over[0], under[0]
        singles = [k for k in placed[donor] if len(free[k][0]) == 1 and not free[k][1]]
        if not singles:
            return
        key = max(singles, key=lambda k: (balance.level(donor, free[k][0][0]) - balance.level(taker, free[k][0][0]), k))
        image = free[key][0][0]
        placed[donor].remove(key)
        placed[taker].append(key)
        balance.add(donor, balance.image_vector(image), -1)
        balance.add(taker, balance.image_vector(image))
        assignment[image] = taker
        count[donor] -= 1
        count[taker] += 1


def _fill_empty_splits(free: dict, placed: dict, balance: _Balance, assignment: dict[str, str]) -> None:
    """Every split holds at least one image: the smallest group of the fullest split moves."""
    names = balance.names
    for s in names:
        if any(split == s for split in assignment.values()):
            continue
        donor = max(names, key=lambda d: (len(placed[d]) > 1, balance.current[d][0]))
        if len(placed[donor]) <= 1:
            return
        key = min(placed[donor], key=lambda k: (len(free[k][0]), k))
        placed[donor].remove(key)
        placed[s].append(key)
        for m in free[key][0]:
            assignment[m] = s
        balance.add(s, balance.vector(free[key][0]))
        balance.add(donor, balance.vector(free[key][0]), -1)


def assign_groups(
    groups: dict[str, list[str]],
    classes_per_image: dict[str, list[int]],
    ratios: tuple[float, ...],
    seed: int = 42,
    fixed: dict[str, str] | None = None,
) -> dict[str, str]:
    """Stratified, reproducible assignment of whole groups of images to split names.

    Greedy: groups are visited largest first, then by their rarest class, in a seeded order, and
    each goes to the split that is least full relative to its share, in images, backgrounds and
    every class the group holds. ``fixed`` (image -> split) is kept as given and counted first
    (a split outside ``ratios``, such as a publisher's test, is kept but not balanced). Then
    single images even out the counts, and every split gets at least one group when there are enough.

    Args:
        groups: group key -> its images.
        classes_per_image: image -> class ids of its objects.
        ratios: (train, val) or (train, val, test) shares.
        seed: the same seed gives the same assignment.
        fixed: images whose split is given.

    Returns:
        Image -> split name.

    Examples:
        >>> sorted(assign_groups({"a": ["a.jpg"], "b": ["b.jpg"]}, {"a.jpg": [0], "b.jpg": [0]}, (0.5, 0.5)).items())
        [('a.jpg', 'val'), ('b.jpg', 'train')]
    """
    names = SPLIT_NAMES[: len(ratios)]
    fixed = dict(fixed or {})
    images = [m for g in groups.values() for m in g]
    balance = _Balance(names, tuple(ratios), classes_per_image, images)
    for image, split in fixed.items():
        balance.add(split, balance.image_vector(image))
    free, keys = _free_groups(groups, fixed, balance, seed)
    assignment = dict(fixed)
    placed = _place_greedily(free, keys, balance, assignment)
    _even_out_counts(free, placed, balance, assignment, [m for m in images if assignment.get(m) in names], ratios)
    _fill_empty_splits(free, placed, balance, assignment)
    return assignment


def assign_splits(classes_per_image: dict[str, list[int]], ratios: tuple[float, ...], seed: int = 42) -> dict[str, str]:
    """Stratified, reproducible assignment of image names to split names (each image on its own)."""
    return assign_groups({name: [name] for name in classes_per_image}, classes_per_image, ratios, seed)
