"""Pelican plugin: Jupyter notebooks, rendered by nbconvert, as posts and pages (``.ipynb``) and
embedded in a Markdown post (``{% notebook name.ipynb %}``, from NOTEBOOK_DIR, ``notebooks``
under the content folder unless set).

A notebook post's metadata comes from a sidecar file beside it (``name.nbdata``, as
pelican-jupyter reads it: ``Title: …`` lines) or from the notebook's own metadata under
``"pelican"``. Markdown cells go through the site's own Markdown (maths becomes MathML as in
posts); the images cells output are ``data:`` URIs, which inline_assets writes out as files.
"""

import os

EMBED = __name__ + ".embed"


def register():
    from pelican import signals

    from .reader import add_reader

    signals.initialized.connect(add_markdown_extension)
    signals.readers_init.connect(add_reader)


def add_markdown_extension(pelican) -> None:
    from plugins.listed import listed

    settings = pelican.settings
    if not listed(settings, __name__):
        return
    markdown = dict(settings.get("MARKDOWN") or {})
    configs = dict(markdown.get("extension_configs") or {})
    folder = os.path.join(settings["PATH"], settings.get("NOTEBOOK_DIR") or "notebooks")
    cell_markdown = {**markdown, "extension_configs": {k: v for k, v in configs.items() if k != EMBED}}
    configs[EMBED] = {"notebook_dir": folder, "content_dir": settings["PATH"], "markdown": cell_markdown}
    markdown["extension_configs"] = configs
    settings["MARKDOWN"] = markdown
    # A folder of notebooks for embedding holds no posts; one where a notebook has its metadata
    # beside it (name.nbdata) holds notebook posts, as pelican-jupyter blogs keep them.
    notebook_dir = settings.get("NOTEBOOK_DIR") or "notebooks"
    if not has_sidecars(folder):
        for excludes in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES"):
            settings[excludes] = [*(settings.get(excludes) or []), notebook_dir]


def has_sidecars(folder: str) -> bool:
    from .reader import SIDECAR_SUFFIXES

    return any(name.endswith(SIDECAR_SUFFIXES) for _, _, names in os.walk(folder) for name in names)
