"""The build's identity: what shapes the output changes it, nothing else does, and a cache made
under another identity is never read."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from deploy.site import build_site, read_pelican_settings
from shared.targets import PROJECT_ROOT
from sitebuild.cache import cache_root_for
from sitebuild.identity import build_identity
from tests.blogs import write_blog

POST = "Title: Harbour\nDate: 2024-03-01 10:00\nSlug: harbour\n\nFirst line\nsecond line.\n"
# A plugin that changes how Markdown is read (as liquid tags or a math plugin do): a line break
# in a paragraph becomes <br>. Pelican's content cache alone would keep serving the old reading.
LINE_BREAKS_PLUGIN = '''
from pelican import signals


def _line_breaks(pelican):
    pelican.settings["MARKDOWN"].setdefault("extension_configs", {})["markdown.extensions.nl2br"] = {}


def register():
    signals.initialized.connect(_line_breaks)
'''


@pytest.fixture
def site(tmp_path):
    """A blog, a copy of the theme and a plugin folder of its own, and its settings' overrides."""
    content = write_blog(tmp_path / "content", {"posts/harbour.md": POST})
    theme = tmp_path / "theme"
    shutil.copytree(PROJECT_ROOT / "theme", theme)
    plugins = tmp_path / "plugins"
    (plugins / "line_breaks").mkdir(parents=True)
    (plugins / "line_breaks" / "__init__.py").write_text(LINE_BREAKS_PLUGIN)
    base = read_pelican_settings("pelicanconf.py")
    overrides = {
        "PATH": str(content), "THEME": str(theme),
        "PLUGIN_PATHS": [*base["PLUGIN_PATHS"], str(plugins)],
    }
    return tmp_path, overrides


def identity(overrides: dict):
    return build_identity(read_pelican_settings("pelicanconf.py", overrides))


def test_identity_is_stable_and_the_same_in_another_process(site):
    _, overrides = site
    first = identity(overrides)
    assert identity(overrides) == first
    other = subprocess.run(
        [sys.executable, "-c", (
            "import sys; from deploy.site import read_pelican_settings; from sitebuild.identity import build_identity;"
            f"print(build_identity(read_pelican_settings('pelicanconf.py', {overrides!r})).digest)"
        )],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    )
    assert other.stdout.strip() == first.digest


def test_each_thing_that_shapes_the_output_changes_the_identity(site):
    tmp_path, overrides = site
    start = identity(overrides)
    changes = {
        "settings": {**overrides, "SITESUBTITLE": "Another subtitle"},
        "a nested setting": {**overrides, "VISITOR_COUNTER": {"enabled": True, "label": "Reads"}},
        "plugins": {**overrides, "PLUGINS": [*read_pelican_settings("pelicanconf.py")["PLUGINS"], "line_breaks"]},
    }
    for part_changed, changed in changes.items():
        assert identity(changed).digest != start.digest, part_changed
    assert identity(changes["plugins"]).changed_parts(start) == ["plugins", "settings"]

    template = tmp_path / "theme" / "templates" / "article.html"
    template.write_text(template.read_text().replace("post__footer", "post__end"))
    assert identity(overrides).changed_parts(start) == ["theme"]

    with_plugin = identity(changes["plugins"])
    (tmp_path / "plugins" / "line_breaks" / "__init__.py").write_text(LINE_BREAKS_PLUGIN.replace("nl2br", "sane_lists"))
    assert identity(changes["plugins"]).changed_parts(with_plugin) == ["plugins"]


def test_what_does_not_shape_the_output_keeps_the_identity(site):
    tmp_path, overrides = site
    start = identity(overrides)
    # Where the caches go and whether the folder is emptied first change no written byte.
    assert identity({**overrides, "CACHE_PATH": str(tmp_path / "elsewhere"), "DELETE_OUTPUT_DIRECTORY": True}) == start
    template = tmp_path / "theme" / "templates" / "article.html"
    template.write_text(template.read_text())  # saved again, unchanged
    (tmp_path / "theme" / "templates" / "__pycache__").mkdir()
    assert identity(overrides) == start


def test_a_build_under_another_identity_never_reads_the_old_cache(site):
    """The plugin changes how posts are read: with Pelican's content cache kept across the
    change (what `make serve` did), the page kept the old reading until the cache was deleted."""
    tmp_path, overrides = site
    output = tmp_path / "output"
    page = output / "posts" / "harbour" / "index.html"
    build_site("pelicanconf.py", output, overrides)
    assert "First line\nsecond line." in page.read_text()
    caches = lambda: sorted(p.name for p in cache_root_for(output).iterdir())  # noqa: E731
    before = caches()
    assert len(before) == 1

    plugins = [*read_pelican_settings("pelicanconf.py")["PLUGINS"], "line_breaks"]
    build_site("pelicanconf.py", output, {**overrides, "PLUGINS": plugins})
    assert "First line<br>\nsecond line." in page.read_text()
    assert len(caches()) == 1 and caches() != before  # the old identity's cache is gone

    build_site("pelicanconf.py", output, overrides)  # and back
    assert "First line\nsecond line." in page.read_text()
