"""The course's notebooks as files: committed clean, built as the course promises, and the student version.

Running them is nbval's job (`pytest notebooks/`, part of `make test`); these checks are quick.
"""

from __future__ import annotations

import ast
import json
import os
import re

import nbformat
import pytest

import yolo_training as yt
from yolo_training import course

from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = [
    "01_data_acquisition",
    "02_annotation",
    "03_dataset_split",
    "04_training",
    "05_metrics",
    "06_fine_tuning",
    "07_inference",
]


def _load(name: str):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def test_the_seven_chapters_are_there():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == CHAPTERS


@pytest.mark.parametrize("name", CHAPTERS)
def test_committed_without_outputs_or_execution_counts(name):
    raw = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(raw["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert dirty == [], f"{name}: cells {dirty} have outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_follows_the_course_pattern(name):
    nb = _load(name)
    nbformat.validate(nb)
    step = int(name[:2])
    code = [c for c in nb.cells if c.cell_type == "code"]
    # the first code cell installs the package only when the import fails (a hosted notebook)
    first = code[0].source
    assert "import yolo_training" in first and "except ImportError" in first and "pip install" in first
    # the pipeline diagram, with this chapter's step highlighted
    diagram = next(c.source for c in nb.cells if c.cell_type == "markdown" and "```mermaid" in c.source)
    assert re.search(rf"style {'ABCDEFG'[step - 1]} fill", diagram)
    assert any(c.cell_type == "markdown" and "**Task" in c.source for c in nb.cells), "no Task box"
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Summary")
    if step < 7:
        assert f"({CHAPTERS[step]}.ipynb)" in last.source, "the summary links to the next chapter"


def test_the_install_cell_does_nothing_here():
    """In the project's environment the import succeeds, so nothing is installed."""
    from IPython.core.inputtransformer2 import TransformerManager

    source = TransformerManager().transform_cell(_load("01_data_acquisition").cells[2].source)
    calls = []
    namespace = {"get_ipython": lambda: type("Shell", (), {"run_line_magic": lambda self, *a: calls.append(a)})()}
    exec(compile(source, "install-cell", "exec"), namespace)
    assert calls == [] and namespace["yolo_training"] is yt


def _names(source: str, kind) -> set[str]:
    from IPython.core.inputtransformer2 import TransformerManager

    tree = ast.parse(TransformerManager().transform_cell(source))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, kind)} | (
        {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))} if kind is ast.Store else set()
    )


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_cell_needs_a_solution(name):
    """What a solution cell defines is never used by a later cell: the student version runs without them."""
    only_in_solutions: set[str] = set()
    defined: set[str] = set()
    for cell in _load(name).cells:
        if cell.cell_type != "code":
            continue
        if course.is_solution(cell):
            only_in_solutions |= _names(cell.source, ast.Store) - defined
            continue
        stored = _names(cell.source, ast.Store)  # assigned in the cell itself (before use, in these notebooks)
        used = _names(cell.source, ast.Load) & only_in_solutions - defined - stored
        assert not used, f"{name}: a cell uses {sorted(used)}, which only a solution cell defines"
        defined |= stored


def test_student_version(tmp_path):
    out = tmp_path / "student"
    written = course.student_version(out)
    assert [p.stem for p in written] == CHAPTERS
    n_solutions = 0
    for path in written:
        teacher, student = _load(path.stem), nbformat.read(path, as_version=4)
        nbformat.validate(teacher)
        nbformat.validate(student)
        solutions = [c for c in teacher.cells if course.is_solution(c)]
        n_solutions += len(solutions)
        assert not any(course.is_solution(c) for c in student.cells)
        assert len(student.cells) == len(teacher.cells)  # each solution became an empty answer cell
        assert sum(c.source == course.ANSWER_PLACEHOLDER.strip() for c in student.cells) == len(solutions)
        for c in solutions:
            assert c.source not in {s.source for s in student.cells}
    assert n_solutions >= 7
    # the instructor's notebooks are untouched, and a second call refuses to overwrite without asking
    with pytest.raises(yt.OutputExistsError):
        course.student_version(out)
    assert len(course.student_version(out, overwrite=True)) == 7
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.ipynb").write_text("{}")
    with pytest.raises(yt.NotGeneratedError):
        course.student_version(mine)


def test_course_command(tmp_path, capsys):
    from yolo_training.cli import main

    assert main(["course", "--student", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "07_inference.ipynb").is_file()
    assert main(["course", "--student", str(tmp_path / "s")]) == 2
    assert "overwrite" in capsys.readouterr().err


def test_student_version_runs(tmp_path, monkeypatch):
    """The student version of the chapters that train nothing runs top to bottom with its empty answer cells."""
    from nbclient import NotebookClient

    # 02's live Label Studio part (a server start and maybe a tiny training) is nbval's to run; here it is skipped
    monkeypatch.setenv("YOLO_TRAINING_NO_LABEL_STUDIO", "1")

    written = course.student_version(tmp_path / "student")
    for path in written[:2]:  # acquisition and annotation: seconds each
        nb = nbformat.read(path, as_version=4)
        env_before = os.environ.get("YOLO_TRAINING_PROFILE")
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
        assert env_before == os.environ.get("YOLO_TRAINING_PROFILE")
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert errors == []
        assert any(o.output_type == "display_data" and "image/png" in o.data for c in nb.cells if c.cell_type == "code" for o in c.outputs)
