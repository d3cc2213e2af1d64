"""The workshop kit: one folder that installs the whole course on thirty laptops without internet.

An instructor runs ``yolo-training workshop pack OUT`` once, on a machine that is online. ``OUT``
then holds:

* ``wheels/``: every package the course needs (PyTorch, Ultralytics, JupyterLab ...) for each
  platform named (``--platform linux windows macos``), downloaded by pip with
  ``pip download --only-binary=:all: --platform ... --python-version ...``, and the course's own
  package as a wheel. ``locks/<platform>-cp<version>.txt`` pins what each platform installs;
* ``course/``: what every student gets: the students' version of the notebooks, the bundled
  sample and the pretrained weights the notebooks name;
* ``instructor/`` (``--instructor``): the notebooks with their solutions; ``site/``: the built
  course website, when one was built;
* ``install.sh`` (Linux, macOS) and ``install.ps1`` (Windows): create a virtual environment with
  ``pip install --no-index --find-links wheels/ ...``, copy the course, run ``yolo-training doctor``;
* ``README.txt`` for the class, in plain words, and ``pack.json``: what is in the pack, size per part.

PyTorch from PyPI is built with CUDA on Linux: a few GB of NVIDIA libraries a laptop without an
NVIDIA GPU never uses. When PyTorch's CPU index is reachable (``--torch-index``, by default
:data:`DEFAULT_TORCH_INDEX`), its CPU-only build is taken instead (same version, ``+cpu``).

pip evaluates the environment markers of dependencies (``sys_platform == "win32"``) for the machine
it runs on, not for ``--platform``: downloading for Windows from Linux would leave out Windows-only
packages (colorama, pywinpty) and ask for Linux-only ones (NVIDIA's). For another platform, pip
runs with that platform's marker values (see :data:`PLATFORMS`).

Whether one laptop is ready is :mod:`yolo_training.readiness` (``yolo-training workshop ready``).
"""

from __future__ import annotations

import json
import os
import platform as _platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core import env
from ..core.commands import Command
from ..core.common import existing_ancestor
from ..core.errors import DiskSpaceError, NotGeneratedError, YoloTrainingError
from ..core.folders import check_output, replace_output
from ..course.student import COURSE_EXTRAS, course_weights

#: Marks a folder written by :func:`pack`; only such a folder is ever replaced.
PACK_MARKER = ".yolo-training-pack"
#: PyTorch's index of CPU-only builds. Not on PyPI: reachable only where that host is.
DEFAULT_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"


@dataclass(frozen=True)
class Platform:
    """A platform a pack can hold wheels for.

    Attributes:
        name: the name given to ``--platform``.
        label: in plain words.
        tags: pip's ``--platform`` values (wheel platform tags), newest first.
        markers: the environment-marker values of that platform (PEP 508).
        wheels_gib: the wheelhouse's size for one Python version (GiB; measured for Python 3.11 in
            November 2026, with a margin), to check the disk before downloading.
        constraints: extra pins this platform needs.
        cuda_torch: whether PyPI's torch for it is the CUDA build (Linux).
    """

    name: str
    label: str
    tags: tuple[str, ...]
    markers: dict
    wheels_gib: float
    constraints: tuple[str, ...] = ()
    cuda_torch: bool = False


