"""Build the site once and check it: each rule turns what it finds into a :class:`BuildProblem`
(``content/posts/x.md:12: error: ...``), the same shape as the build's own problems."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import io
import os
import re
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from shared.pagekey import PageKeyError
from shared.site_url import site_url_problem
from deploy.site import BuildProblem, ProblemList, display_path, run_build, settings_path
from deploy.wording import counted
from plugins.photos.options import is_raster, plugin_active
from plugins.photos.options import read_options as read_photo_options
from plugins.listed import plugin_names
from plugins.visitor_counter.keys import page_key_for, site_path_prefix
from shared.edge_rules import (
    CLOUDFRONT_FUNCTION_MAX_BYTES,
    CSP_FILE,
    REDIRECTS_FILE,
    AuthorFileError,
    edge_rules_from,
    load_csp_additions,
    load_redirects,
    render_viewer_request,
)

from .csp import Policy
from .documents import Document, documents_collected
from .html import ContentScan, scan_content
from .imagesize import image_size
from .syntax import leftovers

# Pelican's reasons for not reading a file, and what the author should write instead.
_READ_HINTS = (
    ("information about 'title'", 'add a "Title: ..." line to the header at the top of the file'),
    ("information about 'date'", 'add a "Date: 2026-05-01 09:30" line to the header (posts need a date)'),
    ("is not a valid date", 'write the date as "Date: 2026-05-01" or "Date: 2026-05-01 09:30"'),
)
# Pelican warnings a rule below explains better (with both files, or with the line).
_EXPLAINED = (re.compile(r"^There are \d+ "), re.compile(r"^Unable to find '"))
_OVERWRITE = re.compile(r"Failed to overwrite ")
_SKIPPED_SCHEMES = ("mailto", "tel", "sms", "data", "javascript")


@dataclass
class CheckReport(ProblemList):
    problems: list[BuildProblem] = field(default_factory=list)
    posts: int = 0
    pages: int = 0
    seconds: float = 0.0
    output: Path | None = None

    def summary(self) -> str:
        verdict = "errors block `make publish`" if self.errors else "nothing blocks `make publish`"
        return (
            f"{counted(len(self.errors), 'error')}, {counted(len(self.warnings), 'warning')} in "
            f"{counted(self.posts, 'post')} and {counted(self.pages, 'page')} ({self.seconds:.1f} s): {verdict}"
        )


def check_site(
    settings_file: str | os.PathLike = "pelicanconf.py",
    output_path: str | os.PathLike | None = None,
    overrides: dict | None = None,
    content_path: str | os.PathLike | None = None,
    redirects_file: Path = REDIRECTS_FILE,
    csp_file: Path = CSP_FILE,
) -> CheckReport:
    """Build with ``settings_file`` into ``output_path`` (a scratch folder, removed after, when
    None) and check the result. Never raises for a problem of the site: it is in the report."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="content-check-") as scratch:
        output = Path(output_path) if output_path is not None else Path(scratch) / "output"
        with documents_collected() as collected, contextlib.redirect_stdout(io.StringIO()):
            build = run_build(settings_file, output, overrides, content_path)  # Pelican's "Done:" line
        documents = collected.documents
        report = CheckReport(output=output if output_path is not None else None)
        report.posts = sum(d.kind == "post" for d in documents)
        report.pages = sum(d.kind == "page" for d in documents)
        site = Site(build.output, build.settings, documents, redirects_file, csp_file)
        problems = [p for p in build.problems if not any(e.match(p.message) for e in _EXPLAINED)]
        problems = [_ruled("pelican", [_with_hint(p)])[0] for p in problems]
        if build.settings:
            problems = _with_template_lines(problems, site)
            site_url_problems = _ruled("siteurl", check_site_url(settings_file, build.settings))
            problems += site_url_problems
            duplicates = _ruled("duplicates", check_duplicates(site))
            if duplicates:  # Pelican's crash on the second write says less than the duplicate does
                problems = [p for p in problems if not _OVERWRITE.search(p.message)]
            problems += duplicates
            if not site_url_problems:  # without a valid SITEURL every key would be wrong alike
                problems += _ruled("page keys", check_page_keys(site))
            if collected.finished:
                problems += _ruled("links", check_references(site))
            else:
                problems.append(BuildProblem(None, None, (
                    "the build stopped early, so links and images were not checked: fix the errors "
                    "above and run the check again"), "warning", "pelican"))
            problems += _ruled("dropped pages", check_dropped_pages(settings_file, build.settings))
            problems += _ruled("raw syntax", check_raw_syntax(site))
            problems += _ruled("image size", check_images(site))
            problems += _ruled("image weight", check_image_weight(site))
            problems += _ruled("inline code", check_inline_code(site))
            problems += _ruled("held back", check_held_back(site))
            problems += _ruled("redirects", check_redirects(site))
            problems += _ruled("csp", check_csp_additions(site))
    report.problems = sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.level, p.message))
    report.seconds = time.perf_counter() - started
    return report


