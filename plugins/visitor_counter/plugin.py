"""Signal handlers: read options, give templates the widget, collect keys, write the outputs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from markupsafe import Markup, escape

from jinja2 import pass_context

from .keys import SCRIPT_SOURCE, page_key_for, read_options, script_name

log = logging.getLogger(__name__)


class CounterBuild:
    """State of one Pelican run: options, the script's hashed name and the keys embedded so far."""

    def __init__(self, settings: dict):
        self.options = read_options(settings)
        self.siteurl = settings.get("SITEURL", "") or ""
        self.output_path = Path(settings["OUTPUT_PATH"])
        self.script_source = SCRIPT_SOURCE.read_bytes()
        self.script_path = script_name(self.script_source, self.options["script_dir"])
        self.rendered: dict[str, str] = {}  # output file -> key, from template calls
        self.written: set[str] = set()  # output files actually written
        self._previous_keys: set[str] | None = None  # the manifest the last build wrote
        # Rendered once per build, not once per page: a 1,000-post site has 2,500 pages.
        self._script_tag = Markup('<script defer src="{}"></script>').format(self.script_url())
        self._widget_template = {
            show: (
                '<span class="visitor-counter" data-page-key="{key}" data-api="%s" data-show="%s">'
                '<span class="visitor-counter__label">%s</span> '
                '<span class="visitor-counter__value" aria-hidden="true">&#8212;</span></span>'
            ) % (escape(self.options["api_path"]), escape(show), escape(label))
            for show, label in (("page", self.options["label"]), ("site", self.options["site_label"]))
        }

    @property
    def enabled(self) -> bool:
        return bool(self.options["enabled"])

    def script_url(self) -> str:
        return f"{self.siteurl.rstrip('/')}/{self.script_path}"

    def widget(self, output_file: str | None, show: str) -> Markup:
        if not self.enabled or not output_file or output_file in self.options["exclude"]:
            return Markup("")
        try:
            key = page_key_for(output_file, self.siteurl)
        except ValueError as error:
            log.warning("visitor_counter: no widget for %s: %s", output_file, error)
            return Markup("")
        self.rendered[output_file] = key
        template = self._widget_template["site" if show == "site" else "page"]
        return Markup(template.replace("{key}", str(escape(key)), 1))

    def script_tag(self, output_file: str | None) -> Markup:
        """The script only where a widget was rendered: a page that shows no count loads nothing."""
        if not self.enabled or not output_file or output_file not in self.rendered:
            return Markup("")
        return self._script_tag

    def collect_kept(self, output_file: str) -> None:
        """A page the incremental build kept as the last build wrote it (sitebuild.incremental),
        not rendered now: it shows the widget when the last build's manifest counted it."""
        try:
            key = page_key_for(output_file, self.siteurl)
        except ValueError:
            return
        if key in self.previous_keys():
            self.rendered[output_file] = key

    def previous_keys(self) -> set[str]:
        if self._previous_keys is None:
            try:
                self._previous_keys = set(json.loads((self.output_path / self.options["manifest"]).read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                self._previous_keys = set()
        return self._previous_keys

    def page_keys(self) -> list[str]:
        return sorted({key for name, key in self.rendered.items() if name in self.written})


_build: CounterBuild | None = None


def configure(pelican) -> None:
    global _build
    _build = CounterBuild(pelican.settings)


def expose_to_templates(generator) -> None:
    if _build is None:
        return
    build = _build

    @pass_context
    def visitor_counter(context, show: str = "page") -> Markup:
        return build.widget(context.get("output_file"), show)

    @pass_context
    def visitor_counter_script(context) -> Markup:
        # Call it after the content block (end of <body>), once the page's widget is rendered.
        return build.script_tag(context.get("output_file"))

    generator.env.globals["visitor_counter"] = visitor_counter
    generator.env.globals["visitor_counter_script"] = visitor_counter_script


def collect_written_page(path, context) -> None:
    if _build is not None and _build.enabled and context and context.get("output_file"):
        output_file = context["output_file"]
        _build.written.add(output_file)
        if context.get("output_kept"):
            _build.collect_kept(output_file)


def write_outputs(pelican) -> None:
    """Write the hashed script and the manifest of page keys (nothing at all when disabled)."""
    if _build is None or not _build.enabled:
        return
    script = _build.output_path / _build.script_path
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_bytes(_build.script_source)
    keys = _build.page_keys()
    manifest = _build.output_path / _build.options["manifest"]
    manifest.write_text(json.dumps(keys, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    log.info("visitor_counter: %d page keys in %s", len(keys), manifest.name)