_MANYLINUX = tuple(f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)) + (
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64")

#: The platforms a pack can hold. Linux wheels need glibc 2.28 or newer (Debian 10, Ubuntu 18.10,
#: RHEL 8 and later; PyTorch needs it); macOS wheels macOS 12 or newer.
PLATFORMS: dict[str, Platform] = {
    "linux": Platform(
        "linux", "Linux (x86_64, glibc 2.28+)", _MANYLINUX,
        dict(os_name="posix", sys_platform="linux", platform_system="Linux", platform_machine="x86_64"),
        wheels_gib=3.3, cuda_torch=True,
    ),
    "windows": Platform(
        "windows", "Windows (64-bit)", ("win_amd64",),
        dict(os_name="nt", sys_platform="win32", platform_system="Windows", platform_machine="AMD64"),
        wheels_gib=0.45,
    ),
    "macos": Platform(
        "macos", "macOS 12+ on Apple silicon (M1 and later)", ("macosx_12_0_arm64",),
        dict(os_name="posix", sys_platform="darwin", platform_system="Darwin", platform_machine="arm64"),
        wheels_gib=0.45,
    ),
    "macos-intel": Platform(
        "macos-intel", "macOS 12+ on Intel (PyTorch 2.2, its last release for Intel Macs)", ("macosx_12_0_x86_64",),
        dict(os_name="posix", sys_platform="darwin", platform_system="Darwin", platform_machine="x86_64"),
        wheels_gib=0.5, constraints=("numpy<2",),  # PyTorch 2.2 was built against NumPy 1
    ),
}



# ---------------------------------------------------------------------------------------------
# The pack


@dataclass
class PackReport:
    """What :func:`pack` wrote: the folder, the size of each part, each platform's wheelhouse.

    Attributes:
        folder: the pack.
        parts: bytes per part (``wheels``, ``course/weights``, ``site`` ...).
        platforms: per ``platform-cpXY``: ``bytes`` (its wheels, shared ones included), ``files``,
            ``torch`` (which build, and why).
        missing_weights: weights the notebooks name that are not in the pack.
        notes: what the instructor should know (a missing site, an unreachable index ...).
        seconds: how long the pack took.
        archive: the pack as one ``.zip`` file, when asked for.

    Examples:
        >>> report = pack("workshop-pack")  # doctest: +SKIP
        >>> print(report)  # doctest: +SKIP
    """

    folder: Path
    parts: dict[str, int] = field(default_factory=dict)
    platforms: dict[str, dict] = field(default_factory=dict)
    missing_weights: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    archive: Path | None = None

    @property
    def total_bytes(self) -> int:
        """The whole pack on disk."""
        return _tree_bytes(self.folder)

    def __str__(self) -> str:
        lines = [f"Workshop pack in {self.folder} ({_gib(self.total_bytes)}, made in {self.seconds / 60:.1f} min)", "", "Parts:"]
        lines += [f"  {name:<38} {_gib(size):>10}" for name, size in self.parts.items()]
        lines += ["", "Per platform (what one laptop installs from):"]
        for name, info in self.platforms.items():
            lines.append(f"  {name:<38} {_gib(info['bytes']):>10}  {info['files']} wheels; {info['torch']}")
        if self.missing_weights:
            lines += ["", f"Missing weights (students train those from scratch): {', '.join(self.missing_weights)}."
                      f" While online: yolo-training weights fetch {' '.join(self.missing_weights)}, then pack again."]
        lines += [f"\n{note}" for note in self.notes]
        if self.archive is not None and self.archive.is_file():
            lines.append(f"\nThe pack as one file: {self.archive} ({_gib(self.archive.stat().st_size)}).")
        return "\n".join(lines)


def _gib(size: float) -> str:
    return f"{size / 2**30:.2f} GiB" if size >= 2**28 else f"{size / 2**20:.1f} MiB"


def _tree_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def this_platform() -> str:
    """The :data:`PLATFORMS` name of the machine Python runs on.

    Returns:
        ``linux``, ``windows``, ``macos`` or ``macos-intel``.

    Raises:
        YoloTrainingError: a machine no pack can be made for (e.g. Linux on ARM).

    Examples:
        >>> this_platform() in PLATFORMS
        True
    """
    machine = _platform.machine().lower()
    key = {("linux", "x86_64"): "linux", ("linux", "amd64"): "linux", ("win32", "amd64"): "windows",
           ("win32", "x86_64"): "windows", ("darwin", "arm64"): "macos", ("darwin", "x86_64"): "macos-intel"}
    name = key.get((sys.platform, machine))
    if name is None:
        raise YoloTrainingError(
            f"No workshop pack can be made for this machine ({sys.platform}, {machine}): name one of "
            f"{', '.join(PLATFORMS)} with --platform."
        )
    return name


def _targets(platforms) -> list[Platform]:
    names = [platforms] if isinstance(platforms, str) else list(platforms or [this_platform()])
    unknown = [n for n in names if n not in PLATFORMS]
    if unknown:
        raise YoloTrainingError(f"Unknown platform {', '.join(map(repr, unknown))}: use {', '.join(PLATFORMS)}.")
    return [PLATFORMS[n] for n in dict.fromkeys(names)]


def _pythons(versions) -> list[str]:
    given = [versions] if isinstance(versions, str) else list(versions or [f"{sys.version_info[0]}.{sys.version_info[1]}"])
    bad = [v for v in given if not re.fullmatch(r"3\.\d{1,2}", str(v))]
    if bad:
        raise YoloTrainingError(f"Python version {', '.join(map(repr, bad))} is not like 3.11: give major.minor, e.g. --python-version 3.11 3.12.")
    too_old = [v for v in given if int(str(v).split(".")[1]) < 10]
    if too_old:
        raise YoloTrainingError(f"The course needs Python 3.10 or newer; {', '.join(too_old)} cannot run it.")
    return [str(v) for v in dict.fromkeys(given)]


def estimate_bytes(platforms=None, python_versions=None, root: str | Path | None = None) -> dict[str, int]:
    """What a pack will take on disk, before anything is downloaded.

    The wheelhouses' sizes are the ones measured for :data:`PLATFORMS` (PyPI's versions change,
    so they are estimates); the rest is measured on this disk.

    Args:
        platforms: names from :data:`PLATFORMS` (default: this machine's).
        python_versions: e.g. ``["3.11"]`` (default: this Python's).
        root: the course folder (default: the project's).

    Returns:
        Bytes per part, and ``total``.

    Examples:
        >>> round(estimate_bytes(["windows"], ["3.11"])["wheels (windows)"] / 2**30, 2)  # GiB, for one Python version
        0.45
    """
    root = Path(root) if root is not None else env.project_root()
    parts = {}
    for target in _targets(platforms):
        parts[f"wheels ({target.name})"] = int(target.wheels_gib * 2**30 * len(_pythons(python_versions)))
    parts["weights"] = sum(_tree_bytes(env.weights_dir() / f"{n}.pt") for n in course_weights())
    parts["sample"] = _tree_bytes(env.export_dir(root))
    parts["notebooks"] = 2 * _tree_bytes(root / "notebooks")
    parts["site"] = _tree_bytes(root / "site")
    parts["total"] = sum(parts.values())
    return parts


def check_disk(out: str | Path, platforms=None, python_versions=None) -> dict[str, int]:
    """Refuse, before anything is downloaded, a pack the disk under ``out`` cannot hold.

    Args:
        out: the pack's folder (it may not exist yet).
        platforms: names from :data:`PLATFORMS`.
        python_versions: e.g. ``["3.11"]``.

    Returns:
        The estimate (see :func:`estimate_bytes`), with ``free``.

    Raises:
        DiskSpaceError: less free space than the estimate plus a 10 % margin.

    Examples:
        >>> check_disk("/tmp/pack", ["macos"])["free"] > 0  # doctest: +SKIP
        True
    """
    out = Path(out).expanduser().resolve()
    estimate = estimate_bytes(platforms, python_versions)
    free = shutil.disk_usage(existing_ancestor(out)).free
    if (out / PACK_MARKER).is_file():
        free += _tree_bytes(out)  # an earlier pack there is replaced
    needed = int(estimate["total"] * 1.1)
    if free < needed:
        biggest = ", ".join(f"{k} {_gib(v)}" for k, v in estimate.items() if k != "total" and v > 2**26)
        raise DiskSpaceError(
            f"The pack needs about {_gib(needed)} ({biggest}, plus 10 %) but {existing_ancestor(out)} has "
            f"{_gib(free)} free. Nothing was downloaded. Free some space, choose a folder on a larger disk, "
            "or pack fewer platforms (--platform) or Python versions."
        )
    return {**estimate, "free": free}


def _index_reachable(url: str, timeout: float = 5.0) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url.rstrip("/") + "/torch/", method="HEAD"), timeout=timeout):
            return True
    except Exception:
        return False