class Site:
    """What the rules look at: the documents, the files the build wrote, the settings, and the
    edge's rules with the author's redirects and CSP additions."""

    def __init__(self, output: Path, settings: dict, documents: list[Document], redirects_file: Path, csp_file: Path):
        self.output = output
        self.settings = settings
        self.documents = documents
        self.site_url = str(settings.get("SITEURL") or "")
        self.prefix = site_path_prefix(self.site_url)
        self.host = (urlsplit(self.site_url).hostname or "").lower()
        self.files = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()} if output.is_dir() else set()
        self.redirects_file = redirects_file
        self.csp_file = csp_file
        self.redirects, self.redirects_problem = _author_file(load_redirects, redirects_file)
        csp_additions, self.csp_problem = _author_file(load_csp_additions, csp_file)
        self.csp_additions = csp_additions
        self.edge_rules = edge_rules_from(self.redirects, csp_additions)
        self.policy = Policy(self.edge_rules.content_security_policy)
        self._scans: dict[int, ContentScan] = {}

    def scan(self, document: Document) -> ContentScan:
        """What the document's HTML asks for, parsed once for every rule."""
        if id(document) not in self._scans:
            self._scans[id(document)] = scan_content(document.html)
        return self._scans[id(document)]

    @property
    def published(self) -> list[Document]:
        return [d for d in self.documents if d.status in ("published", "hidden")]

    def serves(self, path: str) -> bool:
        """Whether a request for ``path`` (site-relative, decoded) finds a file, as the
        CloudFront Function rewrites it: a folder gets index.html."""
        key = path.lstrip("/")
        if key == "" or key.endswith("/"):
            key += "index.html"
        elif "." not in key.rsplit("/", 1)[-1]:
            key += "/index.html"
        return key in self.files

    def output_key(self, src: str) -> str:
        """The output file an image's ``src`` on this site names (decoded, SITEURL's path off)."""
        return unquote(urlsplit(src).path).lstrip("/").removeprefix(self.prefix.lstrip("/") + "/")

    def content_file(self, src: str) -> Path | None:
        """The file under the content folder an image of this site is copied from, if any."""
        split = urlsplit(src)
        if split.netloc and (split.hostname or "").lower() != self.host or split.scheme.lower() not in ("", "http", "https"):
            return None  # another site's, or a data: URI
        source = Path(self.settings.get("PATH") or ".") / self.output_key(src)
        return source if source.is_file() else None

    def sized_by_build(self, src: str) -> bool:
        """Whether the photos plugin writes this image's width and height itself: a local JPEG,
        PNG or WebP, with the plugin on."""
        return is_raster(src) and self.content_file(src) is not None and plugin_active(self.settings)

    def page_paths(self) -> list[str]:
        return sorted("/" + f[: -len("index.html")] if f.endswith("index.html") else "/" + f
                      for f in self.files if f.endswith(".html"))


class LineOf:
    """The line of a URL in a document, looked up only if a problem is reported about it: its
    ``occurrence``-th (from 0) appearance, so each of a repeated link has its own line."""

    def __init__(self, document: Document, url: str, occurrence: int = 0):
        self.document, self.url, self.occurrence = document, url, occurrence

    def find(self) -> int | None:
        return self.document.line_of(self.url, unquote(self.url), _last_segment(self.url), occurrence=self.occurrence)


def _problem(document: Document, line: int | LineOf | None, message: str, level: str = "error") -> BuildProblem:
    if isinstance(line, LineOf):
        line = line.find()
    return BuildProblem(display_path(document.source), line, message, level)


def _ruled(rule: str, problems: list[BuildProblem]) -> list[BuildProblem]:
    return [dataclasses.replace(p, rule=p.rule or rule) for p in problems]


