"""Every pytest run, the chapters under nbval included: the fast profile, so every training run takes seconds.

The notebooks' kernels inherit this process's environment. The variable is set before any
kernel starts; a value given on the command line wins.

The chapters never run in the checkout: nbval's kernels (and the notebook tests in ``tests/``)
work in a temporary copy of the course project (:func:`make_course_project`), so a test run
neither writes ``runs/``, the split or ``config.yaml`` into the repository nor replaces a
student's or developer's own chapter 4 run with a 64-pixel one. ``YOLO_TRAINING_HOME`` given on
the command line wins here too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("YOLO_TRAINING_PROFILE", "fast")

CHECKOUT = Path(__file__).resolve().parent


def _link_or_copy_tree(source: Path, target: Path) -> None:
    try:
        target.symlink_to(source, target_is_directory=True)
    except OSError:  # no symlinks (Windows without the privilege): a copy does
        shutil.copytree(source, target)


def make_course_project(folder: str | os.PathLike, notebooks: bool = False) -> Path:
    """A fresh course project in ``folder``, as a student's checkout looks before chapter 1.

    The bundled sample export is copied (the chapters may not change it, and the tests check
    they do not); pretrained weights and Label Studio's environment of the checkout are linked
    when there are any, so the chapters run as they would here. ``notebooks=True`` copies the
    chapters too (for JupyterLab and nbgrader, which open them from the project).
    """
    project = Path(folder)
    project.mkdir(parents=True, exist_ok=True)
    shutil.copytree(CHECKOUT / "annotations" / "export", project / "annotations" / "export")
    if any((CHECKOUT / "weights").glob("*.pt")):
        _link_or_copy_tree(CHECKOUT / "weights", project / "weights")
    label_studio = CHECKOUT / ".label-studio" / "venv"
    if label_studio.is_dir():
        (project / ".label-studio").mkdir()
        _link_or_copy_tree(label_studio, project / ".label-studio" / "venv")
    if notebooks:
        shutil.copytree(CHECKOUT / "notebooks", project / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return project


def course_env(project: str | os.PathLike) -> dict[str, str]:
    """The environment variables that make a kernel or server work in ``project``, not in the checkout.

    ``import yolo_training`` in this process set ``YOLO_CONFIG_DIR`` to the checkout's ``.ultralytics``
    and child processes inherit it: the project's own config folder must replace it too.
    """
    project = Path(project)
    return {"YOLO_TRAINING_HOME": str(project), "YOLO_CONFIG_DIR": str(project / ".ultralytics")}


def _in_project(folder: Path):
    """A fresh course project with the chapters, the environment pointing at it until the fixture ends."""
    project = make_course_project(folder, notebooks=True)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in course_env(project).items():
            patch.setenv(key, value)
        yield project


@pytest.fixture
def course_project(tmp_path):
    """A fresh course project with the chapters (see :func:`make_course_project`), in the test's folder.

    The test's environment points at it (:func:`course_env`), so the kernels, servers and tools
    the test starts, and ``yt.project_root()`` in the test itself, work there.
    """
    yield from _in_project(tmp_path / "project")


@pytest.fixture(scope="module")
def module_course_project(tmp_path_factory):
    """The same, shared by the tests of a module (each chapter's test builds on the project the earlier left)."""
    yield from _in_project(tmp_path_factory.mktemp("course") / "project")


@pytest.fixture(autouse=True)
def _docstring_examples_in_a_folder_of_their_own(request, monkeypatch):
    """A docstring example (``--doctest-modules`` on ``yolo_training/``) runs as a student would type it.

    Without the fast profile (an example shows a student's defaults), in an empty project folder of
    its own that is also the working folder: whatever an example reads or writes is there, never in
    the checkout.
    """
    if type(request.node).__name__ != "DoctestItem":
        return
    project = request.getfixturevalue("tmp_path") / "project"
    project.mkdir()
    monkeypatch.delenv("YOLO_TRAINING_PROFILE", raising=False)
    for key, value in course_env(project).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(project)


_NBVAL_HOME: dict[str, str] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before nbval starts a chapter's kernel: point it at the session's temporary course project."""
    if item.path.suffix != ".ipynb" or os.environ.get("YOLO_TRAINING_HOME") and not _NBVAL_HOME:
        return
    if "home" not in _NBVAL_HOME:
        _NBVAL_HOME["home"] = str(make_course_project(Path(tempfile.mkdtemp(prefix="yolo-course-nbval-")) / "project"))
    for key, value in course_env(_NBVAL_HOME["home"]).items():
        _SAVED.setdefault(key, os.environ.get(key))
        os.environ[key] = value


_SAVED: dict[str, str | None] = {}


def pytest_runtest_teardown(item):
    """The kernel keeps its own environment; the other tests see the checkout again."""
    for key, value in _SAVED.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _SAVED.clear()


def pytest_sessionfinish(session):
    home = _NBVAL_HOME.get("home")
    if home and not session.testsfailed:
        shutil.rmtree(Path(home).parent, ignore_errors=True)
    elif home:
        print(f"\nThe chapters ran in {home} (kept: a chapter failed).")
