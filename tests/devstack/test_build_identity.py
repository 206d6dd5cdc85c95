"""`make serve` and the build's identity: a change of a setting, of the plugin list or of a
template shows on the served page, while serving and across a restart (the content cache kept
under the preview's folder is never used under another identity)."""

from __future__ import annotations

import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from shared.targets import PROJECT_ROOT
from devstack.stack import DevStack
from tests.blogs import write_blog
from tests.build.test_identity import LINE_BREAKS_PLUGIN

POST = "Title: Harbour\nDate: 2024-03-01 10:00\nSlug: harbour\n\n## Tides\n\nFirst line\nsecond line.\n"
PLUGINS = '["visitor_counter", "post_neighbors", "menu_pages", "sitemap_xml", "popular_posts"]'


def served(stack: DevStack, path: str = "/posts/harbour/") -> str:
    with urllib.request.urlopen(f"{stack.url}{path}", timeout=10) as response:
        return response.read().decode()


def wait_for(stack: DevStack, wanted, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        page = served(stack)
        if wanted(page):
            return page
        assert time.monotonic() < deadline, f"the served page did not change: {stack.last_build and stack.last_build.summary_line}"
        time.sleep(0.1)


class SiteFiles:
    """The served site's settings file, theme copy and plugin folder, edited as an author would."""

    def __init__(self, root: Path):
        self.content = write_blog(root / "content", {"posts/harbour.md": POST})
        self.theme = root / "theme"
        shutil.copytree(PROJECT_ROOT / "theme", self.theme)
        plugins = root / "plugins"
        (plugins / "line_breaks").mkdir(parents=True)
        (plugins / "line_breaks" / "__init__.py").write_text(LINE_BREAKS_PLUGIN)
        self.settings = root / "site.py"
        self.lines = [
            (PROJECT_ROOT / "pelicanconf.py").read_text(),
            f"THEME = {str(self.theme)!r}",
            f"PLUGIN_PATHS = [{str(PROJECT_ROOT / 'plugins')!r}, {str(plugins)!r}]",
        ]
        self.save()

    def save(self) -> None:
        self.settings.write_text("\n".join(self.lines) + "\n")

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.save()

    def edit_template(self, old: str, new: str) -> None:
        template = self.theme / "templates" / "article.html"
        template.write_text(template.read_text().replace(old, new))


@pytest.mark.slow
def test_settings_plugins_and_templates_show_while_serving_and_after_a_restart(tmp_path):
    site = SiteFiles(tmp_path)
    output = tmp_path / "preview"

    def stack() -> DevStack:
        return DevStack(
            port=0, output_dir=output, settings_file=site.settings, content_path=site.content,
            live=True, say=lambda _line: None,
        )

    with stack() as running:
        page = served(running)
        assert "First line\nsecond line." in page and "headerlink" not in page
        # A setting that changes how posts are read: the cached reading must not be reused.
        site.add('MARKDOWN["extension_configs"]["markdown.extensions.toc"] = {"permalink": True}')
        wait_for(running, lambda page: 'class="headerlink"' in page)
        # A plugin added to the list, changing how posts are read too.
        site.add(f"PLUGINS = {PLUGINS[:-1]}, \"line_breaks\"]")
        wait_for(running, lambda page: "First line<br>\nsecond line." in page)
        site.edit_template("post__footer", "post__footer harbour-footer")
        wait_for(running, lambda page: "harbour-footer" in page)

    # Stopped: the plugin goes, and a template changes back. The restart must not serve the
    # pages (or the readings) of the cache it left under the preview's folder.
    site.add(f"PLUGINS = {PLUGINS}")
    site.edit_template("post__footer harbour-footer", "post__footer")
    with stack() as restarted:
        page = served(restarted)
        assert "First line\nsecond line." in page and "<br>" not in page
        assert "harbour-footer" not in page and 'class="headerlink"' in page
        # And the plugin taken out while serving stops too (Pelican never disconnects a plugin).
        site.add(f"PLUGINS = {PLUGINS[:-1]}, \"line_breaks\"]")
        wait_for(restarted, lambda page: "<br>" in page)
        site.add(f"PLUGINS = {PLUGINS}")
        wait_for(restarted, lambda page: "<br>" not in page)
