"""Step 2 of the course: annotate in a real Label Studio driven from the notebook.

The student only draws; the plumbing is done here:

* :func:`install_label_studio` puts Label Studio in its **own** virtual environment
  (``.label-studio/venv`` of the project): its pinned numpy and ``opencv-python-headless``
  conflict with Ultralytics' ``opencv-python``, so it never goes into the project's environment.
* :func:`start_label_studio` runs it on loopback with a project-local SQLite data folder,
  creates the account and an API token non-interactively and waits until it answers;
  :func:`stop_label_studio` and :func:`label_studio_status` do what they say.
* :func:`create_labeling_project`, :func:`import_images`, :func:`pull_export` talk to it over
  its documented REST API with ``requests`` (never the SDK, which would bring the pins along).
  The export's ``notes.json`` / ``classes.txt`` decide the class ids, never the configuration:
  Label Studio 1.23 sorts the names.
* :func:`preannotate` runs a trained model on the unlabelled tasks and uploads its boxes,
  polygons or classes as predictions with their confidences; :func:`accept_predictions` turns
  them into annotations (the "Create annotations from predictions" action of the web UI).
* :class:`BoxEditor` (:func:`box_editor`) edits the boxes of an export inside the notebook,
  offline, keeping the old label file as a backup beside the new one.

A student with their own Label Studio passes ``connect(url, token)`` instead of starting one.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import DatasetError, LabelStudioError
from ._common import COMMON_IMAGE_SUFFIXES, is_image, list_images, pid_alive, safe_extract
from .dataset import read_class_names
from .env import project_root

#: The Label Studio version installed and tested (1.23.2 exports names sorted: "10 euro" is id 0).
LABEL_STUDIO_VERSION = "1.23.2"
#: Default port; ``yolo-training label start --port`` changes it.
DEFAULT_PORT = 8080
DEFAULT_USERNAME = "student@example.com"
#: The three kinds of labelling project, and the Label Studio tag that draws each.
TASKS = ("detect", "segment", "classify")
_TAGS = {"detect": "RectangleLabels", "segment": "PolygonLabels", "classify": "Choices"}
_RESULT_TYPES = {"detect": "rectanglelabels", "segment": "polygonlabels", "classify": "choices"}
#: Marks an export folder written by :func:`pull_export`, with a fingerprint of what it wrote.
PULL_MARKER = ".yolo-training-pull.json"
#: A pulled zip larger than this is refused (a zip bomb or the wrong project).
MAX_EXPORT_BYTES = 20 * 2**30
# Label Studio stores an upload as "<8 hex>-<original name>".
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")


# --------------------------------------------------------------------------- the service


def label_studio_home() -> Path:
    """``.label-studio/`` of the project: its venv, data folder, log and credentials (gitignored)."""
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


def label_studio_installed() -> bool:
    """True when Label Studio is installed in its own environment (see :func:`install_label_studio`)."""
    return _stamp().is_file() and _venv_bin("label-studio").exists()


def install_label_studio(force: bool = False) -> Path:
    """Create ``.label-studio/venv`` and install Label Studio in it (about 2 minutes, 1 GB).

    Needs the package index (online, or a local mirror pip is configured for). Returns the path of
    the ``label-studio`` program. Does nothing when it is already installed, unless ``force``.
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


def _state_file(home: str | Path | None = None) -> Path:
    return _home(home) / "server.json"