def _torch_index(torch_index: str | None, targets: list[Platform], notes: list[str]) -> str | None:
    """The CPU index to add for Linux, if it is wanted and answers; the reason otherwise, in ``notes``."""
    if not any(t.cuda_torch for t in targets):
        return None
    if not torch_index or str(torch_index).lower() == "none":
        notes.append("Linux: PyPI's PyTorch (CUDA build) was packed, as asked (--torch-index none).")
        return None
    if _index_reachable(torch_index):
        return torch_index
    notes.append(
        f"Linux: PyTorch's CPU-only index ({torch_index}) did not answer from this machine, so the Linux wheels hold "
        "PyPI's CUDA build of PyTorch and its NVIDIA libraries (about 2.3 GB a laptop without an NVIDIA GPU never uses). "
        "Pack again where that index is reachable for a pack about 2 GB smaller, or pass --torch-index URL of a mirror."
    )
    return None


_PIP_FOR_PLATFORM = r"""
import json, sys
from pip._vendor.packaging import markers
target = json.loads(sys.argv[1])
_default = markers.default_environment
markers.default_environment = lambda: {**_default(), **target}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def _pip(target: Platform, python: str) -> list[str]:
    """The pip command for ``target``: plain pip for this machine, else pip with the target's marker values."""
    native = target.name == _native_name() and python == f"{sys.version_info[0]}.{sys.version_info[1]}"
    if native:
        return [sys.executable, "-m", "pip"]
    try:
        from pip._vendor.packaging import markers

        markers.default_environment  # noqa: B018  (the hook the wrapper replaces)
    except (ImportError, AttributeError) as err:
        raise YoloTrainingError(
            f"This pip cannot download for {target.label} from here ({err}). Upgrade pip "
            f"({sys.executable} -m pip install -U pip), or make the {target.name} pack on a {target.label} machine."
        ) from err
    values = {**target.markers, "python_version": python, "python_full_version": f"{python}.0",
              "implementation_name": "cpython", "platform_python_implementation": "CPython"}
    return [sys.executable, "-c", _PIP_FOR_PLATFORM, json.dumps(values)]


