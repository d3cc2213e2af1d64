"""The course's notebooks in two versions, in nbgrader's format: the instructor's and the students'.

Every "Task" of a chapter is an nbgrader assignment, marked the way nbgrader reads it:

* a **solution cell** (cell metadata ``nbgrader.solution``) whose answer sits between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``; code outside the markers stays for the student;
* an **autograded check cell** right after it (``nbgrader.grade`` with ``points``): asserts that
  tell the student what is wrong, and hidden tests between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` that only the autograder runs;
* for a written answer, a **manually graded** markdown cell (solution and grade).

The notebooks in ``notebooks/`` are the instructor's version (``nbgrader generate_assignment``
reads them as its ``source/``). :func:`student_version` writes the students' version without
nbgrader installed and exactly as nbgrader's ``generate_assignment`` does: each solution region
(or a whole solution cell without markers) replaced by nbgrader's stub, hidden tests removed,
check cells locked, outputs cleared and nbgrader's checksums recorded, so an instructor can hand
out either and autograde with nbgrader.
"""

from __future__ import annotations

import copy
import json
import hashlib
import re
from pathlib import Path

from ..core.errors import YoloTrainingError
from ..core.folders import replace_output

#: The extras of the ``yolo-training`` package the course's notebooks use: the box editor
#: (chapter 2), the hyperparameter search (chapter 6), the ONNX export (chapter 7).
COURSE_EXTRAS = ("annotate", "explore", "onnx")
#: Weights the notebooks name, for when the notebooks cannot be read (see :func:`course_weights`).
COURSE_WEIGHTS = ("yolov8n", "yolov8s", "yolo11n", "yolo11s", "yolo11n-seg", "yolo26n-seg")

#: What nbgrader puts in place of a solution (its ``ClearSolutions`` defaults for Python and markdown).
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
#: The markers nbgrader looks for (its default delimiters), each on a line of its own after ``###``.
SOLUTION_REGION = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TESTS_REGION = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MARK_SCHEME_REGION = ("BEGIN MARK SCHEME", "END MARK SCHEME")
#: The version of nbgrader's cell metadata the notebooks carry.
NBGRADER_SCHEMA = 3
#: Marks a folder written by :func:`student_version`; only such a folder is ever replaced.
COURSE_MARKER = ".yolo-training-course"


def notebooks_dir() -> Path:
    """The course's notebooks: ``notebooks/`` of the project."""
    from ..core.env import project_root

    return project_root() / "notebooks"


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader") or {}


def is_solution(cell) -> bool:
    """True for an nbgrader solution cell (where the student answers)."""
    return bool(_nbgrader(cell).get("solution"))


def is_check(cell) -> bool:
    """True for an nbgrader grade cell: an autograded check, or a manually graded answer."""
    return bool(_nbgrader(cell).get("grade"))


def is_locked(cell) -> bool:
    """True for a cell nbgrader keeps as written: a check cell or a read-only cell (not a solution)."""
    meta = _nbgrader(cell)
    return not meta.get("solution") and bool(meta.get("grade") or meta.get("locked"))


def _without_region(source: str, region: tuple[str, str], stub: str | None, where: str) -> tuple[str, bool]:
    """``source`` with each ``region`` replaced by ``stub`` (indented as its marker) or removed; and whether one was found."""
    begin, end = region
    kept, inside, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise YoloTrainingError(f"{where}: a second '{begin}' before '{end}'.")
            inside = found = True
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)
                kept += [indent + s for s in stub.split("\n")]
        elif end in line:
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise YoloTrainingError(f"{where}: '{begin}' without '{end}'.")
    return "\n".join(kept), found


def checksum(cell) -> str:
    """nbgrader's checksum of a graded, solution or locked cell (``nbgrader.utils.compute_checksum``)."""
    meta = _nbgrader(cell)
    digest = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(is_check(cell)), str(is_solution(cell)), str(is_locked(cell)), meta["grade_id"]):
        digest.update(part.encode("utf-8"))
    if is_check(cell):
        digest.update(str(float(meta["points"])).encode("utf-8"))
    return digest.hexdigest()


def _record_checksums(nb) -> None:
    for cell in nb.cells:
        if is_check(cell) or is_solution(cell) or is_locked(cell):
            cell.metadata.nbgrader["checksum"] = checksum(cell)
            cell.metadata.nbgrader["cell_type"] = cell.cell_type


def _lock(cell) -> None:
    if is_solution(cell):
        cell.metadata["deletable"] = False
    elif is_locked(cell):
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False


