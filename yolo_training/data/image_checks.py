"""Checking image files: readable, complete, the format their name says, upright, named safely.

Only the header is decoded (a JPEG's markers are read directly, 3x faster than PIL's header
parsing); a truncated JPEG or PNG is told by its missing end marker. Every problem names the file
and says what to do; nothing is changed.

- :func:`inspect_image`: size, format and the problems of one image.
- :func:`name_problems`: file names that break other tools (upper-case endings, spaces, accents).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

from .labels import LabelProblem

FORMAT_SUFFIXES = {
    "JPEG": {".jpg", ".jpeg"},
    "MPO": {".jpg", ".jpeg", ".mpo"},  # phone cameras write MPO that every reader opens as JPEG
    "PNG": {".png"},
    "BMP": {".bmp"},
    "WEBP": {".webp"},
    "TIFF": {".tif", ".tiff"},
}


def jpeg_header(data: bytes) -> tuple[int, int, int] | None:
    """(width, height, EXIF orientation) of a baseline/progressive JPEG from its markers, or None
    when ``data`` is not a JPEG this simple reader understands (PIL then reads it)."""
    if data[:3] != b"\xff\xd8\xff":
        return None
    i, n, orientation = 2, len(data), 1
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = struct.unpack_from(">H", data, i + 2)[0]
        if marker == 0xE1 and data[i + 4 : i + 10] == b"Exif\x00\x00":
            orientation = _exif_orientation(data[i + 10 : i + 2 + length])
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > n:
                return None
            height, width = struct.unpack_from(">HH", data, i + 5)
            return width, height, orientation
        elif marker == 0xDA:  # image data before any frame header: let PIL judge
            return None
        i += 2 + length
    return None


def _exif_orientation(tiff: bytes) -> int:
    try:
        endian = {b"II": "<", b"MM": ">"}[tiff[:2]]
        offset = struct.unpack_from(endian + "I", tiff, 4)[0]
        count = struct.unpack_from(endian + "H", tiff, offset)[0]
        for k in range(count):
            tag, _, _, value = struct.unpack_from(endian + "HHIH", tiff, offset + 2 + 12 * k)
            if tag == 0x0112:
                return value
    except (KeyError, struct.error):
        pass
    return 1


def inspect_image(path: Path, key: str | None = None, data: bytes | None = None) -> dict:
    """Header facts of one image and the problems in it (reads the file once, decodes only the header).

    Args:
        path: the image file.
        key: the dataset's name of the image, recorded in each problem.
        data: the file's bytes when the caller has read them already.

    Returns:
        ``width``, ``height`` (as displayed, EXIF rotation applied), ``format``, ``size`` (bytes)
        and ``problems`` (a list of :class:`~yolo_training.data.labels.LabelProblem`).
    """
    facts: dict = dict(width=0, height=0, format="", size=0, problems=[])
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as err:
            facts["problems"].append(LabelProblem(path, 0, f"cannot be read ({err}).", "unreadable", "error", key))
            return facts
    _check_image(path, data, facts)
    for problem in facts["problems"]:
        problem.image = key
    return facts


def _check_image(path: Path, data: bytes, facts: dict) -> None:
    from PIL import Image

    problems = facts["problems"]
    facts["size"] = len(data)
    try:
        header = jpeg_header(data)  # the common case, without PIL's full header parsing (3x faster)
        if header is not None:
            fmt, (width, height, orientation), alpha = "JPEG", header, False
        else:
            fmt = ""
        if not fmt:
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format or ""
                width, height = im.size
                orientation = im.getexif().get(274, 1) if fmt in ("JPEG", "MPO", "TIFF", "WEBP", "PNG") else 1
                alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
        if fmt == "PNG" and b"IEND" in data[-32:]:  # a cut-off PNG is reported as truncated below
            with Image.open(io.BytesIO(data)) as im:
                im.verify()  # checks the chunk CRCs: catches a damaged PNG
    except Exception as err:  # PIL raises many kinds; Ultralytics patches Image.open (HEIF)
        what = "is empty" if not data else f"is not an image any reader can open ({type(err).__name__}: {err})"
        problems.append(LabelProblem(path, 0, f"{what}. Export it again or remove it from the export.", "unreadable"))
        return
    facts.update(format=fmt)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    facts.update(width=width, height=height)
    suffix = path.suffix.lower()
    if fmt in ("JPEG", "MPO") and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        problems.append(LabelProblem(path, 0, "is truncated (the JPEG ends early: an interrupted copy or download). Copy it again from the original.", "truncated"))
    elif fmt == "PNG" and b"IEND" not in data[-32:]:
        problems.append(LabelProblem(path, 0, "is truncated (the PNG has no end chunk). Copy it again from the original.", "truncated"))
    if fmt and suffix not in FORMAT_SUFFIXES.get(fmt, {suffix}):
        extra = " with an alpha channel" if alpha else ""
        problems.append(
            LabelProblem(path, 0, f"holds a {fmt} image{extra} but is named {suffix}; some readers refuse it. fix='format' writes a real {suffix[1:].upper()} into the split.", "format")
        )
    elif alpha and suffix in (".jpg", ".jpeg"):
        problems.append(LabelProblem(path, 0, "has an alpha channel; fix='format' writes it without one.", "format", "warning"))
    if orientation not in (None, 1):
        problems.append(
            LabelProblem(
                path, 0,
                f"is stored rotated with an EXIF orientation tag ({orientation}): tools that ignore the tag show it turned, so its boxes "
                "may be off. Check it in the report's plots; fix='exif' writes the pixels upright into the split.",
                "exif", "warning",
            )
        )
    if min(width, height) < 10:
        problems.append(LabelProblem(path, 0, f"is only {width}x{height} pixels; Ultralytics refuses images under 10 pixels.", "tiny"))


def name_problems(path: Path, key: str | None = None) -> list[LabelProblem]:
    """Warnings about a file name that other tools and systems mishandle (none when it is fine)."""
    problems = []
    if path.suffix != path.suffix.lower():
        problems.append(LabelProblem(path, 0, f"upper-case extension {path.suffix}: case-sensitive systems (Linux, Colab) and some tools miss it; rename to {path.suffix.lower()}.", "extension", "warning"))
    if not path.name.isascii() or " " in path.name:
        what = " and ".join(w for w, bad in (("non-ASCII characters", not path.name.isascii()), ("spaces", " " in path.name)) if bad)
        problems.append(LabelProblem(path, 0, f"the file name has {what}; it works here, but scripts and other tools often break on them.", "file-name", "warning"))
    for problem in problems:
        problem.image = key
    return problems
