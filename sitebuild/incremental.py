"""The incremental build: render only the outputs whose inputs changed, byte for byte what a full
build would write.

Pelican reads the content (its content cache re-reads only changed files) and runs its generators
as always. Our writer, given through Pelican's ``get_writer`` signal, sees every output before it
is rendered: it makes the output's digest (:mod:`sitebuild.digests`: the values of every name its
template reads, at the level the output shows them) and compares it with the digest recorded by
the last build under the same identity. An output whose digest is unchanged, and whose file is
still the one that build wrote, is not rendered: Pelican writes its recorded text again, so every
plugin still sees it written (``content_written``). Feeds are digested the same way.

What the build cannot attribute is rendered in full:
- a cache of another identity (settings, plugins, theme, versions, build code) or none;
- a plugin receiving an output-phase signal (it may write outside the writer or read what was
  written) that has not said it copes with outputs kept as they were (``INCREMENTAL_SAFE``);
- a template whose includes are computed at render time;
- a writer of another plugin.

Files written outside the writer (static files, the theme's, what plugins write when the build is
finalized) are written by every build; an output the last build made and this one did not is
deleted, and nothing else in the output folder is touched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections import ChainMap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import BuildCache
from .digests import FULL, LINK, ORDER, SHOWN_AS, InputDigests
from .receivers import live_receivers

log = logging.getLogger(__name__)

RECORD_FILE = "outputs.json"
# The names each template reads: the theme is part of the identity, so they hold for its cache
# (finding them takes Jinja's parser and code generator over every template, ~0.3 s).
TEMPLATES_FILE = "templates.json"
# Signals whose receivers act on written outputs, or write outputs of their own.
OUTPUT_SIGNALS = (
    "content_written", "feed_written", "feed_generated", "finalized", "article_writer_finalized",
    "page_writer_finalized", "static_generator_finalized", "get_generators", "get_writer",
)
# What a module (or its package) declares when its receivers of those signals hold for a build
# that keeps unchanged outputs: they see ``content_written`` for every output, rendered or kept,
# and what they write when the build is finalized depends on that and on the content only.
SAFE_MARKER = "INCREMENTAL_SAFE"


@dataclass
class OutputRecord:
    """What the last build wrote: each output's digest and file stamp, and every file it made."""

    digests: dict[str, str] = field(default_factory=dict)
    stamps: dict[str, list[int]] = field(default_factory=dict)
    produced: list[str] = field(default_factory=list)
    # Files a plugin wrote beside an output (note_output_files): kept with it.
    companions: dict[str, list[str]] = field(default_factory=dict)
    # Files under the content folder that no generator read (a notebook a post embeds, a file
    # of a kind Pelican does not know), by stamp: when one changes, everything is read again.
    unknown_sources: dict[str, str | None] = field(default_factory=dict)
    # Each static file's output path -> its source's digest.
    statics: dict[str, str | None] = field(default_factory=dict)

    FIELDS = ("digests", "stamps", "produced", "companions", "unknown_sources", "statics")

    @classmethod
    def load(cls, path: Path) -> "OutputRecord | None":
        try:
            data = json.loads(path.read_text())
            return cls(*(data[name] for name in cls.FIELDS))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, path: Path) -> None:
        temporary = path.with_name(f"{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps({name: getattr(self, name) for name in self.FIELDS}))
        temporary.replace(path)


def stamp(path: Path) -> list[int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return [status.st_size, status.st_mtime_ns]


def content_digest(path: Path) -> str | None:
    """A file's content digest; its size and time past 1 MiB (a large photo read at every build
    would cost more than it saves)."""
    try:
        status = path.stat()
        if status.st_size > 1 << 20:
            return f"{status.st_size}:{status.st_mtime_ns}"
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class IncrementalRun:
    """One build: the last build's record, this build's digests, what was rendered and kept."""

    def __init__(self, settings: dict, cache: BuildCache, previous: OutputRecord | None = None):
        self.output = Path(settings["OUTPUT_PATH"])
        self.cache = cache
        self.record_path = cache.folder / RECORD_FILE
        self.previous = previous or OutputRecord.load(self.record_path)
        self.settings = settings
        self.digests = InputDigests(settings.get("SITEURL", "") or "")
        self.decisions: dict[str, bool] = {}
        self._claimed: dict[str, bool] = {}  # output -> whether its writer may override
        self._read_sources: set[str] = set()
        self.paginated_templates = settings.get("PAGINATED_TEMPLATES") or {}
        self.feed_max_items = settings.get("FEED_MAX_ITEMS")
        self.current = OutputRecord()
        self.rendered: list[str] = []
        self.kept: list[str] = []
        self.full_reason: str | None = None if self.previous is not None else "no record of a build under this identity"
        self._template_names = self._known_template_names()
        self._templates_learnt = False
        self._started_ns = 0

    # --- before and after Pelican runs ---------------------------------------------------------

    def start(self, pelican) -> None:
        """Before the generators run: check the plugins, forget the record (a build that fails
        half way leaves none, and the next one renders everything), mark the time."""
        global _current
        reason = unattributable_receivers()
        if reason and (self.full_reason is None or self.keeps_outputs):
            self.full_reason = reason
        if not self.keeps_outputs:
            # A build that cannot tell which files are its own is a build into an empty folder
            # (Pelican keeps OUTPUT_RETENTION): what it writes is then all there is.
            pelican.delete_outputdir = True
        _current = self
        if self.full_reason:
            log.info("full build: %s", self.full_reason)
        self.record_path.unlink(missing_ok=True)
        self._started_ns = file_clock_ns(self.cache.folder)

    def finish(self) -> None:
        """After Pelican ran: every file this build made, the stale ones deleted, the record."""
        for name in self.kept:
            if self.previous is not None and name in self.previous.companions:
                self.current.companions[name] = self.previous.companions[name]
        companions = {file for files in self.current.companions.values() for file in files}
        # What this build knows it made; a file a plugin wrote when the build was finalized is
        # the plugin's to keep or remove (it writes the same names each build, or keeps its own
        # folder in step, as the search index does).
        attributed = set(self.current.digests) | set(self.current.produced) | companions
        if self.previous is not None and self.keeps_outputs:
            for stale in sorted(set(self.previous.produced) - attributed - self._touched_files()):
                remove_output(self.output, stale)
        self.current.produced = sorted(attributed)
        for name in self.current.digests:
            self.current.stamps[name] = stamp(self.output / name) or [-1, -1]
        self.current.save(self.record_path)
        if self._templates_learnt:
            known = {name: sorted(names) if names is not None else None for name, names in self._template_names.items()}
            (self.cache.folder / TEMPLATES_FILE).write_text(json.dumps(known))

    def _known_template_names(self) -> dict[str, frozenset[str] | None]:
        try:
            known = json.loads((self.cache.folder / TEMPLATES_FILE).read_text())
            return {name: frozenset(names) if names is not None else None for name, names in known.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def note_generators(self, generators) -> None:
        """What the generators read (every post, page and static file) and copy. A static file
        added, removed or changed renders everything: a page shows an image by its bytes too
        (its size, the variants plugins/photos makes of it)."""
        self._read_sources = set()
        for generator in generators:
            for static in getattr(generator, "staticfiles", []):
                # A file a post links to that is gone is listed still, and never copied.
                if os.path.exists(static.source_path):
                    self.current.produced.append(static.save_as)
                    self.current.statics[static.save_as] = content_digest(Path(static.source_path))
            for name in SOURCE_LISTS:
                for item in getattr(generator, name, None) or []:
                    self._read_sources.add(os.path.abspath(item.source_path))
        if self.previous is not None and self.previous.statics != self.current.statics and self.full_reason is None:
            changed = sorted(set(self.previous.statics.items()) ^ set(self.current.statics.items()))
            self.full_reason = f"a static file changed: {changed[0][0]}"

    def unknown_source_changed(self) -> str | None:
        """A file under the content folder that no generator read and that changed (appeared,
        went, or was written) since the last build; records the current ones."""
        content = Path(self.settings["PATH"])
        unknown = {}
        for folder, subfolders, names in os.walk(content):
            subfolders[:] = [name for name in subfolders if not name.startswith(".")]
            for name in names:
                path = os.path.join(folder, name)
                if path not in self._read_sources and not name.startswith("."):
                    unknown[os.path.relpath(path, content)] = content_digest(Path(path))
        self.current.unknown_sources = unknown
        if self.previous is None or self.full_reason:
            return None
        before = self.previous.unknown_sources
        changed = sorted(name for name in set(unknown) | set(before) if unknown.get(name) != before.get(name))
        return changed[0] if changed else None

    @property
    def keeps_outputs(self) -> bool:
        """Whether this build keeps unchanged outputs (else it is a plain Pelican build into an
        emptied output folder, and nothing is deleted after)."""
        return self.full_reason is None or self.full_reason.startswith(KEEPING_FULL_REASONS)

    def note_output_files(self, output_file: str, files: list[str]) -> None:
        self.current.companions.setdefault(output_file, []).extend(files)

    @property
    def summary(self) -> str:
        return f"{len(self.rendered)} rendered, {len(self.kept)} kept" + (f" (full build: {self.full_reason})" if self.full_reason else "")

    def _touched_files(self) -> set[str]:
        """Files of the output folder changed since the build started (copies keep their source's
        time but not their change time)."""
        touched = set()
        for folder, _subfolders, names in os.walk(self.output):
            for name in names:
                path = Path(folder, name)
                try:
                    if path.stat().st_ctime_ns >= self._started_ns:
                        touched.add(path.relative_to(self.output).as_posix())
                except OSError:
                    continue
        return touched

    # --- each output ---------------------------------------------------------------------------

    def claim(self, name: str, override: bool = False) -> None:
        """Note ``name`` as written by this build. A second write of it fails as in Pelican's
        writer (which never saw a kept output); one that may override is Pelican's to decide."""
        from pelican.writers import FileOverwriteFailedError

        if name in self._claimed:
            if override or self._claimed[name]:
                raise RepeatedOutput(name)
            path = os.path.join(self.output, name)
            raise FileOverwriteFailedError(
                f'Failed to overwrite "{path}" as Pelican has already written to it previously '
                "(set `override=True` if intended)"
            )
        self._claimed[name] = override

    def decide(self, name: str, template, view, relative_urls: bool, override: bool = False) -> bool:
        """Whether the output ``name`` is kept as the last build wrote it (else it is rendered)."""
        self.claim(name, override)
        digest = self.output_digest(name, template, view, relative_urls)
        kept = digest is not None and self.unchanged(name, digest)
        if digest is None:
            self.current.digests[name] = "unknown"
        self.decisions[name] = kept
        return kept

    def pages_of(self, name: str, url, shown: dict, paginated: dict | None, template_name: str | None) -> list[tuple[str, dict]]:
        """The files one ``write_file`` call writes, each with what its template is given
        beyond the context: as Pelican's writer paginates (pelican.writers.Writer.write_file)."""
        from pelican.paginator import Paginator

        if paginated is None:
            paginated = {key: value for key, value in shown.items() if key in {"articles", "dates"}}
        if not paginated or template_name not in self.paginated_templates:
            return [(name, shown)]
        per_page = self.paginated_templates[template_name] or self.settings["DEFAULT_PAGINATION"]
        paginators = {key: Paginator(name, url, value, self.settings, per_page) for key, value in paginated.items()}
        count = next(iter(paginators.values())).num_pages
        pages = []
        for number in range(1, count + 1):
            page_shown = dict(shown)
            for key, paginator in paginators.items():
                page_shown.update({
                    f"{key}_paginator": paginator,
                    f"{key}_page": paginator.page(number),
                    f"{key}_previous_page": paginator.page(number - 1) if number > 1 else None,
                    f"{key}_next_page": paginator.page(number + 1) if number < count else None,
                })
            pages.append((page_shown[f"{next(iter(paginators))}_page"].save_as, page_shown))
        return pages

    def unchanged(self, name: str, digest: str) -> bool:
        """Whether ``name`` may be kept: same digest as the last build, and its file as that
        build left it."""
        self.current.digests[name] = digest
        if self.full_reason or self.previous is None or self.previous.digests.get(name) != digest:
            return False
        return stamp(self.output / name) == self.previous.stamps.get(name)

    def output_digest(self, name: str, template, localcontext, relative_urls: bool) -> str | None:
        """The digest of what ``template`` shows when rendered into ``name``; None when the
        template's reads cannot be known."""
        names = self.template_names(template)
        if names is None:
            return None
        paginated = {key for key in ("articles", "dates") if f"{key}_page" in localcontext}
        parts = [template.name or "", name, str(relative_urls)]
        for variable in sorted(names):
            if variable not in localcontext:
                continue
            if variable in paginated:
                level = ORDER
            elif variable.endswith(("_previous_page", "_next_page")):
                level = LINK
            else:
                level = SHOWN_AS.get(variable, FULL)
            parts.append(f"{variable}={self.digests.value(localcontext[variable], level)}")
        return "\n".join(parts)

    def feed_digest(self, path: str, elements: list, context: dict, arguments: dict) -> str:
        shown = elements[: self.feed_max_items]
        site = {key: context.get(key) for key in ("SITENAME", "SITEURL", "SITESUBTITLE", "FEED_DOMAIN")}
        return "\n".join(("feed", path, self.digests.value(arguments), self.digests.value(site), self.digests.value(list(shown), FULL)))

    def template_names(self, template) -> frozenset[str] | None:
        """Every name ``template`` reads from its context, through what it extends, includes and
        imports; None when one of those is chosen at render time."""
        key = template.name or ""
        if key not in self._template_names:
            self._template_names[key] = referenced_names(template.environment, template.name)
            self._templates_learnt = True
        return self._template_names[key]


def referenced_names(environment, name: str | None) -> frozenset[str] | None:
    from jinja2 import meta

    if name is None:
        return None
    names: set[str] = set()
    seen: set[str] = set()
    waiting = [name]
    while waiting:
        current = waiting.pop()
        if current in seen:
            continue
        seen.add(current)
        source, _filename, _uptodate = environment.loader.get_source(environment, current)
        tree = environment.parse(source)
        names |= meta.find_undeclared_variables(tree)
        for referenced in meta.find_referenced_templates(tree):
            if referenced is None:
                return None
            waiting.append(referenced)
    return frozenset(names)


def unattributable_receivers() -> str | None:
    """Why the build cannot keep outputs because of a plugin (None: it can)."""
    from pelican.plugins import signals

    for signal_name in OUTPUT_SIGNALS:
        signal = getattr(signals, signal_name, None)
        if signal is None:
            continue
        for receiver in live_receivers(signal).values():
            module = getattr(receiver, "__module__", None) or ""
            if signal_name == "get_writer" and module == __name__:
                continue
            if not declares_safe(module):
                return f"{module}.{getattr(receiver, '__qualname__', receiver)} receives {signal_name}"
    return None


def declares_safe(module_name: str) -> bool:
    parts = module_name.split(".")
    for end in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:end]))
        if module is not None and getattr(module, SAFE_MARKER, False):
            return True
    return False