_MISSING_TEMPLATE = re.compile(r"unable to load (?P<name>[^\s\[]+)\[\.html\]")


def _with_template_lines(problems: list[BuildProblem], site: "Site") -> list[BuildProblem]:
    """Pelican names a missing template but not who asked for it: each page whose "Template:"
    line names it, with that line, instead."""
    out = []
    for problem in problems:
        missing = _MISSING_TEMPLATE.search(problem.message) if problem.file is None else None
        asking = [d for d in site.documents if missing and d.template == missing["name"]]
        if not asking:
            out.append(problem)
            continue
        theme = display_path(Path(str(site.settings.get("THEME") or "theme")) / "templates")
        for document in asking:
            out.append(dataclasses.replace(_problem(document, document.line_of_field("template"), (
                f'"Template: {missing["name"]}" names a template the theme does not have ({theme}/{missing["name"]}.html): '
                f"remove the line to use the {document.kind == 'post' and 'article' or 'page'} template, or add that file")), rule="pelican"))
    return out


# A notebook without metadata is usually one a post embeds, not a post of its own.
_NOTEBOOK_HINT = ('a notebook is a post only with its metadata (a "name.nbdata" file beside it with "Title:" and '
                  '"Date:" lines); one that posts embed with {% notebook %} belongs in NOTEBOOK_DIR (set it in '
                  "pelicanconf.py to its folder), which is not read for posts")


def _with_hint(problem: BuildProblem) -> BuildProblem:
    for found, hint in _READ_HINTS:
        if found in problem.message and problem.is_error:
            if (problem.file or "").endswith(".ipynb") and "information about" in found:
                hint = _NOTEBOOK_HINT
            message = f"Pelican cannot read this file, so it is not published: {problem.message}; {hint}"
            return BuildProblem(problem.file, problem.line, message, problem.level)
    return problem


# --- errors ---------------------------------------------------------------------------------------


def check_site_url(settings_file, settings: dict) -> list[BuildProblem]:
    site_url = str(settings.get("SITEURL") or "")
    problem = site_url_problem(site_url)
    if problem is None:
        return []
    path = settings_path(settings_file)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.is_file() else []
    line = next((n for n, text in enumerate(lines, start=1) if text.startswith("SITEURL")), None)
    return [BuildProblem(display_path(path), line, f"SITEURL {site_url!r} {problem.what}: every absolute link "
                         f"would be broken; write SITEURL = '{problem.instead}' (or '' for local builds)", "error")]


def check_duplicates(site: Site) -> list[BuildProblem]:
    problems = []
    for attribute, what in (("slug", "slug"), ("url", "URL")):
        groups: dict[tuple[str, str], list[Document]] = defaultdict(list)
        for document in site.documents:
            groups[(document.kind if attribute == "slug" else "", getattr(document, attribute))].append(document)
        for (_, value), same in groups.items():
            if len(same) < 2 or (attribute == "url" and len({d.slug for d in same}) == 1):
                continue  # the same slug is reported once, as a slug
            for document in same:
                others = ", ".join(display_path(d.source) for d in same if d is not document)
                line = document.line_of_field("slug") if attribute == "slug" else None
                problems.append(_problem(document, line, (
                    f'{what} "{value}" is also used by {others}: only one of them can be published at '
                    f"/{same[0].url}; give each a different \"Slug:\" line")))
    return problems


def check_page_keys(site: Site) -> list[BuildProblem]:
    problems = []
    for document in site.published:
        try:
            page_key_for(document.save_as, site.site_url)
        except PageKeyError as error:
            problems.append(_problem(document, document.line_of_field("slug"), (
                f"the visitor counter cannot count this page: its address {_shortened('/' + document.url)} is not a valid "
                f"page key ({error}); choose a shorter, plain \"Slug:\" (letters, digits, hyphens)")))
    return problems


