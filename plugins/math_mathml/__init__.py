"""Pelican plugin: TeX in Markdown posts becomes MathML at build time; no MathJax, no CDN, nothing
the site's Content-Security-Policy would block. See ``extension.py`` for what counts as maths."""

EXTENSION = __name__ + ".extension"


def register():
    from pelican import signals

    signals.initialized.connect(add_markdown_extension)


def add_markdown_extension(pelican) -> None:
    from plugins.listed import listed

    if not listed(pelican.settings, __name__):
        return
    # A copy: the settings module's MARKDOWN dict is shared by every build of the process. The
    # extension goes in by its module name, so the settings stay plain, comparable values.
    markdown = dict(pelican.settings.get("MARKDOWN") or {})
    configs = dict(markdown.get("extension_configs") or {})
    configs.setdefault(EXTENSION, {})
    markdown["extension_configs"] = configs
    pelican.settings["MARKDOWN"] = markdown
