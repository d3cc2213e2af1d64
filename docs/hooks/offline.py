"""MkDocs hook: keep the site offline and its notebook links working.

nbconvert's notebook template loads MathJax and mermaid from a CDN; the course uses no LaTeX and
draws its diagrams with the local mermaid.min.js (docs/javascripts/mermaid-init.js), so those
scripts are removed. Links between notebooks (``02_annotation.ipynb``) become the pages' URLs.
"""

from __future__ import annotations

import re

_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\ssrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.S)
_REMOTE_MODULE = re.compile(r"<script type=\"module\">(?:(?!</script>).)*?import\(\"https?://(?:(?!</script>).)*?</script>", re.S)
_NOTEBOOK_LINK = re.compile(r"href=\"([\w.-]+)\.ipynb(#[^\"]*)?\"")


def on_post_page(output: str, page, config) -> str:
    output = _EXTERNAL_SCRIPT.sub("", output)
    output = _REMOTE_MODULE.sub("", output)
    if page.file.src_uri.endswith(".ipynb"):
        output = _NOTEBOOK_LINK.sub(lambda m: f'href="../{m.group(1)}/{m.group(2) or ""}"', output)
    return output
