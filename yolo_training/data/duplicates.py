"""Exact and near-duplicate images: found so that a split never puts copies on both sides.

Exact duplicates have the same bytes (a content hash, computed only for files of equal size).
Near-duplicates look almost the same: their 64-bit difference hashes differ in a few bits and
their 4x4 colour thumbnails agree (:func:`dhash`). Groups are linked transitively.

:func:`near_duplicate_groups` scales with the number of images whatever they look like: each
image is compared, in one vectorised NumPy step, only with the *leaders* found so far (images
that started a group), looked up by bands of the hash. A fixed camera, where every frame is a
near-duplicate of the others, has a handful of leaders; distinct photos share few hash bands.
The result is exact: the same groups as comparing every pair.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

#: Two images whose 64-bit difference hashes differ in at most this many bits are near-duplicates...
HASH_THRESHOLD = 4
#: ...if they also agree in colour: mean absolute difference of 4x4 colour thumbnails (0-255) at
#: most this. Smooth gradients (plain walls, sky) give similar difference hashes alone.
COLOUR_THRESHOLD = 12.0
#: A near-duplicate group holding at least this share of the images means one scene dominates.
DOMINANT_SHARE = 0.5

_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def popcount(x: np.ndarray) -> np.ndarray:
    """Number of set bits of each uint64 (``np.bitwise_count`` on NumPy 2, a byte table on NumPy 1)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    x = np.ascontiguousarray(x, dtype=np.uint64)
    return _POPCOUNT8[x.view(np.uint8).reshape(x.shape + (8,))].sum(axis=-1, dtype=np.uint8)


def _reduction(width: int, height: int) -> int:
    """The JPEG decoder's scale (1/8, 1/4, 1/2) that still leaves at least 32 pixels a side."""
    for factor, flag in ((8, "IMREAD_REDUCED_COLOR_8"), (4, "IMREAD_REDUCED_COLOR_4"), (2, "IMREAD_REDUCED_COLOR_2")):
        if min(width, height) >= 32 * factor:
            return flag
    return "IMREAD_COLOR"


def dhash(image: str | Path, data: bytes | None = None, size: tuple[int, int] | None = None) -> tuple[int, bytes] | None:
    """Perceptual signature of an image: a 64-bit difference hash of the grey image plus a 4x4
    colour thumbnail. Similar pictures differ in few hash bits and little colour.

    Args:
        image: the image file.
        data: its bytes, when already read.
        size: its (width, height), when known: a large JPEG is then decoded at 1/8 of its size.

    Returns:
        ``(hash, thumbnail bytes)``, or None when the image cannot be decoded.

    Examples:
        >>> a, b = dhash("a.jpg"), dhash("b.jpg")  # doctest: +SKIP
        >>> bin(a[0] ^ b[0]).count("1")  # differing bits  # doctest: +SKIP
        2
    """
    import cv2

    if data is None:
        try:
            data = Path(image).read_bytes()
        except OSError:
            return None
    if size is None and data[:3] == b"\xff\xd8\xff":
        from .image_checks import jpeg_header

        header = jpeg_header(data)
        size = header[:2] if header else None
    flag = getattr(cv2, _reduction(*size)) if size else cv2.IMREAD_COLOR
    img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag) if data else None  # bytes: non-ASCII paths work on Windows
    if img is None:
        return None
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    thumb = cv2.resize(img, (4, 4), interpolation=cv2.INTER_AREA)
    return int.from_bytes(np.packbits(bits).tobytes(), "big"), thumb.tobytes()


def fingerprint(data: bytes) -> tuple[int, int]:
    """A cheap fingerprint of a file's bytes, (size, CRC-32): equal for equal files, rarely else."""
    return len(data), zlib.crc32(data)


def content_digests(paths: dict[str, Path], fingerprints: dict[str, tuple | None]) -> dict[str, str]:
    """SHA-1 of the files whose :func:`fingerprint` another file shares (only those can be exact
    duplicates; the SHA-1 tells a CRC collision from a copy)."""
    by_print = defaultdict(list)
    for name, key in fingerprints.items():
        if key and key[0]:
            by_print[key].append(name)
    return {name: hashlib.sha1(paths[name].read_bytes()).hexdigest() for names in by_print.values() if len(names) > 1 for name in names}


def exact_duplicate_groups(digests: dict[str, str]) -> list[list[str]]:
    """Groups of names with the same content digest, each sorted."""
    by_digest = defaultdict(list)
    for name, digest in digests.items():
        if digest:
            by_digest[digest].append(name)
    return sorted(sorted(g) for g in by_digest.values() if len(g) > 1)