def file_clock_ns(folder: Path) -> int:
    """Now, by the file system's clock (coarser than ``time.time_ns()``): a file written after
    this call has a change time at least this."""
    marker = folder / f".clock.{os.getpid()}"
    marker.write_bytes(b"")
    try:
        return marker.stat().st_ctime_ns
    finally:
        marker.unlink(missing_ok=True)


def remove_output(output: Path, name: str) -> None:
    path = output / name
    try:
        path.unlink()
    except OSError:
        return
    folder = path.parent
    while folder != output and folder.is_relative_to(output):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break
        folder = folder.parent


class RepeatedOutput(Exception):
    """Two outputs of one build have one file name: Pelican decides (an error, or an override),
    in a build that renders everything."""


# The generators' lists of what they read (articles, pages, drafts, hidden ones, translations).
SOURCE_LISTS = (
    "articles", "translations", "hidden_articles", "hidden_translations", "drafts", "drafts_translations",
    "pages", "hidden_pages", "draft_pages", "draft_translations", "staticfiles",
)
# Full builds that still know every output they make (so they may delete the stale ones).
KEEPING_FULL_REASONS = ("no record", "two outputs", "a file the build cannot attribute", "a static file changed")
# In the context of ``content_written`` for an output kept as the last build wrote it, not rendered.
KEPT_FLAG = "output_kept"


