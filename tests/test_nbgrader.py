"""The chapters are an nbgrader assignment: nbgrader makes the same student version we do, and grades both versions.

A temporary nbgrader course holds the seven chapters as the assignment ``course``. nbgrader's own
``generate_assignment`` writes its student version, which must equal ``course.student_version``'s
(made without nbgrader), byte for byte. Then ``nbgrader autograde`` grades two submissions: the instructor's
notebooks (every autograded check scores its points) and our student version, untouched (every
check scores zero; nothing crashes). The chapters run in a temporary project, in the fast profile.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from yolo_training.course import student as course
pytest.importorskip("nbgrader", reason="nbgrader is not installed (it is in the dev extra: pip install -e '.[dev]')")

ASSIGNMENT = "course"
CONFIG = """c = get_config()
c.CourseDirectory.course_id = "yolo-training"
c.CourseDirectory.root = {root!r}
c.Execute.timeout = 900
"""


def _nbgrader(course_dir: Path, *args: str) -> subprocess.CompletedProcess:
    # nbgrader runs the `alembic` program of its environment, which need not be on PATH (`make test` calls .venv/bin/python)
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env, capture_output=True, text=True,
                          timeout=3600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done


def _comparable(nb) -> list[dict]:
    return [json.loads(json.dumps({k: cell[k] for k in ("cell_type", "id", "metadata", "source")})) for cell in nb.cells]


@pytest.fixture
def nbgrader_course(tmp_path, course_project) -> Path:
    root = tmp_path / "nbgrader"
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for notebook in sorted((course_project / "notebooks").glob("*.ipynb")):
        shutil.copy2(notebook, source / notebook.name)
    (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root)), encoding="utf-8")
    return root


def test_nbgrader_makes_our_student_version(nbgrader_course, course_project, tmp_path):
    _nbgrader(nbgrader_course, "generate_assignment", ASSIGNMENT, "--force")
    released = sorted((nbgrader_course / "release" / ASSIGNMENT).glob("*.ipynb"))
    ours = course.student_version(tmp_path / "ours", source=course_project / "notebooks")
    assert [p.name for p in released] == [p.name for p in ours] and len(ours) == 7
    for theirs, mine in zip(released, ours):
        assert _comparable(nbformat.read(mine, as_version=4)) == _comparable(nbformat.read(theirs, as_version=4)), mine.name
        assert mine.read_bytes() == theirs.read_bytes(), f"{mine.name}: the same cells, but not the same file"


@pytest.mark.slow
def test_the_autograder_gives_the_instructor_every_point_and_the_untouched_student_version_none(
        nbgrader_course, course_project, tmp_path, monkeypatch):
    monkeypatch.setenv("YOLO_TRAINING_NO_LABEL_STUDIO", "1")  # chapter 2's live part is nbval's to run
    _nbgrader(nbgrader_course, "generate_assignment", ASSIGNMENT, "--force")
    submissions = {
        "instructor": sorted((nbgrader_course / "source" / ASSIGNMENT).glob("*.ipynb")),
        "student": course.student_version(tmp_path / "student", source=course_project / "notebooks"),
    }
    for student, notebooks in submissions.items():
        _nbgrader(nbgrader_course, "db", "student", "add", student)
        folder = nbgrader_course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for notebook in notebooks:
            shutil.copy2(notebook, folder / notebook.name)
    _nbgrader(nbgrader_course, "autograde", ASSIGNMENT, "--force")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{nbgrader_course / 'gradebook.db'}") as gradebook:
        scores = {}
        for student in submissions:
            for notebook in submissions[student]:
                graded = gradebook.find_submission_notebook(notebook.stem, ASSIGNMENT, student)
                for grade in graded.grades:
                    if grade.cell.cell_type == "code":  # autograded checks; written answers wait for a person
                        scores[student, grade.name] = (grade.auto_score, grade.max_score)
    instructor = {name: s for (who, name), s in scores.items() if who == "instructor"}
    student = {name: s for (who, name), s in scores.items() if who == "student"}
    assert len(instructor) >= 14 and instructor.keys() == student.keys()
    assert {name: s for name, s in instructor.items() if s[0] != s[1]} == {}, "the instructor's solutions lose points"
    assert {name: s for name, s in student.items() if s[0] != 0} == {}, "the untouched student version scores points"