class _Leaders:
    """Images that started a group: their hashes, thumbnails, members and group labels."""

    def __init__(self, n: int, n_thumb: int):
        self.hash = np.empty(n, dtype=np.uint64)
        self.thumb = np.empty((n, n_thumb), dtype=np.int16)
        self.group = np.empty(n, dtype=np.int64)  # leader -> group label (the smallest leader in it)
        self.item: list[int] = []  # leader -> image index

    def __len__(self) -> int:
        return len(self.item)

    def add(self, image: int, h, thumb: np.ndarray) -> int:
        k = len(self.item)
        self.hash[k], self.thumb[k], self.group[k] = h, thumb, k
        self.item.append(image)
        return k

    def merge(self, labels: list[int]) -> int:
        """Make the groups with these labels one; returns its label."""
        labels = sorted(set(labels))
        if len(labels) > 1:
            groups = self.group[: len(self.item)]
            groups[np.isin(groups, labels[1:])] = labels[0]
        return labels[0]


def _outside(labels: np.ndarray, joined: list[int]) -> np.ndarray:
    """Mask of ``labels`` not in ``joined`` (``np.isin`` costs tens of microseconds; one label is the rule)."""
    return labels != joined[0] if len(joined) == 1 else ~np.isin(labels, joined)


#: Leaders whose colour is compared with an image in one vectorised step (the first hit is enough).
_CHUNK = 64


def _components(hashes: np.ndarray, thumbs: np.ndarray, threshold: int, colour_sum: int) -> np.ndarray:
    """Group label of each image under: hash bits <= threshold and colour difference <= colour_sum.

    An image's hash is compared with every leader's in one vectorised step (a population count
    over an array); only leaders within twice the thresholds can matter (triangle inequality:
    a near-duplicate that a leader took in is that close to the leader). The image joins the
    group of the first leader it is a near-duplicate of, and of any other group it touches: a
    leader of it that is a near-duplicate, or else one of that leader's members. An image that
    is no leader's near-duplicate becomes a leader. So the groups are exactly those of comparing
    every pair, at the cost of comparing each image with the leaders only.
    """
    n = len(hashes)
    leaders = _Leaders(n, thumbs.shape[1])
    leader_of = np.empty(n, dtype=np.int64)

    def colour(rows: np.ndarray, i: int) -> np.ndarray:
        return np.abs(leaders.thumb[rows] - thumbs[i]).sum(axis=1)

    def touches(leader: int, i: int) -> bool:  # is one of the images the leader took in a near-duplicate of i?
        m = np.flatnonzero(leader_of[:i] == leader)
        return bool(((popcount(hashes[m] ^ hashes[i]) <= threshold) & (np.abs(thumbs[m] - thumbs[i]).sum(axis=1) <= colour_sum)).any())

    for i in range(n):
        bits = popcount(leaders.hash[: len(leaders)] ^ hashes[i])
        close = np.flatnonzero(bits <= 2 * threshold)
        first, joined = None, []
        pending = close[bits[close] <= threshold]
        while pending.size:  # leaders it is a near-duplicate of, one group each
            chunk, pending = pending[:_CHUNK], pending[_CHUNK:]
            hits = chunk[colour(chunk, i) <= colour_sum]
            if hits.size:
                first = int(hits[0]) if first is None else first
                joined += np.unique(leaders.group[hits]).tolist()
                pending = pending[_outside(leaders.group[pending], joined)]
        others = close[_outside(leaders.group[close], joined)] if joined else close
        others = others[colour(others, i) <= 2 * colour_sum] if others.size else others
        k = first if first is not None else leaders.add(i, hashes[i], thumbs[i])
        leader_of[i] = k
        for other in others.tolist():  # close leaders of other groups: does one of their members touch it?
            if leaders.group[other] not in joined and touches(other, i):
                joined.append(int(leaders.group[other]))
        leaders.merge(joined + [int(leaders.group[k])])
    return leaders.group[leader_of]


def near_duplicate_groups(
    hashes: dict[str, tuple[int, bytes] | None], threshold: int = HASH_THRESHOLD, colour: float = COLOUR_THRESHOLD
) -> list[list[str]]:
    """Groups of names whose :func:`dhash` signatures differ in at most ``threshold`` bits and
    ``colour`` levels (linked transitively).

    Args:
        hashes: image name -> its :func:`dhash` (None for an unreadable image, left out).
        threshold: the most hash bits two near-duplicates differ in.
        colour: the largest mean difference of their colour thumbnails (0-255).

    Returns:
        The groups of more than one image, sorted.

    Examples:
        >>> near_duplicate_groups({"a.jpg": dhash("a.jpg"), "b.jpg": dhash("b.jpg")})  # doctest: +SKIP
        [['a.jpg', 'b.jpg']]
    """
    names = sorted(n for n, h in hashes.items() if h is not None)
    if len(names) < 2:
        return []
    values = np.array([hashes[n][0] for n in names], dtype=np.uint64)
    thumbs = np.stack([np.frombuffer(hashes[n][1], dtype=np.uint8) for n in names]).astype(np.int16)
    colour_sum = int(np.floor(colour * thumbs.shape[1] + 1e-9))  # mean <= colour, in whole levels
    groups: dict[int, list[str]] = defaultdict(list)
    for name, label in zip(names, _components(values, thumbs, threshold, colour_sum).tolist()):
        groups[label].append(name)
    return sorted(g for g in groups.values() if len(g) > 1)
