"""A Python-Markdown extension: ``{% notebook name.ipynb [cells[2:5]] %}`` on a line of its own
embeds the notebook (from NOTEBOOK_DIR under the content folder), as liquid_tags and
pelican-jupyter spell it."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import nbformat
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from .reader import notebook_html

log = logging.getLogger(__name__)

TAG = re.compile(r"^\s*\{%\s*notebook\s+(?P<name>\S+)(?:\s+cells\[(?P<start>-?\d*):(?P<end>-?\d*)\])?[^%]*%\}\s*$")


class NotebookEmbed(Preprocessor):
    def __init__(self, md, folder: Path, markdown_settings: dict):
        super().__init__(md)
        self.folder = folder
        self.markdown_settings = markdown_settings

    def run(self, lines):
        out = []
        for line in lines:
            found = TAG.match(line)
            if not found:
                out.append(line)
                continue
            path = self.folder / found["name"]
            try:
                notebook = nbformat.read(path, as_version=4)
            except (OSError, ValueError) as error:
                log.error("notebook %s cannot be read (NOTEBOOK_DIR is %s): %s", found["name"], self.folder, error)
                out.append(line)
                continue
            cells = slice(int(found["start"]) if found["start"] else None, int(found["end"]) if found["end"] else None)
            html = notebook_html(notebook, self.markdown_settings, cells)
            out.extend(["", self.md.htmlStash.store(html), ""])
        return out


class NotebookEmbedExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {
            "notebook_dir": ["notebooks", "folder of the notebooks, absolute or under the working folder"],
            "markdown": [{}, "the site's MARKDOWN settings, for the notebooks' Markdown cells"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        folder = Path(self.getConfig("notebook_dir"))
        # After fenced code blocks are stashed (25: a tag inside code stays text), before raw HTML (20).
        md.preprocessors.register(NotebookEmbed(md, folder, self.getConfig("markdown")), "notebook_embed", 22)


def makeExtension(**kwargs):  # noqa: N802 - the name Python-Markdown looks up
    return NotebookEmbedExtension(**kwargs)
