"""Talking to a Label Studio server: its REST client, labelling projects, and uploading photos.

:func:`connect` gives a :class:`LabelStudio` client for the server :mod:`yolo_training.annotate.server`
started (or for a student's own server: ``connect(url, token)``). :func:`create_labeling_project`
makes a project that draws boxes, polygons or classes; :func:`import_images` uploads a folder of
photos as its tasks. Everything goes through Label Studio's documented REST API with ``requests``,
never the SDK, which would bring Label Studio's pins into the project's environment.

Getting the annotations back is :mod:`yolo_training.annotate.pull`; model-assisted labelling
is :mod:`yolo_training.inference.prelabel`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.common import COMMON_IMAGE_SUFFIXES, list_images
from ..core.errors import DatasetError, LabelStudioError
from .server import label_studio_status

#: The three kinds of labelling project, and the Label Studio tag that draws each.
TASKS = ("detect", "segment", "classify")
_TAGS = {"detect": "RectangleLabels", "segment": "PolygonLabels", "classify": "Choices"}
# Label Studio stores an upload as "<8 hex>-<original name>".
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")


# --------------------------------------------------------------------------- the REST client


class LabelStudio:
    """A Label Studio server reached over its REST API with a (legacy) API token.

    Args:
        url: where the server answers, e.g. ``http://127.0.0.1:8080``.
        token: the API token (Account & Settings > Legacy Token).
        timeout: seconds one request may take.

    Examples:
        >>> client = LabelStudio("http://127.0.0.1:8080", "0123abcd...")  # doctest: +SKIP
        >>> [p["title"] for p in client.projects()]  # doctest: +SKIP
    """

    def __init__(self, url: str, token: str, timeout: float = 120):
        import requests

        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def __repr__(self) -> str:
        return f"LabelStudio({self.url!r})"

    def request(self, method: str, path: str, **kwargs):
        """One API call; a connection failure or an error status becomes a :class:`LabelStudioError`.

        Args:
            method: ``"GET"``, ``"POST"``...
            path: the API path, e.g. ``/api/projects``.
            **kwargs: passed to ``requests`` (``params``, ``json``, ``files``, ``timeout``...).

        Returns:
            The ``requests.Response``.
        """
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
        """A GET request (see :meth:`request`)."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        """A POST request (see :meth:`request`)."""
        return self.request("POST", path, **kwargs)

    def download(self, src: str) -> bytes:
        """The bytes of a task's file: ``src`` is its ``data["image"]`` (a server path or a full URL)."""
        if src.startswith("http"):
            return self.session.get(src, timeout=self.timeout).content
        return self.get(src if src.startswith("/") else f"/{src}").content

    def projects(self) -> list[dict]:
        """Every project the token can see, as the API describes them."""
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
            params = {"project": project_id, "page": page, "page_size": 500}
            response = self.session.get(f"{self.url}/api/tasks", params=params, timeout=self.timeout)
            if response.status_code == 404 and page > 1:  # past the last page
                return found
            if response.status_code >= 400:
                self.get("/api/tasks", params=params)  # raises clearly
            body = response.json()
            items = body.get("tasks", []) if isinstance(body, dict) else body
            found += items
            total = body.get("total", len(found)) if isinstance(body, dict) else len(found)
            if not items or len(found) >= total:
                return found
            page += 1


def connect(url: str | None = None, token: str | None = None) -> LabelStudio:
    """A client for a Label Studio server.

    Args:
        url: the server's address; None for the Label Studio this project started.
        token: its API token; None with ``url=None`` uses the started server's.

    Returns:
        A :class:`LabelStudio` client.

    Raises:
        LabelStudioError: no server was started and no ``url`` given, or no token.

    Examples:
        >>> client = connect()  # after start_label_studio()  # doctest: +SKIP
        >>> client = connect("https://labels.example.org", "0123abcd...")  # doctest: +SKIP
    """
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


# --------------------------------------------------------------------------- projects


@dataclass
class LabelingProject:
    """A Label Studio project: its id, title, kind of task and class names (configuration order).

    Examples:
        >>> project = create_labeling_project("euro notes", ["10 euro", "5 euro"])  # doctest: +SKIP
        >>> project.url  # doctest: +SKIP
        'http://127.0.0.1:8080/projects/1'
    """

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
    """The Label Studio labelling configuration (XML) that draws ``task`` with ``classes``.

    Args:
        classes: the class names, different and non-empty.
        task: ``"detect"`` (rectangles), ``"segment"`` (polygons) or ``"classify"`` (one choice).

    Returns:
        The configuration's XML text.

    Examples:
        >>> print(labeling_config(["cat"]))
        <View>
          <Image name="image" value="$image" zoom="true"/>
          <RectangleLabels name="label" toName="image">
            <Label value="cat"/>
          </RectangleLabels>
        </View>
    """
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

    Args:
        name: the project's title; it must be new on the server.
        classes: the class names.
        task: ``"detect"``, ``"segment"`` or ``"classify"``.
        client: the server (default: :func:`connect`).

    Returns:
        The new :class:`LabelingProject`.

    Raises:
        LabelStudioError: a project of that name exists (open it with :func:`get_labeling_project`).

    Examples:
        >>> project = create_labeling_project("euros", ["5 euro", "10 euro"])  # doctest: +SKIP
        >>> print(project.url)  # doctest: +SKIP
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
    """An existing project, by title or id.

    Args:
        name: the project's title, or its number.
        client: the server (default: :func:`connect`).

    Returns:
        The :class:`LabelingProject`.

    Examples:
        >>> project = get_labeling_project("euros")  # doctest: +SKIP
    """
    client = client or connect()
    if isinstance(name, int):
        return _project_from(client, client.get(f"/api/projects/{name}").json())
    projects = client.projects()
    matches = [p for p in projects if p.get("title") == name]
    if not matches:
        titles = [p.get("title") for p in projects]
        raise LabelStudioError(
            f"No Label Studio project named {name!r} at {client.url}; there are: {titles}. Create it with create_labeling_project()."
        )
    return _project_from(client, client.get(f"/api/projects/{matches[0]['id']}").json())


# --------------------------------------------------------------------------- photos


def original_name(data_path: str) -> str:
    """The file name a student uploaded, from a task's image path (Label Studio prefixes 8 hex digits).

    Args:
        data_path: a task's ``data["image"]``, e.g. ``/data/upload/3/1a2b3c4d-IMG_0001.jpg``.

    Returns:
        The original name.

    Examples:
        >>> original_name("/data/upload/3/1a2b3c4d-IMG_0001.jpg")
        'IMG_0001.jpg'
    """
    name = str(data_path).rsplit("/", 1)[-1]
    return _UPLOAD_PREFIX.sub("", name, count=1)


def import_images(project: LabelingProject, folder: str | Path, batch: int = 50) -> list[str]:
    """Upload the images of ``folder`` as tasks, skipping names the project has already.

    The images stay where they are; Label Studio keeps a copy.

    Args:
        project: the project to upload into.
        folder: a folder of photos (not searched below).
        batch: photos sent per request.

    Returns:
        The names uploaded (empty when all were there already).

    Examples:
        >>> uploaded = import_images(project, "data/photos")  # doctest: +SKIP
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder.resolve()} is not a folder of images; pass the folder the photos were saved in.")
    images = list_images(folder)
    if not images:
        raise DatasetError(f"{folder.resolve()} holds no images ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...).")
    existing = {original_name(t.get("data", {}).get("image", "")) for t in project.client.tasks(project.id)}
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