def selective_writer(run: IncrementalRun):
    """The Writer class for ``get_writer``, bound to ``run``."""
    from pelican.plugins import signals
    from pelican.utils import get_relative_path, path_to_url
    from pelican.writers import Writer

    class SelectiveWriter(Writer):
        def write_file(self, name, template, context, relative_urls=False, paginated=None,
                       template_name=None, override_output=False, url=None, **kwargs):
            if not name:
                return None
            pages = run.pages_of(name, url, kwargs, paginated, template_name)
            kept = [
                run.decide(output, template, ChainMap({"output_file": output}, shown, context), relative_urls, override_output)
                for output, shown in pages
            ]
            if not all(kept):
                return super().write_file(
                    name, KeptOrRendered(run, template, self.output_path), context,
                    relative_urls=relative_urls, paginated=paginated, template_name=template_name,
                    override_output=override_output, url=url, **kwargs,
                )
            for output, shown in pages:
                # What Pelican's writer gives the signal for a page it writes, and the flag.
                localcontext = context.copy()
                localcontext["localsiteurl"] = localcontext.get("localsiteurl", None)
                if relative_urls:
                    localcontext["SITEURL"] = localcontext["localsiteurl"] = path_to_url(get_relative_path(output))
                localcontext.update(output_file=output, **shown)
                localcontext[KEPT_FLAG] = True
                run.kept.append(output)
                signals.content_written.send(os.path.join(self.output_path, output), context=localcontext)
            return None

        def write_feed(self, elements, context, path=None, url=None, feed_type="atom",
                       override_output=False, feed_title=None):
            if path:
                arguments = {"url": url, "feed_type": feed_type, "feed_title": feed_title}
                run.claim(path, override_output)
                if run.unchanged(path, run.feed_digest(path, elements, context, arguments)):
                    run.kept.append(path)
                    return None
                run.rendered.append(path)
            return super().write_feed(
                elements, context, path=path, url=url, feed_type=feed_type,
                override_output=override_output, feed_title=feed_title,
            )

    return SelectiveWriter