def check_references(site: Site) -> list[BuildProblem]:
    """Internal links and images must reach a file the build writes (or a redirect); content
    from another origin must be allowed by the CSP, or the browser drops it."""
    problems = []
    known = site.page_paths()
    for document in site.documents:
        base = "/" + document.url
        seen: dict[str, int] = defaultdict(int)
        for reference in site.scan(document).references:
            url = reference.url
            line = LineOf(document, url, seen[url])
            seen[url] += 1
            if url.startswith("{"):
                problems.append(_problem(document, line, (
                    f"link {url} points at a file Pelican cannot find: {{filename}} and {{static}} paths start "
                    f"from content/ when they begin with /, else from this file's folder")))
                continue
            split = urlsplit(url)
            if split.scheme.lower() in _SKIPPED_SCHEMES or (not split.scheme and not split.netloc and not split.path):
                continue
            external = bool(split.netloc) and (split.hostname or "").lower() != site.host
            if external:
                if reference.directive and not site.policy.allows_url(reference.directive, url):
                    problems.append(_problem(document, line, (
                        f"<{reference.tag}> from {split.scheme or 'https'}://{split.netloc} is blocked by the site's "
                        f"Content-Security-Policy ({site.policy.describe(reference.directive)}): readers see "
                        f"nothing; put the file under content/ and link it with {{static}}"), "warning"))
                continue
            path = unquote(urljoin(base, split.path) if not split.netloc else split.path)
            if site.prefix and path.startswith(site.prefix + "/"):
                path = path[len(site.prefix):]
            if site.serves(path) or path in site.redirects:
                continue
            what = "image" if reference.tag == "img" else "link"
            guess = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
            hint = f"; did you mean {guess[0]}?" if guess else (
                "; is the file under content/images/ (STATIC_PATHS)?" if what == "image" else "")
            problems.append(_problem(document, line, f"{what} to {path} goes nowhere: the build writes no file there{hint}"))
    return problems


# --- warnings -------------------------------------------------------------------------------------


def check_images(site: Site) -> list[BuildProblem]:
    problems = []
    for document in site.documents:
        seen: dict[str, int] = defaultdict(int)
        for image in site.scan(document).images:
            occurrence = seen[image.src]
            seen[image.src] += 1
            src = urlsplit(image.src)
            if image.has_size or site.sized_by_build(image.src):
                continue
            local = (not src.netloc or (src.hostname or "").lower() == site.host) and src.scheme.lower() != "data"
            size = image_size(site.output / site.output_key(image.src)) if local else None
            line = document.line_of(image.src, unquote(image.src), _last_segment(image.src), occurrence=occurrence)
            source_line = document.lines[line - 1] if line else ""
            problems.append(_problem(document, line, (
                f"image {shortened_url(image.src)} has no {'width' if image.height else 'height' if image.width else 'width and height'}: "
                f"the text below it jumps when it loads (layout shift); {image_size_advice(image, size, source_line)}"), "warning"))
    return problems


def image_size_advice(image, natural: tuple[int, int] | None, source_line: str) -> str:
    """What to write, in the syntax the author used (an HTML tag's attributes, or Markdown's
    attribute list), keeping a size already given: a thumbnail written width="100" gets the
    height that keeps its proportions, never the image's natural size."""
    width, height = (f"{n}" for n in natural) if natural else ("W", "H")
    given_width, given_height = _pixels(image.width), _pixels(image.height)
    if natural and given_width:
        height = str(round(given_width * natural[1] / natural[0]))
    elif natural and given_height:
        width = str(round(given_height * natural[0] / natural[1]))
    missing = [f'{name}="{value}"' for name, value, given in (("width", width, image.width), ("height", height, image.height)) if not given]
    if "<img" in source_line.lower():
        return f"add {' '.join(missing)} to the <img> tag"
    return f"add {{: {' '.join(missing)}}} right after the image's closing parenthesis"


def _pixels(value: str) -> int | None:
    return int(value) if value.isdigit() and int(value) > 0 else None


def shortened_url(url: str) -> str:
    """A ``data:`` URI as its type and size (``data:image/png;base64,…(38 KB)``), not its bytes."""
    if not url[:5].lower() == "data:" or len(url) <= 80:
        return url
    head, _, data = url.partition(",")
    size = len(data) * 3 // 4 if head.endswith(";base64") else len(data)
    return f"{head},…({size / 1024:.0f} KB)" if size >= 1024 else f"{head},…({size} bytes)"


def check_raw_syntax(site: Site) -> list[BuildProblem]:
    """Plugin or template syntax the build left in a page's text: readers see it as written."""
    math_on = any(name in ("math_mathml", "render_math", "pelican_math_svg") for name in plugin_names(site.settings))
    problems = []
    for document in site.documents:
        seen: dict[str, int] = defaultdict(int)
        for leftover in leftovers(document.html, math_on):
            line = document.line_of(leftover.text, leftover.text[:40], leftover.text[:12], occurrence=seen[leftover.text])
            seen[leftover.text] += 1
            problems.append(_problem(document, line, (
                f"{_shortened_syntax(leftover.text)} is shown to readers as written: {leftover.advice}"), "error" if leftover.known else "warning"))
    return problems


