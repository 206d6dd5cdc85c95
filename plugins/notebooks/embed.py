"""A Python-Markdown extension: ``{% notebook name.ipynb [cells[2:5]] %}`` on a line of its own
embeds the notebook, as liquid_tags and pelican-jupyter spell it. The name is looked up under
NOTEBOOK_DIR, then under the content folder (blogs wrote it either way)."""

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
    def __init__(self, md, folders: list[Path], markdown_settings: dict):
        super().__init__(md)
        self.folders = folders
        self.markdown_settings = markdown_settings

    def run(self, lines):
        out = []
        for line in lines:
            found = TAG.match(line)
            if not found:
                out.append(line)
                continue
            path = next((folder / found["name"] for folder in self.folders if (folder / found["name"]).is_file()), None)
            try:
                notebook = nbformat.read(path or self.folders[0] / found["name"], as_version=4)
            except (OSError, ValueError) as error:
                log.error("notebook %s cannot be read (looked in %s): %s", found["name"], ", ".join(map(str, self.folders)), error)
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
            "content_dir": ["content", "the content folder, where a name is looked up second"],
            "markdown": [{}, "the site's MARKDOWN settings, for the notebooks' Markdown cells"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        folders = [Path(self.getConfig("notebook_dir")), Path(self.getConfig("content_dir"))]
        # After fenced code blocks are stashed (25: a tag inside code stays text), before raw HTML (20).
        md.preprocessors.register(NotebookEmbed(md, folders, self.getConfig("markdown")), "notebook_embed", 22)


def makeExtension(**kwargs):  # noqa: N802 - the name Python-Markdown looks up
    return NotebookEmbedExtension(**kwargs)