class KeptOrRendered:
    """Stands for a template in the writer when some pages of a listing changed: renders those,
    and gives back the text the last build wrote for the others."""

    def __init__(self, run: IncrementalRun, template, output_path: str):
        self.run = run
        self.template = template
        self.output_path = Path(output_path)

    def render(self, localcontext: dict) -> str:
        name = localcontext["output_file"]
        if self.run.decisions.get(name):
            try:
                text = (self.output_path / name).read_text(encoding="utf-8")
            except (OSError, UnicodeError):
                text = None
            if text is not None:
                self.run.kept.append(name)
                localcontext[KEPT_FLAG] = True  # Pelican gives this context to content_written
                return text
        self.run.rendered.append(name)
        return self.template.render(localcontext)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.template, attribute)


def timed_summary(run: IncrementalRun, started: float) -> str:
    return f"{run.summary} in {time.perf_counter() - started:.2f} s"


def run_pelican(settings: dict, cache: BuildCache) -> IncrementalRun:
    """Run Pelican with ``settings`` incrementally over the output the last build under
    ``cache``'s identity left. The caller releases the plugins' receivers afterwards."""
    run = IncrementalRun(settings, cache)
    try:
        _run_once(settings, run)
    except RepeatedOutput as repeated:
        run = _again(settings, run, f"two outputs write {repeated}")
        _run_once(settings, run)
    changed = run.unknown_source_changed()
    if changed:
        # Pelican's content cache knows each post's own file only: read everything again.
        settings["LOAD_CONTENT_CACHE"] = False
        run = _again(settings, run, f"a file the build cannot attribute changed: {changed}")
        _run_once(settings, run)
        settings["LOAD_CONTENT_CACHE"] = True
    run.finish()
    return run