def _native_name() -> str | None:
    try:
        return this_platform()
    except YoloTrainingError:
        return None


def build_project_wheel(dest: str | Path, root: str | Path | None = None) -> Path:
    """Build the course's own package as a wheel (``pip wheel --no-deps``), from a copy of its sources.

    The copy keeps setuptools' ``build/`` and ``*.egg-info`` out of the course folder.

    Args:
        dest: folder for the wheel.
        root: the course folder with ``pyproject.toml`` (default: the project's).

    Returns:
        The ``.whl`` file.

    Raises:
        YoloTrainingError: no ``pyproject.toml`` (a pip-installed package cannot pack itself), or the build failed.

    Examples:
        >>> build_project_wheel("/tmp/wheel").name  # doctest: +SKIP
        'yolo_training-0.1.0-py3-none-any.whl'
    """
    root = Path(root) if root is not None else env.project_root()
    if not (root / "pyproject.toml").is_file():
        raise YoloTrainingError(
            f"No pyproject.toml in {root}: the pack is made from a copy of the course (git clone), not from an installed package. "
            "Run the command in the course's folder, or set YOLO_TRAINING_HOME to it."
        )
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yolo-training-src-") as tmp:
        src = Path(tmp)
        for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE.md", "LICENSE.txt"):
            if (root / name).is_file():
                shutil.copy2(root / name, src / name)
        shutil.copytree(root / "yolo_training", src / "yolo_training", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", *_build_isolation(), "-w", str(dest), str(src)]
        done = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(dest.glob("yolo_training-*.whl"))
    if done.returncode or not wheels:
        raise YoloTrainingError(f"Building the course's wheel from {root} failed:\n{_tail(done.stdout + done.stderr)}")
    return wheels[-1]


def _build_isolation() -> list[str]:
    """``--no-build-isolation`` when this Python has the setuptools pyproject.toml asks for (no download then)."""
    from importlib import metadata

    from packaging.version import Version

    try:
        return ["--no-build-isolation"] if Version(metadata.version("setuptools")) >= Version("77") else []
    except metadata.PackageNotFoundError:
        return []


def _tail(text: str, lines: int = 25) -> str:
    kept = [line for line in text.splitlines() if "is ignored: it is neither a file nor a directory" not in line]
    return "\n".join(kept[-lines:])


def _run_pip(command: list[str], what: str) -> None:
    """Run pip, showing one line per wheel saved; on failure, raise with the end of its output."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    output = []
    for line in proc.stdout:
        output.append(line)
        if line.startswith(("Saved ", "File was already downloaded")):
            print(f"  {what}: {Path(line.split()[-1]).name}", flush=True)
    if proc.wait():
        text = "".join(output)
        hint = ""
        if "No module named pip" in text:
            hint = f"\nThis Python has no pip: {sys.executable} -m ensurepip, then pack again."
        elif "No space left" in text:
            hint = "\nThe disk is full: free some space or choose another folder, then pack again."
        elif "ResolutionImpossible" in text or "No matching distribution" in text:
            hint = "\nSome package has no wheel for this platform and Python version: try another --python-version."
        raise YoloTrainingError(f"pip could not download the wheels for {what}:\n{_tail(text)}{hint}")


def _wheel_names(folder: Path) -> dict[str, tuple[str, str]]:
    """``{file name: (project name, version)}`` for the wheels in ``folder``."""
    from packaging.utils import parse_wheel_filename

    names = {}
    for wheel in sorted(folder.glob("*.whl")):
        name, version, _build, _tags = parse_wheel_filename(wheel.name)
        names[wheel.name] = (str(name), str(version))
    return names


def torch_pin(files) -> str | None:
    """A pin that makes torch and torchvision the same build, or None when they already are.

    PyTorch's CPU-only torch (``2.13.0+cpu``) does not work with PyPI's torchvision (a CUDA build:
    ``operator torchvision::nms does not exist``). When a resolution mixes them (a ``+cpu`` torch
    in a ``--find-links`` folder, torchvision from PyPI), the ``+cpu`` one is pinned to PyPI's
    build of the same version with ``===``, which matches no local version.

    Args:
        files: wheel file names.

    Returns:
        e.g. ``"torch===2.13.0"``, or None.

    Examples:
        >>> torch_pin(["torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
        ...            "torchvision-0.28.0-cp311-cp311-manylinux_2_28_x86_64.whl"])
        'torch===2.13.0'
    """
    from packaging.utils import parse_wheel_filename

    versions = {}
    for file in files:
        name, version, _build, _tags = parse_wheel_filename(Path(file).name)
        if name in ("torch", "torchvision"):
            versions[str(name)] = version
    if len(versions) < 2 or (versions["torch"].local == "cpu") == (versions["torchvision"].local == "cpu"):
        return None
    name = "torch" if versions["torch"].local == "cpu" else "torchvision"
    return f"{name}==={versions[name].public}"


def _download(target: Platform, python: str, requirement: str, index: str | None, staging: Path) -> dict[str, tuple[str, str]]:
    """Download ``requirement`` and its dependencies for one platform and Python into ``staging``."""
    what = f"{target.name} cp{python.replace('.', '')}"
    pins = list(target.constraints)
    for _attempt in range(2):
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        constraints = staging.parent / f"{staging.name}-constraints.txt"
        constraints.write_text("".join(f"{p}\n" for p in pins), encoding="utf-8")
        command = [*_pip(target, python), "download", "--only-binary=:all:", "--dest", str(staging),
                   "--python-version", python, "--implementation", "cp", "--progress-bar", "off",
                   *[a for tag in target.tags for a in ("--platform", tag)],
                   "--constraint", str(constraints), *(["--extra-index-url", index] if index else []), requirement]
        _run_pip(command, what)
        pin = torch_pin(p.name for p in staging.glob("*.whl"))
        if pin is None:
            return _wheel_names(staging)
        print(f"  {what}: torch and torchvision came as different builds (CPU-only and CUDA); downloading again with {pin}.")
        pins.append(pin)
    raise YoloTrainingError(f"torch and torchvision for {what} are different builds even with {pins[-1]}; pass --torch-index none.")


def _torch_note(target: Platform, files: dict[str, tuple[str, str]], folder: Path) -> str:
    versions = {name: version for name, version in files.values()}
    torch = versions.get("torch", "?")
    if "+cpu" in torch:
        return f"torch {torch}, CPU-only"
    nvidia = sum((folder / f).stat().st_size for f, (name, _v) in files.items()
                 if name.startswith(("nvidia-", "nvidia_", "triton", "cuda-", "cuda_")) and name != "nvidia-ml-py")
    if nvidia:
        return f"torch {torch}, CUDA build: {_gib(nvidia)} of it is NVIDIA libraries"
    return f"torch {torch}, {'CPU and Apple GPU (MPS)' if target.name.startswith('macos') else 'CPU-only'}"


def _wheelhouses(out: Path, targets: list[Platform], pythons: list[str], extras, index: str | None, report: PackReport) -> None:
    """Download every platform's wheels into ``out/wheels`` (shared files once) and write its lock."""
    wheels, locks = out / "wheels", out / "locks"
    wheels.mkdir()
    locks.mkdir()
    with tempfile.TemporaryDirectory(prefix="yolo-training-pack-", dir=out) as tmp:
        project_wheel = build_project_wheel(Path(tmp) / "project")
        requirement = f"{project_wheel}[{','.join(extras)}]" if extras else str(project_wheel)
        for target in targets:
            for python in pythons:
                key = f"{target.name}-cp{python.replace('.', '')}"
                print(f"Downloading the wheels for {target.label}, Python {python} ...", flush=True)
                staging = Path(tmp) / key
                files = _download(target, python, requirement, index if target.cuda_torch else None, staging)
                report.platforms[key] = {
                    "bytes": sum((staging / f).stat().st_size for f in files), "files": len(files),
                    "torch": _torch_note(target, files, staging),
                }
                (locks / f"{key}.txt").write_text(
                    f"# What {target.label} installs with Python {python} (written by yolo-training workshop pack).\n"
                    + "".join(f"{name}=={version}\n" for name, version in sorted(set(files.values()))), encoding="utf-8")
                for f in files:
                    if not (wheels / f).exists():
                        shutil.move(str(staging / f), wheels / f)
    report.parts["wheels"] = _tree_bytes(wheels)


def _course(out: Path, root: Path, report: PackReport) -> None:
    """``course/``: the students' notebooks, the sample and the weights, as a student's folder holds them."""
    from ..course.student import student_version
    from ..training.models import fetch_weights
    from ..data.sample import generate_sample

    course = out / "course"
    student_version(course, root / "notebooks")
    report.parts["course/notebooks (student)"] = sum(p.stat().st_size for p in course.glob("*.ipynb"))
    export = env.export_dir(root)
    if export.is_dir() and any(export.iterdir()):
        shutil.copytree(export, env.export_dir(course))
    else:
        generate_sample(env.export_dir(course))
    report.parts["course/annotations (sample)"] = _tree_bytes(env.split_dir(course))
    (course / "weights").mkdir()
    for name in course_weights(root / "notebooks"):
        cached = env.weights_dir() / f"{name}.pt"
        if not cached.is_file() and not env.is_offline():
            try:
                fetch_weights(name)
            except Exception as err:  # a failed download is reported, not fatal
                report.notes.append(f"Weights {name}: the download failed ({err}).")
        if cached.is_file():
            shutil.copy2(cached, course / "weights" / cached.name)
        else:
            report.missing_weights.append(name)
    report.parts["course/weights"] = _tree_bytes(course / "weights")


def _extras_parts(out: Path, root: Path, instructor: bool, report: PackReport) -> None:
    """The instructor's notebooks (on request) and the built site (when there is one)."""
    if instructor:
        shutil.copytree(root / "notebooks", out / "instructor", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        report.parts["instructor (notebooks with solutions)"] = _tree_bytes(out / "instructor")
    site = root / "site"
    if (site / "index.html").is_file():
        shutil.copytree(site, out / "site")
        report.parts["site"] = _tree_bytes(out / "site")
    else:
        report.notes.append(f"No built website in {site}: run `make site` in the course folder (it needs the docs extra), "
                            "then pack again to include it. The pack is complete without it.")


def _templates() -> Path:
    return Path(__file__).resolve().parent / "templates"


def _scripts(out: Path, targets: list[Platform], pythons: list[str], extras, report: PackReport) -> None:
    """``install.sh``, ``install.ps1`` and ``README.txt``, filled in for this pack."""
    biggest = max(info["bytes"] for info in report.platforms.values())
    values = {
        "@@DATE@@": date.today().isoformat(),
        "@@PYTHONS@@": " ".join(pythons),
        "@@EXTRAS@@": ",".join(extras),
        "@@PLATFORMS@@": ", ".join(t.label for t in targets),
        "@@INSTALLED_GIB@@": f"{max(1, round(biggest * 2.2 / 2**30))}",  # unpacked wheels take about twice their size
    }
    names = ["README.txt"]
    names += ["install.sh"] if any(t.name != "windows" for t in targets) else []
    names += ["install.ps1"] if any(t.name == "windows" for t in targets) else []
    for name in names:
        text = (_templates() / name).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        newline = "\r\n" if name != "install.sh" else "\n"
        (out / name).write_text(text, encoding="utf-8", newline=newline)
    if (out / "install.sh").exists():
        (out / "install.sh").chmod(0o755)
    report.parts["scripts and README"] = sum(_tree_bytes(out / n) for n in names)


def pack(
    out: str | Path,
    platforms: str | list[str] | None = None,
    python_versions: str | list[str] | None = None,
    *,
    instructor: bool = False,
    torch_index: str | None = DEFAULT_TORCH_INDEX,
    extras: tuple[str, ...] = COURSE_EXTRAS,
    overwrite: bool = False,
    archive: bool = False,
) -> PackReport:
    """Write the workshop pack: everything a class needs to install and follow the course offline.

    Run it online, once. ``out`` must be new, empty, or a pack written here before (replaced with
    ``overwrite=True``); a folder of other files is refused. The free disk is checked against an
    estimate before anything is downloaded. Weights that cannot be fetched are reported, not fatal.

    Args:
        out: the pack's folder.
        platforms: names from :data:`PLATFORMS` (``linux``, ``windows``, ``macos``, ``macos-intel``);
            default: this machine's.
        python_versions: the students' Python versions, e.g. ``["3.11", "3.12"]``; default: this Python's.
        instructor: also pack the notebooks with their solutions (``instructor/``).
        torch_index: PyPI-style index of CPU-only PyTorch builds for Linux; None or ``"none"``: PyPI's CUDA build.
        extras: extras of ``yolo-training`` to install (default :data:`COURSE_EXTRAS`).
        overwrite: replace a pack written here before.
        archive: also write the whole pack as one file, ``<out>.zip`` beside it (see :func:`archive_pack`).

    Returns:
        A :class:`PackReport` (print it for the sizes); also saved as ``pack.json`` in ``out``.

    Raises:
        DiskSpaceError: the disk cannot hold the pack (nothing downloaded).
        NotGeneratedError: ``out`` holds files that are not a pack.
        OutputExistsError: ``out`` holds a pack and ``overwrite`` is False.
        YoloTrainingError: a platform or Python version without wheels, or a failed download.

    Examples:
        >>> report = pack("workshop-pack", ["linux", "windows", "macos"], ["3.11"], instructor=True)  # doctest: +SKIP
        >>> print(report)  # doctest: +SKIP
    """
    start = time.perf_counter()
    targets, pythons = _targets(platforms), _pythons(python_versions)
    out = Path(out).expanduser().resolve()
    root = env.project_root()
    check_output(out, PACK_MARKER, overwrite, "an earlier workshop pack")
    check_disk(out, [t.name for t in targets], pythons)
    report = PackReport(folder=out)
    index = _torch_index(torch_index, targets, report.notes)
    replace_output(out, PACK_MARKER, overwrite, "an earlier workshop pack",
                   f"A workshop pack written by `yolo-training workshop pack` on {date.today()}; replaced when packed again.")
    _wheelhouses(out, targets, pythons, extras, index, report)
    _course(out, root, report)
    _extras_parts(out, root, instructor, report)
    _scripts(out, targets, pythons, extras, report)
    report.seconds = time.perf_counter() - start
    _save_manifest(report, targets, pythons, extras)
    if archive:
        report.archive = archive_pack(out)
    return report


def archive_pack(folder: str | Path) -> Path:
    """The whole pack as one file, ``<folder>.zip`` beside it, to copy to USB sticks or a share.

    Files are stored as they are (wheels are compressed already), with their permissions, so
    ``install.sh`` stays executable where the archive is unzipped. An archive made here before is
    replaced; any other file of that name is refused. The free disk is checked first.

    Args:
        folder: a pack written by :func:`pack`.

    Returns:
        The archive's path.

    Raises:
        NotGeneratedError: ``folder`` is not a pack, or ``<folder>.zip`` is a file of something else.
        DiskSpaceError: the disk cannot hold the archive (nothing written).

    Examples:
        >>> archive_pack("workshop-pack")  # doctest: +SKIP
        PosixPath('/home/me/workshop-pack.zip')
    """
    folder = Path(folder).expanduser().resolve()
    if not (folder / PACK_MARKER).is_file():
        raise NotGeneratedError(f"{folder} is not a workshop pack (no {PACK_MARKER}): make one with `yolo-training workshop pack`.")
    target = folder.with_name(folder.name + ".zip")
    if target.exists() and not _is_pack_archive(target, folder.name):
        raise NotGeneratedError(f"{target} exists and is not an archive of this pack: move it away, or pack into another folder.")
    size, free = _tree_bytes(folder), shutil.disk_usage(existing_ancestor(target.parent)).free
    if free < 1.05 * size:
        raise DiskSpaceError(f"The archive needs about {_gib(size)} but {target.parent} has {_gib(free)} free.")
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, (Path(folder.name) / path.relative_to(folder)).as_posix())
    os.replace(partial, target)
    return target


def _is_pack_archive(path: Path, name: str) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return f"{name}/{PACK_MARKER}" in zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def _save_manifest(report: PackReport, targets: list[Platform], pythons: list[str], extras) -> None:
    manifest = {
        "made": date.today().isoformat(), "platforms": [t.name for t in targets], "python_versions": pythons,
        "extras": list(extras), "parts": report.parts, "per_platform": report.platforms,
        "missing_weights": report.missing_weights, "notes": report.notes, "seconds": round(report.seconds, 1),
        "total_bytes": report.total_bytes,
    }
    (report.folder / "pack.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Command line (`yolo-training workshop ...`)


def add_arguments(parser) -> None:
    """The arguments of ``yolo-training workshop pack|ready`` (an entry of the command line's table).

    Args:
        parser: the ``workshop`` sub-parser of ``yolo-training``.

    Returns:
        None.

    Examples:
        >>> import argparse; add_arguments(argparse.ArgumentParser(prog="yolo-training workshop"))
    """
    wsub = parser.add_subparsers(dest="workshop_command", required=True)
    pk = wsub.add_parser("pack", help="write the pack (run it online): wheels, notebooks, sample, weights, install scripts")
    pk.add_argument("out", help="the pack's folder (new, or a pack made before with --overwrite)")
    pk.add_argument("--platform", dest="platforms", action="extend", nargs="+", choices=list(PLATFORMS), default=None,
                    help="the students' systems (default: this one's), e.g. --platform linux windows macos")
    pk.add_argument("--python-version", dest="python_versions", action="extend", nargs="+", default=None,
                    help="the students' Python versions (default: this one's), e.g. 3.11 3.12")
    pk.add_argument("--instructor", action="store_true", help="also the notebooks with their solutions")
    pk.add_argument("--torch-index", default=DEFAULT_TORCH_INDEX,
                    help=f"index of CPU-only PyTorch builds for Linux (default {DEFAULT_TORCH_INDEX}; 'none': PyPI's CUDA build)")
    pk.add_argument("--overwrite", action="store_true", help="replace a pack made here before")
    pk.add_argument("--archive", action="store_true", help="also write the pack as one file, OUT.zip, beside the folder")
    rd = wsub.add_parser("ready", help="whether this laptop is ready for the workshop (one line)")
    rd.add_argument("--probe-seconds", type=float, default=5.0, help="length of the speed probe (0: none)")


def run_command(args, root: Path | None = None) -> int:
    """Run ``yolo-training workshop pack|ready`` (the arguments of :func:`add_arguments`).

    Args:
        args: the parsed arguments.
        root: the project folder (unused: the pack is made from :func:`yolo_training.project_root`).

    Returns:
        The exit code: 0, or 1 when ``ready`` finds the laptop not ready.

    Examples:
        >>> run_command(argparse.Namespace(workshop_command="ready", probe_seconds=0))  # doctest: +SKIP
    """
    if args.workshop_command == "pack":
        report = pack(args.out, args.platforms, args.python_versions, instructor=args.instructor,
                      torch_index=args.torch_index, overwrite=args.overwrite, archive=args.archive)
        print(f"\n{report}")
        return 0
    from .preflight import readiness

    facts, line = readiness(args.probe_seconds)
    print(line)
    return 0 if facts["ready"] else 1


#: ``yolo-training workshop``, as the command line's table registers it.
COMMAND = Command("workshop", "pack the course for offline laptops (online, once); is this laptop ready", add_arguments, run_command)
