"""MkDocs hook: keep the site offline and its notebook links working.

nbconvert's notebook template loads MathJax, mermaid and the widget renderer from CDNs; the course
uses no LaTeX, draws its diagrams with the local mermaid.min.js (docs/javascripts/mermaid-init.js)
and shows no live widgets on the site, so those scripts are removed. Links between notebooks (``02_annotation.ipynb``) become the pages' URLs.
"""

from __future__ import annotations

import re

_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\ssrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.S)
# inline scripts that fetch code from the internet: nbconvert's mermaid loader and widget renderer
_REMOTE_LOADER = re.compile(r"<script\b(?![^>]*type=\"application/)[^>]*>(?:(?!</script>).)*?[\"']https?://(?:(?!</script>).)*?</script>", re.S)
_NOTEBOOK_LINK = re.compile(r"href=\"([\w.-]+)\.ipynb(#[^\"]*)?\"")


def on_post_page(output: str, page, config) -> str:
    output = _EXTERNAL_SCRIPT.sub("", output)
    output = _REMOTE_LOADER.sub("", output)
    if page.file.src_uri.endswith(".ipynb"):
        output = _NOTEBOOK_LINK.sub(lambda m: f'href="../{m.group(1)}/{m.group(2) or ""}"', output)
    return output
