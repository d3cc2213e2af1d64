"""MkDocs hook: "Open in Colab" and "Open in Kaggle" on every chapter page, when mkdocs.yml names the course's repository.

One setting, in ``mkdocs.yml``'s ``extra:``: ``course_repository`` (``https://github.com/OWNER/REPO``
or ``OWNER/REPO``; empty: no links anywhere) and, optionally, ``course_branch`` (default ``main``).
Colab and Kaggle open a notebook straight from GitHub, so each chapter page gets, under its title::

    https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/notebooks/NAME.ipynb
    https://kaggle.com/kernels/welcome?src=https://github.com/OWNER/REPO/blob/BRANCH/notebooks/NAME.ipynb

The notebook opens with its install cell first. On the site they are text buttons: the site loads
nothing from the internet. The README shows the same links as the services' badges, between its
``<!-- open-in -->`` markers: ``python docs/hooks/badges.py`` writes them from ``mkdocs.yml`` (and
empties the block when the setting is empty); ``tests/test_badges.py`` fails when they disagree.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import yaml

#: The README's block of links lies between these two lines.
README_START, README_END = "<!-- open-in -->", "<!-- /open-in -->"
SERVICES = {
    "Colab": ("https://colab.research.google.com/github/{repo}/blob/{branch}/{path}", "https://colab.research.google.com/assets/colab-badge.svg"),
    "Kaggle": ("https://kaggle.com/kernels/welcome?src=https://github.com/{repo}/blob/{branch}/{path}", "https://kaggle.com/static/images/open-in-kaggle.svg"),
}
_REPOSITORY = re.compile(r"^(?:https?://(?:www\.)?github\.com/)?([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")
_settings: dict = {}


class SettingError(ValueError):
    """``extra.course_repository`` or ``extra.course_branch`` cannot be used (the message says what to write)."""


def course_repository(extra: dict) -> tuple[str, str] | None:
    """``(OWNER/REPO, branch)`` from mkdocs.yml's ``extra``, or None when ``course_repository`` is empty."""
    text = str(extra.get("course_repository") or "").strip()
    if not text:
        return None
    match = _REPOSITORY.match(text)
    if not match:
        raise SettingError(
            f"extra.course_repository: {text!r} is not a GitHub repository. Write https://github.com/OWNER/REPO "
            "(Colab and Kaggle open notebooks from GitHub), or leave it empty for no Colab and Kaggle links."
        )
    branch = str(extra.get("course_branch") or "main").strip()
    if not re.fullmatch(r"[\w./-]+", branch):
        raise SettingError(f"extra.course_branch: {branch!r} is not a branch name (e.g. main).")
    return f"{match.group(1)}/{match.group(2)}", branch


def notebook_links(repository: str, branch: str, notebook: str) -> dict[str, str]:
    """``{"Colab": url, "Kaggle": url}`` opening ``notebook`` (its path in the repository) on each service."""
    return {name: url.format(repo=repository, branch=branch, path=notebook) for name, (url, _) in SERVICES.items()}


def page_links(links: dict[str, str]) -> str:
    """The links as the site shows them: text buttons, no image from the internet."""
    buttons = " ".join(f'<a class="md-button" href="{html.escape(url)}" target="_blank" rel="noopener">Open in {name}</a>'
                       for name, url in links.items())
    return f'<p class="open-in">{buttons}</p>'


def add_links(content: str, links: dict[str, str]) -> str:
    """A chapter page's HTML with the links under its first heading (or first, when it has none)."""
    block = page_links(links)
    end = content.find("</h1>")
    return content[: end + 5] + "\n" + block + content[end + 5:] if end >= 0 else block + "\n" + content


def readme_block(setting: tuple[str, str] | None, chapters: list[tuple[str, str]]) -> str:
    """The README's lines between the markers: one row per chapter ``(title, notebook path)``; nothing when unset."""
    if setting is None:
        return ""
    repository, branch = setting
    rows = ["Open a chapter in a hosted notebook with a free GPU (its first cell installs the package; "
            "`yt.hosted(drive=True)` keeps the runs on Google Drive):", "", "| chapter | | |", "| --- | --- | --- |"]
    for title, path in chapters:
        links = notebook_links(repository, branch, path)
        cells = [f"[![Open in {name}]({SERVICES[name][1]})]({url})" for name, url in links.items()]
        rows.append(f"| {title} | {' | '.join(cells)} |")
    return "\n".join(rows)


class _Loader(yaml.SafeLoader):
    """mkdocs.yml as data: its ``!!python/name:`` tags become None."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def read_mkdocs(path: Path) -> dict:
    """mkdocs.yml as a dict, read without MkDocs."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}


def chapters(mkdocs_yml: Path) -> list[tuple[str, str]]:
    """``(title, notebook path)`` of every chapter, in order, from the chapter registry mkdocs.yml names."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import execute  # docs/hooks/execute.py reads the registry without importing the package

    options = (read_mkdocs(mkdocs_yml).get("extra") or {}).get("executed_notebooks") or {}
    root = mkdocs_yml.resolve().parent
    source = Path(options.get("source", "notebooks"))
    rows = execute.read_chapters(root / options["registry"])
    return [(f"{row['number']}. {row['title']}", (source / f"{row['notebook']}.ipynb").as_posix()) for row in rows]


def readme_text(readme: str, block: str) -> str:
    """``readme`` with ``block`` between its markers."""
    if readme.count(README_START) != 1 or readme.count(README_END) != 1:
        raise SettingError(f"the README needs one {README_START} line and one {README_END} line, where the links go")
    head, rest = readme.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    return f"{head}{README_START}\n{block + chr(10) if block else ''}{README_END}{tail}"


# ---------------------------------------------------------------------------------------------
# MkDocs events


def on_config(config):
    from mkdocs.exceptions import PluginError

    try:
        setting = course_repository(config.extra)
    except SettingError as err:
        raise PluginError(str(err)) from None
    options = config.extra.get("executed_notebooks") or {}
    _settings.clear()
    _settings.update(setting=setting, source=str(options.get("source", "notebooks")).strip("/"))
    return config


def on_page_content(html_content, page, config, files):
    setting = _settings.get("setting")
    uri = page.file.src_uri
    if setting is None or not (uri.startswith(_settings["source"] + "/") and uri.endswith(".ipynb")):
        return html_content
    return add_links(html_content, notebook_links(*setting, uri))


if __name__ == "__main__":  # python docs/hooks/badges.py: the README's links from mkdocs.yml
    root = Path(__file__).resolve().parents[2]
    mkdocs_yml, readme = root / "mkdocs.yml", root / "README.md"
    setting = course_repository(read_mkdocs(mkdocs_yml).get("extra") or {})
    text = readme.read_text(encoding="utf-8")
    new = readme_text(text, readme_block(setting, chapters(mkdocs_yml)))
    if new != text:
        readme.write_text(new, encoding="utf-8")
    print(f"README.md: {'links to ' + setting[0] + '@' + setting[1] if setting else 'no links (extra.course_repository is empty)'}"
          f"{'' if new != text else ', unchanged'}.")
