"""The code keeps the rules pyproject.toml's [tool.ruff] promises: ``ruff check`` finds nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> Path:
    """The ruff of this venv (the dev extra), beside the Python that runs the tests."""
    scripts = Path(sys.executable).parent
    for name in ("ruff", "ruff.exe"):
        if (scripts / name).is_file():
            return scripts / name
    pytest.fail(f"ruff is not installed in {scripts.parent}: pip install -e '.[dev]'")


def test_ruff_is_clean():
    """Unused imports, stale ``# noqa`` markers, likely bugs: every finding is listed, with its file and line."""
    result = subprocess.run([str(_ruff()), "check", "--no-cache", "--output-format", "concise"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"ruff check found:\n{result.stdout}{result.stderr}"


def test_ruff_checks_every_folder_of_python():
    """The include list reaches the package, its subpackages, the tests, benchmarks, site hooks and conftest.py."""
    listed = subprocess.run([str(_ruff()), "check", "--no-cache", "--show-files"], cwd=ROOT, capture_output=True, text=True)
    checked = {Path(line).resolve() for line in listed.stdout.splitlines() if line.strip()}
    expected = [ROOT / "conftest.py", *ROOT.glob("yolo_training/**/*.py"), *ROOT.glob("tests/*.py"),
                *ROOT.glob("benchmarks/*.py"), *ROOT.glob("docs/hooks/*.py")]
    missed = sorted(str(p.relative_to(ROOT)) for p in expected if p.resolve() not in checked)
    assert not missed, f"ruff does not check: {missed}"
