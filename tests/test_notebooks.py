"""The course's notebooks as files: committed clean, built as the course promises, and the student version.

Running them is nbval's job (`pytest notebooks/`, part of `make test`); these checks are quick,
except the run of the student version (marked slow).
"""

from __future__ import annotations

import ast
import json
import re
import sys

import nbformat
import pytest

import yolo_training as yt
from yolo_training.course import chapters as chapter
from yolo_training.course import student as course
from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = [c.notebook for c in chapter.CHAPTERS]  # the registry (tests/test_chapter.py checks it against notebooks/)
TRAINING_CALLS = ("yt.train(", "yt.continue_training(", "yt.resume(", "yt.explore(")


def _load(name: str):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("name", CHAPTERS)
def test_committed_without_outputs_or_execution_counts(name):
    raw = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(raw["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert dirty == [], f"{name}: cells {dirty} have outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_follows_the_course_pattern(name):
    nb = _load(name)
    nbformat.validate(nb)
    info = chapter.CHAPTERS[CHAPTERS.index(name)]
    step = info.number
    code = _code(nb)
    # the first code cell installs the package only when the import fails (a hosted notebook)
    first = code[0].source
    assert "import yolo_training" in first and "except ImportError" in first and "pip install" in first
    # the second sets the chapter up in one call
    assert f'ch = yt.start_chapter({step}, needs="{info.needs}")' in code[1].source
    # (drawing the sample in another publisher's layout, to practise bringing a dataset, is not set-up)
    setup = [c for c in code if "project_root()" in c.source or ("generate_sample(" in c.source and "layout=" not in c.source)]
    assert not setup, "set-up belongs to start_chapter"
    # (the "where we are" diagram, the heading and the Next link: tests/test_chapter.py, against the registry)
    assert any(c.cell_type == "markdown" and "**Task" in c.source for c in nb.cells), "no Task box"
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Summary")
    if name != CHAPTERS[-1]:
        assert f"({CHAPTERS[CHAPTERS.index(name) + 1]}.ipynb)" in last.source, "the summary links to the next chapter"


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_task_is_an_nbgrader_assignment(name):
    """A Task box, then the student's solution cell, then an autograded check (and maybe a written answer)."""
    cells = _load(name).cells
    ids = set()
    for i, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader")
        if meta:
            assert meta["schema_version"] == course.NBGRADER_SCHEMA and meta["grade_id"] not in ids
            ids.add(meta["grade_id"])
        if not (cell.cell_type == "markdown" and cell.source.startswith("> **Task")):
            continue
        solution, check = cells[i + 1], cells[i + 2]
        assert course.is_solution(solution) and solution.cell_type == "code", f"{name}: the Task in cell {i} has no solution cell after it"
        assert "### BEGIN SOLUTION" in solution.source and "### END SOLUTION" in solution.source
        assert course.is_check(check) and check.cell_type == "code" and check.metadata.nbgrader["points"] > 0, \
            f"{name}: the Task in cell {i} has no autograded check after its solution"
        assert "assert " in check.source
    for cell in cells:  # nothing graded hides outside nbgrader's cells
        if "BEGIN HIDDEN TESTS" in cell.source:
            assert course.is_check(cell)
        if "BEGIN SOLUTION" in cell.source:
            assert course.is_solution(cell)


def test_the_install_cell_does_nothing_here():
    """In the project's environment the import succeeds, so nothing is installed."""
    calls, namespace = _run_install_cell()
    assert calls == [] and namespace["yolo_training"] is yt


def _run_install_cell(env: dict | None = None, monkeypatch=None):
    from IPython.core.inputtransformer2 import TransformerManager

    source = TransformerManager().transform_cell(_code(_load("01_data_acquisition"))[0].source)
    calls = []

    def run_line_magic(self, name, line, _stack_depth=1):
        calls.append((name, line.format(**namespace)))

    namespace = {"get_ipython": lambda: type("Shell", (), {"run_line_magic": run_line_magic})()}
    exec(compile(source, "install-cell", "exec"), namespace)
    return calls, namespace


def test_the_install_cell_installs_the_course_named_by_its_setting(monkeypatch):
    """A hosted notebook without the package: the address comes from YOLO_TRAINING_COURSE_URL, or the cell says how to set it."""
    monkeypatch.setitem(sys.modules, "yolo_training", None)  # `import yolo_training` raises ImportError
    monkeypatch.delenv("YOLO_TRAINING_COURSE_URL", raising=False)
    with pytest.raises(RuntimeError, match="YOLO_TRAINING_COURSE_URL is not set.*%env YOLO_TRAINING_COURSE_URL="):
        _run_install_cell()
    monkeypatch.setenv("YOLO_TRAINING_COURSE_URL", "git+https://example.org/course.git")
    calls, _ = _run_install_cell()
    assert calls == [("pip", "install --quiet git+https://example.org/course.git")]


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_address_in_a_code_cell(name):
    """No placeholder URL: the course's address is one setting (YOLO_TRAINING_COURSE_URL), never written in a notebook."""
    assert not [c.source for c in _code(_load(name)) if "://" in c.source]


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_training_cell_has_the_course_budget(name):
    """Training settings and budgets live in one table (chapter.BUDGETS); each training cell names its entry."""
    for cell in _code(_load(name)):
        if any(call in cell.source for call in TRAINING_CALLS):
            used = re.findall(r'ch\.budget\("([^"]+)"\)', cell.source)
            assert len(used) == 1 and used[0] in chapter.BUDGETS, f"{name}: a training cell without ch.budget(...):\n{cell.source}"
            assert chapter.BUDGETS[used[0]].chapter == int(name[:2])


def test_every_budget_is_used_once():
    used = [m for name in CHAPTERS for c in _code(_load(name)) for m in re.findall(r'ch\.budget\("([^"]+)"\)', c.source)]
    assert sorted(used) == sorted(chapter.BUDGETS)


def _names(source: str, kind) -> set[str]:
    from IPython.core.inputtransformer2 import TransformerManager

    tree = ast.parse(TransformerManager().transform_cell(source))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, kind)} | (
        {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))} if kind is ast.Store else set()
    )


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_cell_needs_a_solution(name):
    """What only a solution defines is used by no later cell but the checks: the student version runs past its stubs."""
    teacher = _load(name)
    student = course.strip_solutions(teacher, name)
    in_solutions = set().union(*(_names(c.source, ast.Store) for c in _code(teacher) if course.is_solution(c)))
    elsewhere = set().union(*(_names(c.source, ast.Store) for c in _code(student)))
    only_in_solutions = in_solutions - elsewhere
    for cell in _code(student):
        if course.is_solution(cell) or course.is_check(cell):
            continue
        used = _names(cell.source, ast.Load) & only_in_solutions
        assert not used, f"{name}: a cell uses {sorted(used)}, which only a solution defines:\n{cell.source}"