def _shortened_syntax(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_dropped_pages(settings_file, settings: dict) -> list[BuildProblem]:
    """Settings that make Pelican write fewer pages than it was given, without a word."""
    path = settings_path(settings_file)
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []

    def line_of(name: str) -> int | None:
        return next((n for n, text in enumerate(lines, start=1) if re.match(rf"\s*{name}\s*=", text)), None)

    problems = []
    pagination = settings.get("DEFAULT_PAGINATION")
    if isinstance(pagination, int) and not isinstance(pagination, bool) and pagination <= 0:
        problems.append(BuildProblem(display_path(path), line_of("DEFAULT_PAGINATION"), (
            f"DEFAULT_PAGINATION = {pagination} " + (
                "lists no post at all on the home page: write a positive number of posts per page, or False for all on one page"
                if pagination < 0 else "turns pagination off: every post on one home page; write False to mean it, or a number per page")),
            "error" if pagination < 0 else "warning"))
    fixed: dict[str, list[str]] = defaultdict(list)
    for name, value in settings.items():
        if name.endswith("_SAVE_AS") and isinstance(value, str) and value and "{" not in value:
            fixed[value.lstrip("/")].append(name)
    for target, names in sorted(fixed.items()):
        if len(names) > 1:
            names = sorted(names)
            problems.append(BuildProblem(display_path(path), line_of(names[-1]) or line_of(names[0]), (
                f"{' and '.join(names)} all write {target}: only the last one written survives; give each its own file"), "error"))
    return problems


def check_image_weight(site: Site) -> list[BuildProblem]:
    """An original over the photos plugin's ``max_original_bytes`` (5 MB): readers get resized
    copies, but every clone, build and check carries the original."""
    limit = read_photo_options(site.settings)["max_original_bytes"]
    problems, reported = [], set()
    for document in site.documents:
        for image in site.scan(document).images:
            source = site.content_file(image.src)
            if source is None or source in reported or not limit or source.stat().st_size <= limit:
                continue
            reported.add(source)
            megabytes = source.stat().st_size / 1024 / 1024
            problems.append(_problem(document, document.line_of(image.src, unquote(image.src), _last_segment(image.src)), (
                f"image {image.src} is {megabytes:.1f} MB, over {limit / 1024 / 1024:.0f} MB: readers get resized copies, "
                f"but the repository, every build and every check carry the original; export it at most 3000 px wide "
                f"(JPEG quality 85 is about 1-2 MB)"), "warning"))
    return problems


def check_inline_code(site: Site) -> list[BuildProblem]:
    problems = []
    policy = site.policy
    # The inline_assets plugin moves inline styles and <script> blocks into files the CSP allows.
    moved = "inline_assets" in plugin_names(site.settings)
    for document in site.documents:
        scan = site.scan(document)
        found = []
        if scan.inline_styles and not policy.allows_inline("style-src") and not moved:
            found.append((scan.inline_styles[0], "style=", "style-src", "a class styled in theme/static/css/main.css"))
        if scan.inline_scripts and not policy.allows_inline("script-src") and not moved:
            found.append(("<script>", "<script", "script-src", "a file under content/ (or the theme) loaded with <script src>"))
        if scan.event_handlers and not policy.allows_inline("script-src"):
            tag, attribute = scan.event_handlers[0]
            found.append((f"<{tag} {attribute}=…>", attribute, "script-src", "a script file"))
        for what, needle, directive, instead in found:
            problems.append(_problem(document, document.line_of(needle, "<style"), (
                f"inline {what} in this content is blocked by the site's Content-Security-Policy "
                f"({policy.describe(directive)}): the build keeps it but readers' browsers ignore it; "
                f"use {instead} instead"), "warning"))
    return problems


def check_held_back(site: Site) -> list[BuildProblem]:
    problems = []
    now = datetime.now(timezone.utc)
    for document in site.documents:
        if document.status != "draft":
            continue
        date = document.date
        if date is not None and date.year < 9999 and _aware(date) > now:
            message = (f"dated {date:%Y-%m-%d %H:%M}, in the future: held back (not listed, not in feeds) "
                       f"until then; the daily deploy publishes it on that date")
            line = document.line_of_field("date")
        else:
            message = (f"draft (Status: draft): held back, make publish never uploads it; make serve "
                       f"previews it at /{document.url}; remove the Status line to publish it")
            line = document.line_of_field("status")
        problems.append(_problem(document, line, message, "warning"))
    return problems


def check_redirects(site: Site) -> list[BuildProblem]:
    shown = display_path(site.redirects_file)
    if site.redirects_problem is not None:
        return [BuildProblem(shown, site.redirects_problem.line, f"redirects table: {site.redirects_problem}", "error")]
    if not site.redirects:
        return []
    lines = site.redirects_file.read_text(encoding="utf-8").splitlines()

    def at(old: str) -> int | None:
        return next((n for n, text in enumerate(lines, start=1) if f'"{old}"' in text), None)

    problems = []
    for old, new in site.redirects.items():
        line = at(old)
        new_path = urlsplit(new).path if not urlsplit(new).netloc else None
        if not old.startswith("/") or "?" in old or "#" in old:
            problems.append(BuildProblem(shown, line, f'old URL "{old}" must be a path starting with / (no ? or #)', "error"))
        elif old != old.encode("ascii", "replace").decode() or " " in old:
            problems.append(BuildProblem(shown, line, (
                f'old URL "{old}" must be written as browsers send it, percent-encoded '
                f'(e.g. "/caf%C3%A9.html" for "/café.html")'), "error"))
        elif site.serves(unquote(old)):
            problems.append(BuildProblem(shown, line, (
                f'old URL "{old}" is a page the site still publishes: the redirect would hide it; '
                f"remove the entry or the page"), "error"))
        if not (new.startswith("/") or urlsplit(new).scheme in ("http", "https")):
            problems.append(BuildProblem(shown, line, f'new URL "{new}" must start with / or https://', "error"))
        elif new == old or (new in site.redirects and site.redirects[new] == old):
            problems.append(BuildProblem(shown, line, f'"{old}" redirects in a loop', "error"))
        elif new_path is not None and not site.serves(unquote(new_path)):
            problems.append(BuildProblem(shown, line, f'"{old}" redirects to {new}, which the build does not produce', "error"))
    size = len(render_viewer_request(site.edge_rules).encode("utf-8"))
    if size > CLOUDFRONT_FUNCTION_MAX_BYTES:
        problems.append(BuildProblem(shown, None, (
            f"{len(site.redirects)} redirects make the CloudFront Function {size:,} bytes, above CloudFront's "
            f"{CLOUDFRONT_FUNCTION_MAX_BYTES:,}-byte limit (terraform apply would fail): keep only the "
            f"URLs that still get visits, or keep the old URL scheme (docs/migrating.md)"), "error"))
    return problems


# Sources that would let any injected style or script run: never needed, inline_assets moves
# the author's own inline code into files.
_UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'")
_CODE_DIRECTIVES = ("default-src", "script-src", "script-src-elem", "script-src-attr", "style-src", "style-src-elem", "style-src-attr")


def check_csp_additions(site: Site) -> list[BuildProblem]:
    shown = display_path(site.csp_file)
    if site.csp_problem is not None:
        return [BuildProblem(shown, site.csp_problem.line, f"CSP additions: {site.csp_problem}", "error")]
    problems = []
    lines = site.csp_file.read_text(encoding="utf-8").splitlines() if site.csp_file.is_file() else []
    for directive, sources in site.csp_additions.items():
        for source in sources:
            if directive in _CODE_DIRECTIVES and source.lower() in _UNSAFE_SOURCES:
                line = next((n for n, text in enumerate(lines, start=1) if source in text), None)
                problems.append(BuildProblem(shown, line, (
                    f"{directive} {source} would let any script or style injected into a page run: the build already "
                    f"moves your inline styles and scripts into files (inline_assets); remove it"), "error"))
    return problems


def _author_file(load, path: Path) -> tuple[dict, AuthorFileError | None]:
    """What an author's file holds, or nothing and why it cannot be read."""
    try:
        return load(path), None
    except AuthorFileError as error:
        return {}, error


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.astimezone()


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit - 12]}…{text[-10:]} ({len(text.encode())} bytes)"


def _last_segment(url: str) -> str:
    parts = [p for p in urlsplit(url).path.split("/") if p]
    return unquote(parts[-1]) if parts else ""
