""""Open in Colab" and "Open in Kaggle": the site hook's links on a chapter page, and the README's, from one setting in mkdocs.yml.

The hook's functions are called on a page's HTML as MkDocs would call them; no site is built.
"""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("badges_hook", ROOT / "docs" / "hooks" / "badges.py")
badges = importlib.util.module_from_spec(spec)
spec.loader.exec_module(badges)

CHAPTER_HTML = '<div class="jp-Cell"><h1 id="4.-Training">4. Training<a class="anchor-link" href="#4.-Training">¶</a></h1><p>With photos...</p></div>'
COLAB = "https://colab.research.google.com/github/ada/yolo-course/blob/spring/notebooks/04_training.ipynb"
KAGGLE = "https://kaggle.com/kernels/welcome?src=https://github.com/ada/yolo-course/blob/spring/notebooks/04_training.ipynb"


def _page(uri: str):
    return types.SimpleNamespace(file=types.SimpleNamespace(src_uri=uri))


def _configure(**extra):
    config = types.SimpleNamespace(extra={"executed_notebooks": {"source": "notebooks"}, **extra})
    badges.on_config(config)
    return config


@pytest.mark.parametrize("repository", ["https://github.com/ada/yolo-course", "https://github.com/ada/yolo-course.git", "ada/yolo-course"])
def test_every_chapter_page_opens_in_colab_and_kaggle(repository):
    config = _configure(course_repository=repository, course_branch="spring")
    out = badges.on_page_content(CHAPTER_HTML, _page("notebooks/04_training.ipynb"), config, None)
    heading_end = out.index("</h1>")
    colab, kaggle = out.index(f'href="{COLAB}"'), out.index(f'href="{KAGGLE}"')
    assert heading_end < colab < kaggle < out.index("<p>With photos")  # under the title, before the text
    assert ">Open in Colab</a>" in out and ">Open in Kaggle</a>" in out
    assert "<img" not in out  # the site loads nothing from the internet
    # a page that is not a chapter is left alone
    assert badges.on_page_content("<h1>For instructors</h1>", _page("instructors.md"), config, None) == "<h1>For instructors</h1>"


def test_no_links_when_the_repository_is_not_set():
    for extra in ({}, {"course_repository": ""}, {"course_repository": "  "}):
        config = _configure(**extra)
        assert badges.on_page_content(CHAPTER_HTML, _page("notebooks/04_training.ipynb"), config, None) == CHAPTER_HTML
    assert badges.readme_block(None, [("4. Training", "notebooks/04_training.ipynb")]) == ""


def test_the_default_branch_is_main_and_a_wrong_setting_is_explained():
    assert badges.course_repository({"course_repository": "ada/yolo-course"}) == ("ada/yolo-course", "main")
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match="is not a GitHub repository. Write https://github.com/OWNER/REPO"):
        _configure(course_repository="https://gitlab.com/ada/yolo-course")
    with pytest.raises(PluginError, match="course_branch"):
        _configure(course_repository="ada/yolo-course", course_branch="my branch")


def test_the_readme_block_lists_every_chapter_with_both_badges():
    chapters = badges.chapters(ROOT / "mkdocs.yml")
    assert chapters[3] == ("4. Training", "notebooks/04_training.ipynb")
    block = badges.readme_block(("ada/yolo-course", "spring"), chapters)
    rows = [line for line in block.splitlines() if line.startswith("| ") and "Open in" in line]
    assert len(rows) == len(chapters) and f"]({COLAB})" in rows[3] and f"]({KAGGLE})" in rows[3]
    text = badges.readme_text("intro\n<!-- open-in -->\nold links\n<!-- /open-in -->\nrest\n", block)
    assert text.startswith("intro\n<!-- open-in -->\nOpen a chapter") and text.endswith(f"{rows[-1]}\n<!-- /open-in -->\nrest\n")
    assert badges.readme_text(text, "") == "intro\n<!-- open-in -->\n<!-- /open-in -->\nrest\n"


def test_the_readme_shows_what_mkdocs_yml_sets():
    """Setting course_repository without running `python docs/hooks/badges.py` (or editing the links by hand) fails here."""
    mkdocs_yml = ROOT / "mkdocs.yml"
    setting = badges.course_repository(badges.read_mkdocs(mkdocs_yml).get("extra") or {})
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == badges.readme_text(readme, badges.readme_block(setting, badges.chapters(mkdocs_yml))), (
        "README.md's Open in Colab/Kaggle links disagree with mkdocs.yml's extra.course_repository: run python docs/hooks/badges.py"
    )
    assert "docs/hooks/badges.py" in (badges.read_mkdocs(mkdocs_yml).get("hooks") or [])
