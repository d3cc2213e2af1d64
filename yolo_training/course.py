"""The course's notebooks in two versions: the instructor's (with solutions) and the students'.

Cells tagged ``solution`` hold the answers to the "Task" boxes. :func:`student_version` writes
the notebooks without them (an empty cell takes each one's place, for the student's answer),
like fastbook's ``clean/`` folder; the instructor version is the one in ``notebooks/``.
"""

from __future__ import annotations

from pathlib import Path

from ._errors import YoloTrainingError
from ._folders import replace_output

#: The tag of a cell that holds a solution (Jupyter: View > Cell toolbar > Tags, or the property inspector).
SOLUTION_TAG = "solution"
#: What replaces a solution cell in the student version.
ANSWER_PLACEHOLDER = "# Your answer here (see the Task above)\n"
#: Marks a folder written by :func:`student_version`; only such a folder is ever replaced.
COURSE_MARKER = ".yolo-training-course"


def notebooks_dir() -> Path:
    """The course's notebooks: ``notebooks/`` of the project."""
    from .env import project_root

    return project_root() / "notebooks"


def is_solution(cell) -> bool:
    """True for a cell tagged ``solution``."""
    return SOLUTION_TAG in (cell.get("metadata", {}).get("tags") or [])


def strip_solutions(nb):
    """A copy of a notebook (an ``nbformat`` node) with every solution cell emptied and outputs cleared."""
    import copy

    from nbformat.v4 import new_code_cell

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if is_solution(cell):
            placeholder = new_code_cell(ANSWER_PLACEHOLDER.rstrip("\n"))
            placeholder.metadata["tags"] = ["exercise"]
            placeholder["id"] = cell.get("id", placeholder["id"])
            cells.append(placeholder)
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    return nb


def student_version(out: str | Path, source: str | Path | None = None, overwrite: bool = False) -> list[Path]:
    """Write the students' version of every notebook in ``source`` (default: the course's) to ``out``.

    Solution cells become empty cells; everything else is kept, outputs cleared. Returns the
    written notebooks. ``out`` must be new or empty, or a folder written here before
    (replaced with ``overwrite=True``).
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
        nb = nbformat.read(path, as_version=4)
        student = strip_solutions(nb)
        nbformat.validate(student)
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
    return written