def _credentials_file(home: str | Path | None = None) -> Path:
    return _home(home) / "credentials.json"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _credentials(home: str | Path | None = None) -> dict:
    """The account of the project's Label Studio: made once, kept in ``.label-studio/credentials.json``."""
    path = _credentials_file(home)
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
    except Exception:  # noqa: BLE001  (no psutil, access denied, gone meanwhile: trust the pid check)
        return pid_alive(pid)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nothing listens on (for tests and a second server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str, timeout: float = 2.0) -> bool:
    import requests

    try:
        return requests.get(f"{url}/health", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


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


def label_studio_status(home: str | Path | None = None) -> ServerInfo | None:
    """The running Label Studio this project started, or None when none runs."""
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
    start takes about a minute. Returns the URL and login; an already running server is reused.
    ``home`` puts data, log and account in another folder (a second server, tests).
    """
    running = label_studio_status(home)
    if running is not None:
        if not quiet:
            print(f"Already running.\n{running}")
        return running
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
    home = _home(home)
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
    url = f"http://127.0.0.1:{port}"
    info = ServerInfo(url=url, pid=proc.pid, port=port, log=log, data_dir=data_dir, **creds)
    _state_file(home).write_text(json.dumps({**info.__dict__, "log": str(log), "data_dir": str(data_dir)}, indent=2), encoding="utf-8")
    if not quiet:
        print(f"Starting Label Studio on {url} (about a minute the first time) ...", flush=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _state_file(home).unlink(missing_ok=True)
            raise LabelStudioError(f"Label Studio stopped while starting (exit code {proc.returncode}). Last lines of {log}:\n{_tail(log)}")
        if _healthy(url):
            break
        time.sleep(1)
    else:
        stop_label_studio(quiet=True, home=home)
        raise LabelStudioError(f"Label Studio did not answer on {url} within {timeout:.0f} s. Last lines of {log}:\n{_tail(log)}")
    if not quiet:
        print(info)
    return info


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_label_studio(timeout: float = 20, quiet: bool = False, home: str | Path | None = None) -> bool:
    """Stop the Label Studio this project started; False when none was running."""
    info = label_studio_status(home)
    _state_file(home).unlink(missing_ok=True)
    if info is None:
        if not quiet:
            print("Label Studio is not running.")
        return False
    if os.name == "nt":
        subprocess.run(["taskkill", "/PID", str(info.pid), "/T", "/F"], capture_output=True)
    else:
        import signal

        try:
            os.killpg(info.pid, signal.SIGTERM)  # its own session: the server and its workers
        except (ProcessLookupError, PermissionError):
            pass
        deadline = time.monotonic() + timeout
        while pid_alive(info.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_alive(info.pid):
            try:
                os.killpg(info.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    if not quiet:
        print(f"Label Studio stopped ({info.url}).")
    return True


# --------------------------------------------------------------------------- the REST client


class LabelStudio:
    """A Label Studio server reached over its REST API with a (legacy) API token."""

    def __init__(self, url: str, token: str, timeout: float = 120):
        import requests

        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def __repr__(self) -> str:
        return f"LabelStudio({self.url!r})"

    def request(self, method: str, path: str, **kwargs):
        """One API call; a connection failure or an error status becomes a :class:`LabelStudioError`."""
        import requests

        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, f"{self.url}{path}", **kwargs)
        except requests.ConnectionError as err:
            raise LabelStudioError(
                f"No Label Studio answers at {self.url}. Start it with `yolo-training label start` "
                "(or yolo_training.start_label_studio()), or check the URL you passed."
            ) from err
        except requests.Timeout as err:
            raise LabelStudioError(f"Label Studio at {self.url} did not answer {method} {path} within {kwargs['timeout']} s.") from err
        if response.status_code == 401:
            raise LabelStudioError(
                f"Label Studio at {self.url} refused the API token (401: {response.text[:200]}). Use the token of "
                "Account & Settings > Legacy Token, and check that legacy tokens are enabled for the organization "
                "(the server `yolo-training label start` runs has them)."
            )
        if response.status_code >= 400:
            raise LabelStudioError(f"Label Studio at {self.url} answered {response.status_code} to {method} {path}: {response.text[:500]}")
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def projects(self) -> list[dict]:
        """Every project the token can see."""
        found, page = [], 1
        while True:
            body = self.get("/api/projects", params={"page": page, "page_size": 100}).json()
            items = body["results"] if isinstance(body, dict) else body
            found += items
            if not isinstance(body, dict) or not body.get("next"):
                return found
            page += 1

    def tasks(self, project_id: int) -> list[dict]:
        """Every task of a project, with its data, annotation and prediction counts."""
        found, page = [], 1
        while True:
            response = self.session.get(
                f"{self.url}/api/tasks", params={"project": project_id, "page": page, "page_size": 500}, timeout=self.timeout
            )
            if response.status_code == 404 and page > 1:  # past the last page
                return found
            if response.status_code >= 400:
                self.get("/api/tasks", params={"project": project_id, "page": page, "page_size": 500})  # raises clearly
            body = response.json()
            items = body.get("tasks", []) if isinstance(body, dict) else body
            found += items
            total = body.get("total", len(found)) if isinstance(body, dict) else len(found)
            if not items or len(found) >= total:
                return found
            page += 1


def connect(url: str | None = None, token: str | None = None) -> LabelStudio:
    """A client for ``url`` with ``token``; without them, the Label Studio this project started."""
    if url is None:
        info = label_studio_status()
        if info is None:
            raise LabelStudioError(
                "Label Studio is not running. Start it with `yolo-training label start` (or "
                "yolo_training.start_label_studio()), or pass the url and token of your own server."
            )
        url, token = info.url, token or info.token
    if not token:
        raise LabelStudioError(f"No API token for {url}: copy it from Label Studio's Account & Settings page.")
    return LabelStudio(url, token)


@dataclass
class LabelingProject:
    """A Label Studio project: its id, title, kind of task and class names (configuration order)."""

    client: LabelStudio
    id: int
    title: str
    task: str
    classes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Where the student opens it in the browser."""
        return f"{self.client.url}/projects/{self.id}/data"

    def __str__(self) -> str:
        return f"Label Studio project {self.title!r} ({self.task}, classes {self.classes}) at {self.url}"


def labeling_config(classes: list[str], task: str = "detect") -> str:
    """The Label Studio labelling configuration (XML) that draws ``task`` with ``classes``."""
    from xml.sax.saxutils import quoteattr

    if task not in TASKS:
        raise LabelStudioError(f"task={task!r} is not one of {', '.join(TASKS)}.")
    classes = [str(c).strip() for c in classes]
    if not classes or any(not c for c in classes) or len(set(classes)) != len(classes):
        raise LabelStudioError(f"Class names must be non-empty and different from each other; got {classes}.")
    tag = _TAGS[task]
    child = "Choice" if task == "classify" else "Label"
    extra = ' choice="single" showInLine="true"' if task == "classify" else ""
    items = "\n    ".join(f"<{child} value={quoteattr(c)}/>" for c in classes)
    return (
        '<View>\n  <Image name="image" value="$image" zoom="true"/>\n'
        f'  <{tag} name="label" toName="image"{extra}>\n    {items}\n  </{tag}>\n</View>'
    )


def _parse_config(config: str) -> tuple[str, list[str]]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(config)
    for task, tag in _TAGS.items():
        node = root.find(f".//{tag}")
        if node is not None:
            child = "Choice" if task == "classify" else "Label"
            return task, [el.get("value", "") for el in node.iter(child)]
    return "detect", []


def _project_from(client: LabelStudio, body: dict) -> LabelingProject:
    task, classes = _parse_config(body.get("label_config") or "<View/>")
    return LabelingProject(client=client, id=int(body["id"]), title=body.get("title", ""), task=task, classes=classes)


def create_labeling_project(
    name: str, classes: list[str], task: str = "detect", client: LabelStudio | None = None
) -> LabelingProject:
    """Create a Label Studio project that draws rectangles, polygons or choices with ``classes``.

    The export decides the class ids (Label Studio 1.23 sorts the names), never this order.
    A project with the same name is an error: open it with :func:`get_labeling_project`.
    """
    client = client or connect()
    config = labeling_config(classes, task)
    if any(p.get("title") == name for p in client.projects()):
        raise LabelStudioError(
            f"A Label Studio project named {name!r} exists already at {client.url}. Open it with "
            f"yolo_training.get_labeling_project({name!r}), or choose another name."
        )
    body = client.post("/api/projects", json={"title": name, "label_config": config}).json()
    return _project_from(client, body)


def get_labeling_project(name: str | int, client: LabelStudio | None = None) -> LabelingProject:
    """An existing project, by title or id."""
    client = client or connect()
    if isinstance(name, int):
        return _project_from(client, client.get(f"/api/projects/{name}").json())
    matches = [p for p in client.projects() if p.get("title") == name]
    if not matches:
        titles = [p.get("title") for p in client.projects()]
        raise LabelStudioError(f"No Label Studio project named {name!r} at {client.url}; there are: {titles}. Create it with create_labeling_project().")
    return _project_from(client, client.get(f"/api/projects/{matches[0]['id']}").json())


def _original_name(data_path: str) -> str:
    name = str(data_path).rsplit("/", 1)[-1]
    return _UPLOAD_PREFIX.sub("", name, count=1)


def import_images(project: LabelingProject, folder: str | Path, batch: int = 50) -> list[str]:
    """Upload the images of ``folder`` as tasks, skipping names the project has already.

    Returns the names uploaded. The images stay where they are; Label Studio keeps a copy.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder.resolve()} is not a folder of images; pass the folder the photos were saved in.")
    images = list_images(folder)
    if not images:
        raise DatasetError(f"{folder.resolve()} holds no images ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...).")
    existing = {_original_name(t.get("data", {}).get("image", "")) for t in project.client.tasks(project.id)}
    todo = [p for p in images if p.name not in existing]
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        handles = [open(p, "rb") for p in chunk]
        try:
            files = {f"file{i}": (p.name, h, "application/octet-stream") for i, (p, h) in enumerate(zip(chunk, handles))}
            project.client.post(f"/api/projects/{project.id}/import", files=files)
        finally:
            for h in handles:
                h.close()
    return [p.name for p in todo]


# --------------------------------------------------------------------------- pulling the export


def _fingerprint(export: Path) -> dict[str, str]:
    """What a pull wrote: label and class files by content hash, images by size."""
    import hashlib

    prints = {}
    for p in sorted(export.rglob("*")):
        if not p.is_file() or p.name == PULL_MARKER:
            continue
        rel = p.relative_to(export).as_posix()
        if is_image(p):
            prints[rel] = f"size:{p.stat().st_size}"
        else:
            prints[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return prints


def _unchanged_pull(export: Path) -> bool:
    """True when ``export`` is exactly what an earlier pull wrote (so Label Studio holds all of it)."""
    marker = _read_json(export / PULL_MARKER)
    return bool(marker.get("files")) and marker["files"] == _fingerprint(export)


@dataclass
class PullResult:
    """What :func:`pull_export` did: the export folder, its classes, counts, and the backup of the old one."""

    export: Path
    names: list[str]
    images: int
    labels: int
    backup: Path | None = None

    def __str__(self) -> str:
        text = f"Pulled {self.images} images ({self.labels} label files), classes {self.names}, into {self.export}"
        return text + (f"\nThe previous export was kept in {self.backup}" if self.backup else "")


def _download_yolo(project: LabelingProject, work: Path, unpacked: Path, max_bytes: int) -> list[Path]:
    """Label Studio's "YOLO with images" export of the project, unpacked safely into ``unpacked``."""
    archive = work / "export.zip"
    response = project.client.get(
        f"/api/projects/{project.id}/export", params={"exportType": "YOLO_WITH_IMAGES"}, stream=True, timeout=600
    )
    size = 0
    with open(archive, "wb") as f:
        for chunk in response.iter_content(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise DatasetError(f"The export of {project.title!r} is larger than {max_bytes / 2**30:.1f} GiB; refused.")
            f.write(chunk)
    if not zipfile.is_zipfile(archive):
        raise LabelStudioError(
            f"Label Studio sent no zip for project {project.title!r} (it said: {archive.read_bytes()[:300]!r}). "
            "Is anything annotated yet? Submit at least one task, then pull again."
        )
    safe_extract(archive, unpacked, max_bytes=max_bytes)
    archive.unlink()
    return list_images(unpacked / "images") if (unpacked / "images").is_dir() else []


def _download_classes(project: LabelingProject, unpacked: Path, max_bytes: int) -> list[Path]:
    """A classification project as one folder per class (Label Studio's YOLO export has no classes).

    Each annotated task's image goes to ``<class name>/``; ``classes.txt`` lists the names sorted,
    the order Ultralytics gives ImageFolder classes. Tasks whose annotation chose nothing are left out.
    """
    client = project.client
    tasks = client.get(f"/api/projects/{project.id}/export", params={"exportType": "JSON"}, timeout=600).json()
    unpacked.mkdir(parents=True)
    images, total = [], 0
    for task in tasks:
        done = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
        if not done:
            continue
        latest = max(done, key=lambda a: (a.get("updated_at") or "", a.get("id", 0)))
        chosen = [r["value"]["choices"][0] for r in latest.get("result", []) if r.get("type") == "choices" and r["value"].get("choices")]
        if not chosen:
            continue
        name = str(chosen[0])
        if name in ("", ".", "..") or "/" in name or "\\" in name:
            raise DatasetError(f"Class name {name!r} cannot be a folder name; rename the class in the project's labelling setup.")
        src = str(task["data"]["image"])
        content = (client.get(src if src.startswith("/") else f"/{src}") if not src.startswith("http") else client.session.get(src)).content
        total += len(content)
        if total > max_bytes:
            raise DatasetError(f"The images of {project.title!r} are larger than {max_bytes / 2**30:.1f} GiB together; refused.")
        target = unpacked / name / src.rsplit("/", 1)[-1]
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(content)
        images.append(target)
    if images:
        names = sorted(p.name for p in unpacked.iterdir() if p.is_dir())
        (unpacked / "classes.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    return images


def pull_export(
    project: LabelingProject,
    dest: str | Path = "annotations/export",
    replace_classes: bool = False,
    max_bytes: int = MAX_EXPORT_BYTES,
) -> PullResult:
    """Fetch the project's "YOLO with images" export and put it in ``dest``, safely.

    The zip is downloaded and unpacked beside ``dest`` first and swapped in only when complete,
    so a failed pull leaves the export there as it was. An existing export that is exactly an
    earlier pull is replaced; any other (edited by hand, the sample, another source) is moved to
    ``<dest>.backup-<time>``. If its class names differ from the new ones, the pull stops unless
    ``replace_classes=True``: the ids of old and new labels would not mean the same classes.
    A classification project is pulled as one folder per class name (and ``classes.txt``).
    """
    dest = Path(dest)
    if not dest.is_absolute():
        dest = project_root() / dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    client = project.client
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.pulling-", dir=dest.parent))
    try:
        unpacked = work / dest.name
        if project.task == "classify":
            images = _download_classes(project, unpacked, max_bytes)
        else:
            images = _download_yolo(project, work, unpacked, max_bytes)
        if not images:
            raise LabelStudioError(
                f"The export of project {project.title!r} holds no annotated image: nothing was pulled and "
                f"{dest} is unchanged. Annotate (and submit) some tasks in {project.url} first."
            )
        names = read_class_names(unpacked)
        if dest.exists() and not replace_classes:
            try:
                old_names = read_class_names(dest)
            except DatasetError:
                old_names = None
            if old_names is not None and old_names != names:
                raise DatasetError(
                    f"The classes of project {project.title!r} ({names}) differ from those of {dest} ({old_names}): "
                    "the same id would mean another class. Nothing was changed. Pull into another folder, "
                    "or pass replace_classes=True to replace it (the old export is kept as a backup)."
                )
        marker = {"project": project.id, "url": client.url, "title": project.title, "pulled": time.strftime("%Y-%m-%d %H:%M:%S")}
        marker["files"] = _fingerprint(unpacked)
        (unpacked / PULL_MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
        backup = None
        if dest.exists():
            old = work / "old"
            if _unchanged_pull(dest):
                dest.rename(old)
            else:
                stamp = time.strftime("%Y%m%d-%H%M%S")
                backup = dest.with_name(f"{dest.name}.backup-{stamp}")
                n = 2
                while backup.exists():
                    backup, n = dest.with_name(f"{dest.name}.backup-{stamp}-{n}"), n + 1
                dest.rename(backup)
            try:
                unpacked.rename(dest)
            except OSError:
                (backup or old).rename(dest)  # put the old one back
                raise
        else:
            unpacked.rename(dest)
        n_labels = len(list((dest / "labels").glob("*.txt"))) if (dest / "labels").is_dir() else 0
        return PullResult(export=dest, names=names, images=len(images), labels=n_labels, backup=backup)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- model-assisted labelling


def _load_model(model):
    from ultralytics import YOLO

    from .devices import use_all_cores

    use_all_cores()
    if hasattr(model, "predict") and hasattr(model, "names"):
        return model
    path = getattr(model, "best", model)  # a Run
    if path is None or not Path(path).is_file():
        from ._errors import ModelNameError

        raise ModelNameError(f"No trained model at {path}: pass a run (yt.train(...)) or the path of its best.pt.")
    return YOLO(str(path))


def _results_for(r, task: str, names: dict, wanted: set[str]) -> tuple[list[dict], list[float], set[str]]:
    """Label Studio result regions of one Ultralytics result; skipped class names are returned too."""
    h, w = r.orig_shape
    regions, scores, skipped = [], [], set()
    base = {"from_name": "label", "to_name": "image", "original_width": int(w), "original_height": int(h), "image_rotation": 0}
    if task == "classify":
        if r.probs is not None:
            name, score = names[int(r.probs.top1)], float(r.probs.top1conf)
            if name in wanted:
                regions.append({**base, "id": secrets.token_hex(5), "type": "choices", "value": {"choices": [name]}, "score": score})
                scores.append(score)
            else:
                skipped.add(name)
        return regions, scores, skipped
    if r.boxes is None:
        return regions, scores, skipped
    classes = r.boxes.cls.tolist()
    confs = r.boxes.conf.tolist()
    polygons = r.masks.xyn if (task == "segment" and r.masks is not None) else None
    for i, (cls, conf) in enumerate(zip(classes, confs)):
        name = names[int(cls)]
        if name not in wanted:
            skipped.add(name)
            continue
        if task == "segment":
            if polygons is None or len(polygons[i]) < 3:
                continue
            points = [[float(x) * 100, float(y) * 100] for x, y in polygons[i]]
            value = {"points": points, "closed": True, "polygonlabels": [name]}
        else:
            x1, y1, x2, y2 = r.boxes.xyxy[i].tolist()
            value = {"x": x1 / w * 100, "y": y1 / h * 100, "width": (x2 - x1) / w * 100, "height": (y2 - y1) / h * 100, "rotation": 0,
                     "rectanglelabels": [name]}  # fmt: skip
        regions.append({**base, "id": secrets.token_hex(5), "type": _RESULT_TYPES[task], "value": value, "score": float(conf)})
        scores.append(float(conf))
    return regions, scores, skipped


@dataclass
class PreannotateResult:
    """What :func:`preannotate` uploaded: tasks predicted, regions, and class names the project lacks."""

    tasks: int
    regions: int
    model_version: str
    skipped_classes: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        text = f"Uploaded predictions of {self.model_version!r} for {self.tasks} tasks ({self.regions} regions)."
        if self.skipped_classes:
            text += f" Skipped classes the project does not have: {sorted(self.skipped_classes)}."
        return text


def preannotate(
    project: LabelingProject,
    model,
    conf: float = 0.25,
    imgsz: int | None = None,
    model_version: str | None = None,
    include_labelled: bool = False,
    batch: int = 16,
    **predict_kwargs,
) -> PreannotateResult:
    """Run ``model`` (a run, a ``best.pt`` path or a YOLO) on the tasks and upload its predictions.

    Only tasks without annotations and without a prediction of this ``model_version`` are
    predicted, unless ``include_labelled``. The student then corrects the proposals instead of
    drawing from scratch. Class names must match the project's; others are skipped and reported.
    ``predict_kwargs`` go to Ultralytics' ``predict`` (``max_det``, ``iou``, ...).
    """
    yolo = _load_model(model)
    names = dict(yolo.names)
    usable = {"detect": {"detect", "segment"}, "segment": {"segment"}, "classify": {"classify"}}[project.task]
    if getattr(yolo, "task", project.task) not in usable:
        what = {"detect": "boxes", "segment": "polygons", "classify": "classes"}[project.task]
        suffix = {"detect": "", "segment": "-seg", "classify": "-cls"}[project.task]
        raise LabelStudioError(
            f"Project {project.title!r} labels {what} ({project.task}), but the model is a {yolo.task} model. "
            f"Pre-label with a model trained for {project.task} (e.g. from yolo11n{suffix})."
        )
    wanted = set(project.classes)
    if not wanted & set(names.values()):
        raise LabelStudioError(
            f"None of the model's classes {sorted(names.values())} is a class of project {project.title!r} "
            f"({project.classes}). Pre-label with a model trained on these classes."
        )
    version = model_version or Path(str(getattr(yolo, "ckpt_path", None) or "model")).parent.parent.name or "model"
    client = project.client
    tasks = client.tasks(project.id)
    todo = []
    for t in tasks:
        if not include_labelled and t.get("total_annotations", 0):
            continue
        if not include_labelled and t.get("total_predictions", 0):
            preds = client.get("/api/predictions", params={"task": t["id"]}).json()
            if any(p.get("model_version") == version for p in preds):
                continue
        todo.append(t)
    n_regions, skipped = 0, set()
    kwargs = {"conf": conf, "verbose": False, **predict_kwargs}
    if imgsz:
        kwargs["imgsz"] = imgsz
    with tempfile.TemporaryDirectory(prefix="preannotate-") as tmp:
        for start in range(0, len(todo), batch):
            chunk = todo[start : start + batch]
            paths = []
            for t in chunk:
                src = t["data"]["image"]
                target = Path(tmp) / f"{t['id']}-{_original_name(src)}"
                response = client.get(src if src.startswith("/") else f"/{src}") if not src.startswith("http") else client.session.get(src)
                target.write_bytes(response.content)
                paths.append(target)
            for t, r in zip(chunk, yolo.predict([str(p) for p in paths], **kwargs)):
                regions, scores, skip = _results_for(r, project.task, names, wanted)
                skipped |= skip
                score = min(scores) if scores else 0.0
                client.post("/api/predictions", json={"task": t["id"], "result": regions, "score": score, "model_version": version})
                n_regions += len(regions)
            for p in paths:
                p.unlink(missing_ok=True)
    return PreannotateResult(tasks=len(todo), regions=n_regions, model_version=version, skipped_classes=skipped)


def accept_predictions(project: LabelingProject) -> int:
    """Turn the predictions of tasks without annotations into annotations; returns how many tasks.

    The same as selecting the tasks in Label Studio and choosing "Create Annotations From
    Predictions": for when the student checked the proposals and they are right.
    """
    client = project.client
    todo = [t for t in client.tasks(project.id) if not t.get("total_annotations", 0) and t.get("total_predictions", 0)]
    for t in todo:
        preds = client.get("/api/predictions", params={"task": t["id"]}).json()
        if not preds:
            continue
        pred = max(preds, key=lambda p: p.get("id", 0))  # the latest
        result = [{k: v for k, v in region.items() if k != "score"} for region in pred["result"]]
        client.post(f"/api/tasks/{t['id']}/annotations", json={"result": result, "parent_prediction": pred["id"], "was_cancelled": False})
    return len(todo)


# --------------------------------------------------------------------------- offline box editor


def _backup_path(label: Path) -> Path:
    candidate = label.with_name(label.name + ".bak")
    n = 2
    while candidate.exists():
        candidate = label.with_name(f"{label.name}.bak{n}")
        n += 1
    return candidate


class BoxEditor:
    """Edit the boxes of an export's images in the notebook, offline; saves YOLO label files.

    ``editor.widget`` is the interactive view (jupyter-bbox-widget when installed, else a text
    list of boxes beside the image). Boxes are dicts in pixels: ``{"x", "y", "width", "height",
    "label"}`` with ``x, y`` the top-left corner and ``label`` a class name. :meth:`save` writes
    the current image's label file and keeps the old one beside it as ``<name>.txt.bak``.
    """

    def __init__(self, export: str | Path = "annotations/export", images: list[str] | None = None):
        export = Path(export)
        if not export.is_absolute() and not export.exists():
            export = project_root() / export
        self.export = export
        self.names = read_class_names(export)
        all_images = list_images(export / "images") if (export / "images").is_dir() else []
        if images is not None:
            by_name = {p.name: p for p in all_images}
            missing = [n for n in images if n not in by_name]
            if missing:
                raise DatasetError(f"Not in {export / 'images'}: {missing}.")
            all_images = [by_name[n] for n in images]
        if not all_images:
            raise DatasetError(f"{export / 'images'} holds no images to edit.")
        self.images = all_images
        self.index = 0
        self._boxes: list[dict] = []
        self._widget = None
        self.load(0)

    @property
    def image(self) -> Path:
        return self.images[self.index]

    @property
    def label_file(self) -> Path:
        return self.export / "labels" / f"{self.image.stem}.txt"

    def image_size(self) -> tuple[int, int]:
        from PIL import Image

        with Image.open(self.image) as im:
            return im.size

    def load(self, index: int) -> list[dict]:
        """Show image ``index`` and read its boxes from its label file."""
        self.index = index % len(self.images)
        w, h = self.image_size()
        boxes = []
        if self.label_file.is_file():
            for number, line in enumerate(self.label_file.read_text(encoding="utf-8").splitlines(), start=1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 5:
                    boxes.append({"polygon_line": number})
                    continue
                cls, xc, yc, bw, bh = int(parts[0]), *map(float, parts[1:])
                label = self.names[cls] if 0 <= cls < len(self.names) else str(cls)
                boxes.append({"x": (xc - bw / 2) * w, "y": (yc - bh / 2) * h, "width": bw * w, "height": bh * h, "label": label})
        self._polygons = [b["polygon_line"] for b in boxes if "polygon_line" in b]
        self._boxes = [b for b in boxes if "polygon_line" not in b]
        self._sync_to_widget()
        return self.boxes

    @property
    def boxes(self) -> list[dict]:
        """The boxes of the current image (what the widget shows)."""
        if self._widget is not None:
            self._sync_from_widget()
        return [dict(b) for b in self._boxes]

    def set_boxes(self, boxes: list[dict]) -> None:
        """Replace the boxes of the current image (pixels, ``label`` a class name)."""
        for b in boxes:
            if b.get("label") not in self.names:
                raise DatasetError(f"Box {b}: label {b.get('label')!r} is not one of the classes {self.names}.")
        self._boxes = [dict(b) for b in boxes]
        self._sync_to_widget()

    def save(self) -> Path:
        """Write the current image's label file (YOLO format); the old file is kept as a ``.bak``."""
        if self._polygons:
            raise DatasetError(
                f"{self.label_file}, line(s) {self._polygons}: polygons. This editor draws boxes only and would lose "
                "them; correct polygons in Label Studio."
            )
        boxes = self.boxes
        w, h = self.image_size()
        lines = []
        for b in boxes:
            if b.get("label") not in self.names:
                raise DatasetError(f"Box {b}: label {b.get('label')!r} is not one of the classes {self.names}; nothing saved.")
            x1, y1 = max(0.0, float(b["x"])), max(0.0, float(b["y"]))
            x2, y2 = min(float(w), float(b["x"]) + float(b["width"])), min(float(h), float(b["y"]) + float(b["height"]))
            if x2 <= x1 or y2 <= y1:
                continue  # a click without a drag, or a box outside the image
            cls = self.names.index(b["label"])
            lines.append(f"{cls} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
        label = self.label_file
        label.parent.mkdir(parents=True, exist_ok=True)
        text = "\n".join(lines) + ("\n" if lines else "")
        if label.is_file():
            if label.read_text(encoding="utf-8") == text:
                return label
            shutil.copy2(label, _backup_path(label))
        tmp = label.with_name(label.name + ".saving")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, label)
        return label

    # the interactive part ------------------------------------------------------------
    def _sync_to_widget(self) -> None:
        if self._widget is None:
            return
        if self._bbox is not None:
            self._bbox.image = str(self.image)
            self._bbox.bboxes = [dict(b) for b in self._boxes]
        else:
            self._image_view.value = self.image.read_bytes()
            self._text.value = "\n".join(
                f"{b['label']}, {b['x']:.0f}, {b['y']:.0f}, {b['width']:.0f}, {b['height']:.0f}" for b in self._boxes
            )
        self._status.value = f"{self.index + 1}/{len(self.images)}  {self.image.name}"

    def _sync_from_widget(self) -> None:
        if self._bbox is not None:
            self._boxes = [{k: b[k] for k in ("x", "y", "width", "height", "label")} for b in self._bbox.bboxes]
            return
        boxes = []
        for number, line in enumerate(self._text.value.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.rsplit(",", 4)]
            try:
                label, x, y, bw, bh = parts[0], *map(float, parts[1:])
            except ValueError:
                raise DatasetError(f"Box line {number} {line!r}: write 'class name, x, y, width, height' in pixels.") from None
            boxes.append({"x": x, "y": y, "width": bw, "height": bh, "label": label})
        self._boxes = boxes

    @property
    def widget(self):
        """The editor as an ipywidgets box: the image with its boxes, Previous / Save / Next."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as W

        try:
            from jupyter_bbox_widget import BBoxWidget
        except ImportError:
            BBoxWidget = None
        self._status = W.Label()
        if BBoxWidget is not None:
            self._bbox = BBoxWidget(classes=list(self.names), hide_buttons=True)
            view = self._bbox
        else:
            self._bbox = None
            self._image_view = W.Image(format=self.image.suffix.lstrip(".").lower() or "jpeg", layout=W.Layout(max_width="640px"))
            self._text = W.Textarea(
                placeholder="one box a line: class name, x, y, width, height (pixels, top-left corner)",
                layout=W.Layout(width="420px", height="200px"),
            )
            view = W.HBox([self._image_view, W.VBox([W.Label(f"classes: {', '.join(self.names)}"), self._text])])
        prev_b, save_b, next_b = W.Button(description="Previous"), W.Button(description="Save", button_style="success"), W.Button(description="Next")
        message = W.Label()

        def go(step):
            def handler(_):
                self.load(self.index + step)
                message.value = ""

            return handler

        def save(_):
            try:
                message.value = f"saved {self.save().name}"
            except DatasetError as err:
                message.value = str(err)

        prev_b.on_click(go(-1))
        next_b.on_click(go(1))
        save_b.on_click(save)
        self._widget = W.VBox([self._status, view, W.HBox([prev_b, save_b, next_b, message])])
        self._sync_to_widget()
        return self._widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def box_editor(export: str | Path = "annotations/export", images: list[str] | None = None) -> BoxEditor:
    """An offline box editor for ``export`` (all images, or the named ones); show it as a cell's last line."""
    return BoxEditor(export, images)
