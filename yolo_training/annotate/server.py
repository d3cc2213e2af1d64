"""The project's own Label Studio server: install it, start it, stop it, ask whether it runs.

Label Studio lives in its **own** virtual environment (``.label-studio/venv`` of the project): its
pinned numpy and ``opencv-python-headless`` conflict with Ultralytics' ``opencv-python``, so it
never goes into the project's environment. :func:`start_label_studio` runs it on loopback with a
project-local SQLite data folder, creates the account and an API token non-interactively and waits
until it answers; :func:`stop_label_studio` and :func:`label_studio_status` do what they say.

Talking to the server (projects, images, exports) is :mod:`yolo_training.annotate.client`.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..core.common import pid_alive
from ..core.errors import LabelStudioError
from ..core.env import project_root

#: The Label Studio version installed and tested (1.23.2 exports names sorted: "10 euro" is id 0).
LABEL_STUDIO_VERSION = "1.23.2"
#: Default port; ``yolo-training label start --port`` changes it.
DEFAULT_PORT = 8080
DEFAULT_USERNAME = "student@example.com"


# --------------------------------------------------------------------------- where things live


def label_studio_home() -> Path:
    """The project's ``.label-studio/`` folder: Label Studio's venv, data, log and credentials (gitignored).

    Returns:
        The folder (it may not exist yet).

    Examples:
        >>> label_studio_home().name
        '.label-studio'
    """
    return project_root() / ".label-studio"


def _home(home: str | Path | None) -> Path:
    """The folder of one server's data, log, state and credentials (the project's by default)."""
    return Path(home).resolve() if home is not None else label_studio_home()


def _venv_dir() -> Path:
    return label_studio_home() / "venv"


def _venv_bin(name: str) -> Path:
    folder = _venv_dir() / ("Scripts" if os.name == "nt" else "bin")
    return folder / (f"{name}.exe" if os.name == "nt" else name)


def _stamp() -> Path:
    return _venv_dir() / f".installed-label-studio-{LABEL_STUDIO_VERSION}"


def _state_file(home: str | Path | None = None) -> Path:
    return _home(home) / "server.json"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# --------------------------------------------------------------------------- installing


def label_studio_installed() -> bool:
    """Whether Label Studio is installed in its own environment (see :func:`install_label_studio`).

    Returns:
        True when ``.label-studio/venv`` holds the tested Label Studio version.

    Examples:
        >>> if not label_studio_installed():  # doctest: +SKIP
        ...     print("run `yolo-training label install` once, online")
    """
    return _stamp().is_file() and _venv_bin("label-studio").exists()


def install_label_studio(force: bool = False) -> Path:
    """Create ``.label-studio/venv`` and install Label Studio in it (about 2 minutes, 1 GB).

    Needs the package index (online, or a local mirror pip is configured for). Does nothing when
    it is already installed.

    Args:
        force: install again even when it is there.

    Returns:
        The path of the ``label-studio`` program.

    Raises:
        LabelStudioError: pip failed (no internet, no mirror).

    Examples:
        >>> install_label_studio()  # doctest: +SKIP
        PosixPath('.../.label-studio/venv/bin/label-studio')
    """
    if label_studio_installed() and not force:
        return _venv_bin("label-studio")
    venv = _venv_dir()
    venv.parent.mkdir(parents=True, exist_ok=True)
    if not _venv_bin("python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    cmd = [str(_venv_bin("python")), "-m", "pip", "install", "--disable-pip-version-check", f"label-studio=={LABEL_STUDIO_VERSION}"]
    print("Installing Label Studio in its own environment:", " ".join(cmd), flush=True)
    if subprocess.run(cmd).returncode:
        raise LabelStudioError(
            f"Installing label-studio=={LABEL_STUDIO_VERSION} into {venv} failed (see pip's output above). "
            "Check the internet connection (or the pip mirror), then run `yolo-training label install` again."
        )
    _stamp().write_text(LABEL_STUDIO_VERSION + "\n", encoding="utf-8")
    return _venv_bin("label-studio")


# --------------------------------------------------------------------------- ports


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on ``host:port``.

    Args:
        port: the port number.
        host: the address to try (loopback by default).

    Returns:
        True when the port can be bound.

    Examples:
        >>> port_free(free_port())
        True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback port nothing listens on (for tests and a second server).

    Returns:
        The port number.

    Examples:
        >>> start_label_studio(port=free_port())  # doctest: +SKIP
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- the running server


@dataclass
class ServerInfo:
    """A Label Studio this package started: where it answers and how to log in."""

    url: str
    username: str
    password: str
    token: str
    pid: int
    port: int
    log: Path
    data_dir: Path

    def __str__(self) -> str:
        return (
            f"Label Studio runs at {self.url}  (process {self.pid})\n"
            f"  log in as {self.username}  password {self.password}\n"
            f"  API token {self.token}\n  data in {self.data_dir}, log in {self.log}"
        )


def _credentials(home: Path) -> dict:
    """The account of the server in ``home``: made once, kept in ``credentials.json``."""
    path = home / "credentials.json"
    creds = _read_json(path)
    if not {"username", "password", "token"} <= creds.keys():
        creds = {"username": DEFAULT_USERNAME, "password": secrets.token_urlsafe(9), "token": secrets.token_hex(20)}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(creds, indent=2), encoding="utf-8")
    return creds


def _our_server(pid: int) -> bool:
    """True when ``pid`` is alive and is a Label Studio (a stale state file never leads to killing another program)."""
    if not pid_alive(pid):
        return False
    try:
        import psutil  # an Ultralytics dependency

        return any("label-studio" in part or "label_studio" in part for part in psutil.Process(pid).cmdline())
    except Exception:  # (no psutil, access denied, gone meanwhile: trust the pid check)
        return pid_alive(pid)


def _healthy(url: str, timeout: float = 2.0) -> bool:
    import requests

    try:
        return requests.get(f"{url}/health", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def label_studio_status(home: str | Path | None = None) -> ServerInfo | None:
    """The running Label Studio this project started, if any.

    Args:
        home: the folder of a server started with ``home=`` (default: the project's ``.label-studio``).

    Returns:
        Its :class:`ServerInfo` (URL, login, process), or None when none runs.

    Examples:
        >>> info = label_studio_status()
        >>> print(info or "not running")  # doctest: +SKIP
    """
    state = _read_json(_state_file(home))
    if not state or not _our_server(int(state.get("pid", 0))):
        return None
    return ServerInfo(**{**state, "log": Path(state["log"]), "data_dir": Path(state["data_dir"])})


def start_label_studio(
    port: int = DEFAULT_PORT, timeout: float = 300, quiet: bool = False, home: str | Path | None = None
) -> ServerInfo:
    """Start the project's Label Studio on ``http://127.0.0.1:<port>`` and wait until it answers.

    Its data (SQLite database, uploaded images) live in ``.label-studio/data``; the account and
    API token are made on the first start and kept in ``.label-studio/credentials.json``. A first
    start takes about a minute. An already running server is reused.

    Args:
        port: the loopback port to listen on.
        timeout: seconds to wait for it to answer before giving up (and stopping it).
        quiet: print nothing.
        home: another folder for data, log and account (a second server, tests).

    Returns:
        The URL and login, as a :class:`ServerInfo`.

    Raises:
        LabelStudioError: not installed, the port is taken, or it stopped or did not answer.

    Examples:
        >>> server = start_label_studio()  # doctest: +SKIP
        >>> print(server.url, server.username, server.password)  # doctest: +SKIP
    """
    running = label_studio_status(home)
    if running is not None:
        if not quiet:
            print(f"Already running.\n{running}")
        return running
    _check_can_start(port)
    home = _home(home)
    info, proc = _launch(home, port)
    if not quiet:
        print(f"Starting Label Studio on {info.url} (about a minute the first time) ...", flush=True)
    _wait_until_healthy(info, proc, home, timeout)
    if not quiet:
        print(info)
    return info


def _check_can_start(port: int) -> None:
    if not label_studio_installed():
        raise LabelStudioError(
            f"Label Studio is not installed in {_venv_dir()}. Run `yolo-training label install` "
            "(or yolo_training.install_label_studio()) once, online; it takes about 2 minutes."
        )
    if not port_free(port):
        raise LabelStudioError(
            f"Port {port} is in use: another program (maybe another Label Studio) listens on it. "
            f"Stop that program, or start on another port: `yolo-training label start --port {port + 1}`."
        )


def _launch(home: Path, port: int) -> tuple[ServerInfo, subprocess.Popen]:
    """Start the server process in its own session, logging to ``home/server.log``; record its state."""
    data_dir = home / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    creds = _credentials(home)
    log = home / "server.log"
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "PYTHONUNBUFFERED": "1",
    }
    cmd = [
        str(_venv_bin("label-studio")), "start", "--no-browser",
        "--internal-host", "127.0.0.1", "--host", f"http://127.0.0.1:{port}", "--port", str(port),
        "--username", creds["username"], "--password", creds["password"],
        "--user-token", creds["token"], "--enable-legacy-api-token",
    ]  # fmt: skip
    with open(log, "ab") as out:
        kwargs = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt" else {"start_new_session": True}
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=home, **kwargs)
    info = ServerInfo(url=f"http://127.0.0.1:{port}", pid=proc.pid, port=port, log=log, data_dir=data_dir, **creds)
    state = {**info.__dict__, "log": str(log), "data_dir": str(data_dir)}
    _state_file(home).write_text(json.dumps(state, indent=2), encoding="utf-8")
    return info, proc


def _wait_until_healthy(info: ServerInfo, proc: subprocess.Popen, home: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _state_file(home).unlink(missing_ok=True)
            raise LabelStudioError(
                f"Label Studio stopped while starting (exit code {proc.returncode}). Last lines of {info.log}:\n{_tail(info.log)}"
            )
        if _healthy(info.url):
            return
        time.sleep(1)
    stop_label_studio(quiet=True, home=home)
    raise LabelStudioError(f"Label Studio did not answer on {info.url} within {timeout:.0f} s. Last lines of {info.log}:\n{_tail(info.log)}")


def stop_label_studio(timeout: float = 20, quiet: bool = False, home: str | Path | None = None) -> bool:
    """Stop the Label Studio this project started (the server and its workers).

    Args:
        timeout: seconds to wait after asking it to stop before killing it.
        quiet: print nothing.
        home: the folder of a server started with ``home=``.

    Returns:
        True when a server was stopped, False when none was running.

    Examples:
        >>> stop_label_studio()  # doctest: +SKIP
        Label Studio stopped (http://127.0.0.1:8080).
        True
    """
    info = label_studio_status(home)
    _state_file(home).unlink(missing_ok=True)
    if info is None:
        if not quiet:
            print("Label Studio is not running.")
        return False
    if os.name == "nt":
        subprocess.run(["taskkill", "/PID", str(info.pid), "/T", "/F"], capture_output=True)
    else:
        _stop_session(info.pid, timeout)
    if not quiet:
        print(f"Label Studio stopped ({info.url}).")
    return True


def _stop_session(pid: int, timeout: float) -> None:
    """SIGTERM to the server's own session (it and its workers), SIGKILL if it outlives ``timeout``."""
    import signal

    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if pid_alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
