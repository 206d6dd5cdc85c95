"""The ``.ipynb`` reader: nbconvert's ``basic`` HTML (cells only, no page, no script)."""

from __future__ import annotations

import base64
import binascii
import io
import re
from pathlib import Path

import nbformat
from markdown import Markdown
from nbconvert import HTMLExporter
from pelican.readers import BaseReader

SIDECAR_SUFFIXES = (".nbdata", ".ipynb-meta")
_EMBEDDED_IMAGE = re.compile(r'<img\b(?P<attributes>[^>]*?\bsrc="data:image/[\w.+-]+;base64,(?P<data>[A-Za-z0-9+/=\s]+)"[^>]*?)\s*/?>')


def sized_images(html: str) -> str:
    """Give each embedded plot its width and height (from its own bytes), so the page does not
    jump when it loads; nbconvert writes them without."""
    from PIL import Image, UnidentifiedImageError

    def sized(match: re.Match) -> str:
        attributes = match["attributes"]
        if re.search(r"\b(width|height)=", attributes):
            return match.group(0)
        try:
            with Image.open(io.BytesIO(base64.b64decode("".join(match["data"].split())))) as image:
                width, height = image.size
        except (binascii.Error, ValueError, OSError, UnidentifiedImageError):
            return match.group(0)
        return f'<img{attributes} width="{width}" height="{height}">'

    return _EMBEDDED_IMAGE.sub(sized, html)


def sidecar_metadata(source: Path) -> dict[str, str]:
    """``Title: x`` lines of ``name.nbdata`` (or ``name.ipynb-meta``) beside the notebook."""
    for suffix in SIDECAR_SUFFIXES:
        sidecar = source.with_suffix(suffix)
        if sidecar.is_file():
            found = {}
            for line in sidecar.read_text(encoding="utf-8").splitlines():
                name, colon, value = line.partition(":")
                if colon and name.strip():
                    found[name.strip().lower()] = value.strip()
            return found
    return {}


def notebook_html(notebook, markdown_settings: dict, cells: slice = slice(None)) -> str:
    """The notebook's cells (``cells`` of them) as HTML: nbconvert's ``basic`` template, no
    prompts; Markdown cells through the site's Markdown settings, maths included."""
    notebook.cells = notebook.cells[cells]

    def markdown(text: str) -> str:
        settings = dict(markdown_settings)
        extensions = list(settings.pop("extensions", []) or [])
        configs = dict(settings.pop("extension_configs", {}) or {})
        configs.pop("markdown.extensions.meta", None)  # a cell has no metadata header
        extensions += [name for name in configs if name not in extensions]
        return Markdown(extensions=extensions, extension_configs=configs, **settings).convert(text)

    exporter = HTMLExporter(template_name="basic", filters={"markdown2html": markdown})
    exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(notebook)
    return f'<div class="notebook">\n{sized_images(body)}\n</div>'


class NotebookReader(BaseReader):
    enabled = True
    file_extensions = ["ipynb"]

    def read(self, source_path):
        source = Path(source_path)
        notebook = nbformat.read(source, as_version=4)
        raw = {str(k).lower(): str(v) for k, v in (notebook.metadata.get("pelican") or {}).items()}
        raw.update(sidecar_metadata(source))
        metadata = {name: self.process_metadata(name, value) for name, value in raw.items()}
        html = notebook_html(notebook, self.settings.get("MARKDOWN") or {})
        if "summary" not in metadata:  # the cells are no paragraphs: the first Markdown one says what it is
            first = re.search(r"<p>.*?</p>", html, re.S)
            if first:
                metadata["summary"] = first.group(0)
        return html, metadata


def add_reader(readers) -> None:
    from plugins.listed import listed

    if listed(readers.settings, __package__):
        readers.reader_classes["ipynb"] = NotebookReader