def test_student_version(tmp_path):
    out = tmp_path / "student"
    written = course.student_version(out)
    assert [p.stem for p in written] == CHAPTERS
    n_solutions = 0
    for path in written:
        teacher, student = _load(path.stem), nbformat.read(path, as_version=4)
        nbformat.validate(student)
        assert len(student.cells) == len(teacher.cells)
        for t, s in zip(teacher.cells, student.cells):
            assert s.metadata.get("nbgrader", {}).get("grade_id") == t.metadata.get("nbgrader", {}).get("grade_id")
            if course.is_solution(t):
                n_solutions += 1
                stub = course.CODE_STUB if t.cell_type == "code" else course.TEXT_STUB
                if "### BEGIN SOLUTION" in t.source:  # the region becomes the stub, the code around it stays
                    before, _, after = t.source.partition("### BEGIN SOLUTION\n")
                    assert s.source == before + stub + "\n" + after.partition("### END SOLUTION\n")[2]
                else:  # a written answer: the whole cell
                    assert s.source == stub
                assert s.metadata["deletable"] is False
            elif course.is_check(t):
                assert "HIDDEN TESTS" not in s.source and s.source == t.source.split("### BEGIN HIDDEN TESTS")[0].rstrip("\n")
                assert s.metadata["editable"] is False and s.metadata["nbgrader"]["checksum"] == course.checksum(s)
            else:
                assert s.source == t.source
    assert n_solutions >= 14
    # the instructor's notebooks are untouched, and a second call refuses to overwrite without asking
    with pytest.raises(yt.OutputExistsError):
        course.student_version(out)
    assert len(course.student_version(out, overwrite=True)) == 7
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.ipynb").write_text("{}")
    with pytest.raises(yt.NotGeneratedError):
        course.student_version(mine)


def test_a_marker_outside_nbgrader_cells_is_refused():
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")])
    with pytest.raises(yt.YoloTrainingError, match="not a solution cell"):
        course.strip_solutions(nb, "broken.ipynb")
    nb = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1")])
    nb.cells[0].metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "x", "schema_version": 3}
    with pytest.raises(yt.YoloTrainingError, match="without 'END SOLUTION'"):
        course.strip_solutions(nb, "broken.ipynb")


def test_course_command(tmp_path, capsys):
    from yolo_training.cli import main

    assert main(["course", "--student", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "07_inference.ipynb").is_file()
    assert main(["course", "--student", str(tmp_path / "s")]) == 2
    assert "overwrite" in capsys.readouterr().err


@pytest.mark.slow
def test_student_version_runs(tmp_path, course_project, monkeypatch):
    """The student version of the chapters that train nothing runs top to bottom; only its stubs and checks fail."""
    from nbclient import NotebookClient

    # 02's live Label Studio part (a server start and maybe a tiny training) is nbval's to run; here it is skipped
    monkeypatch.setenv("YOLO_TRAINING_NO_LABEL_STUDIO", "1")
    written = course.student_version(tmp_path / "student")
    for path in written[:2]:  # acquisition and annotation: seconds each
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(course_project)}}).execute()
        for cell in _code(nb):
            errors = [o.ename for o in cell.outputs if o.output_type == "error"]
            if course.is_solution(cell):
                assert errors == ["NotImplementedError"], f"{path.name}: {cell.source}"
            elif course.is_check(cell):
                assert errors in (["NameError"], ["AssertionError"]), f"{path.name}: {cell.source}"
            else:
                assert errors == [], f"{path.name}: {cell.source}\n{errors}"
        assert any(o.output_type == "display_data" and "image/png" in o.data for c in _code(nb) for o in c.outputs)
    assert (course_project / "data" / "raw" / "webcam").is_dir(), "chapter 1 worked in the test's project"