def _again(settings: dict, run: IncrementalRun, reason: str) -> IncrementalRun:
    again = IncrementalRun(settings, run.cache, previous=run.previous)
    again.full_reason = reason
    return again


def _run_once(settings: dict, run: IncrementalRun) -> None:
    from jinja2 import FileSystemBytecodeCache
    from pelican import Pelican
    from pelican.plugins import signals

    if run.previous is not None:
        # The output is the last build's: only what changed is written, the stale is deleted.
        settings["DELETE_OUTPUT_DIRECTORY"] = False
    # Templates compiled once per identity, not once per generator of every build (Jinja's own
    # cache, checked against each template's source).
    compiled = run.cache.folder / "templates"
    compiled.mkdir(exist_ok=True)
    settings["JINJA_ENVIRONMENT"] = {**settings["JINJA_ENVIRONMENT"], "bytecode_cache": FileSystemBytecodeCache(str(compiled))}
    pelican = Pelican(settings)

    def writer(_pelican):
        return selective_writer(run)

    def sources(generators):
        run.note_generators(generators)

    signals.get_writer.connect(writer, weak=False)
    signals.all_generators_finalized.connect(sources, weak=False)
    started = time.perf_counter()
    try:
        run.start(pelican)
        pelican.run()
    finally:
        global _current
        _current = None
        signals.get_writer.disconnect(writer)
        signals.all_generators_finalized.disconnect(sources)
    log.info("build: %s", timed_summary(run, started))


_current: IncrementalRun | None = None


def note_output_files(output_file: str, files) -> None:
    """For a plugin that writes files beside an output (``content_written``): ``files`` (paths
    relative to the output folder) belong to ``output_file``, and stay while it is kept."""
    if _current is not None:
        _current.note_output_files(output_file, [str(file) for file in files])