def _clear_solution(cell, where: str) -> None:
    stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    cell.source, found = _without_region(cell.source, SOLUTION_REGION, stub, where)
    if found and not is_solution(cell):
        raise YoloTrainingError(f"{where}: a '{SOLUTION_REGION[0]}' region in a cell that is not a solution cell (nbgrader metadata).")
    if is_solution(cell) and not found:
        cell.source = stub


def _clear_outputs(cell) -> None:
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
        for key in ("collapsed", "scrolled"):
            cell.metadata.pop(key, None)


def strip_solutions(nb, name: str = "notebook"):
    """The students' version of one notebook (an ``nbformat`` node), as ``nbgrader generate_assignment`` makes it.

    Args:
        nb: The instructor's notebook.
        name: Its name, for error messages.

    Returns:
        A copy with every solution replaced by nbgrader's stub, hidden tests and mark schemes
        removed, solution and check cells locked, outputs cleared and nbgrader's checksums set.

    Examples:
        >>> import nbformat
        >>> nb = nbformat.read("notebooks/05_metrics.ipynb", as_version=4)  # doctest: +SKIP
        >>> "BEGIN SOLUTION" in nbformat.writes(strip_solutions(nb))  # doctest: +SKIP
        False
    """
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index} ({_nbgrader(cell).get('grade_id') or cell.get('id')})"
        _lock(cell)
        _clear_solution(cell, where)
        _clear_outputs(cell)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        cell.source, hidden = _without_region(cell.source, HIDDEN_TESTS_REGION, None, where)
        if hidden and not is_check(cell):
            raise YoloTrainingError(f"{where}: hidden tests in a cell that is not a check cell (nbgrader metadata).")
        cell.source, _ = _without_region(cell.source, MARK_SCHEME_REGION, None, where)
    _record_checksums(nb)
    nb.metadata.pop("celltoolbar", None)
    return nb


def student_version(out: str | Path, source: str | Path | None = None, overwrite: bool = False) -> list[Path]:
    """Write the students' version of every notebook in ``source`` (default: the course's) to ``out``.

    The same notebooks as nbgrader's ``generate_assignment`` writes (see :func:`strip_solutions`),
    without needing nbgrader. ``out`` must be new or empty, or a folder written here before
    (replaced with ``overwrite=True``).

    Args:
        out: The folder for the students' notebooks.
        source: The instructor's notebooks (default: ``notebooks/`` of the project).
        overwrite: Replace an earlier student version in ``out``.

    Returns:
        The notebooks written.

    Examples:
        >>> written = yt.student_version("student")  # doctest: +SKIP

        In a terminal: ``yolo-training course --student student``.
    """
    import nbformat

    source = Path(source) if source is not None else notebooks_dir()
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise YoloTrainingError(f"No notebooks (*.ipynb) in {source.resolve()}.")
    out = Path(out).expanduser().resolve()
    if out == source.resolve():
        raise YoloTrainingError(f"The student version cannot replace the instructor's notebooks in {out}; choose another folder.")
    replace_output(
        out, COURSE_MARKER, overwrite, "an earlier student version",
        f"The students' version of {source.resolve()}, written by `yolo-training course --student`; replaced when made again.",
    )
    written = []
    for path in notebooks:
        student = strip_solutions(nbformat.read(path, as_version=4), path.name)
        nbformat.validate(student)
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
    return written


def course_weights(notebooks: str | Path | None = None) -> list[str]:
    """The pretrained weights the course's notebooks name (``yolov8n``, ``yolo11n-seg`` ...).

    Args:
        notebooks: a folder of ``.ipynb`` files; default: the course's ``notebooks/``, else the
            project folder itself (a student's copy keeps its notebooks there).

    Returns:
        Model names, sorted; :data:`COURSE_WEIGHTS` when no notebook can be read.

    Examples:
        >>> "yolov8n" in course_weights()
        True
    """
    from ..core import env
    from ..training.models import model_names

    folders = [Path(notebooks)] if notebooks is not None else [notebooks_dir(), env.project_root()]
    files = next((sorted(f.glob("*.ipynb")) for f in folders if f.is_dir() and any(f.glob("*.ipynb"))), [])
    known = set(model_names())
    found = set()
    for path in files:
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        code = "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
        found.update(n for n in re.findall(r"\b(yolo(?:v8|11|26)[nsmlx](?:-seg|-cls)?)\b", code) if n in known)
    return sorted(found) if found else list(COURSE_WEIGHTS)
