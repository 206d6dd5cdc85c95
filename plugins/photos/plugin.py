"""Signal handlers: read the options, give templates the ``responsive_images`` filter, and write
the variants (and a metadata-free copy at each original's path) once the site is built."""

from __future__ import annotations

import logging
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import pass_context
from markupsafe import Markup

from plugins.listed import listed

from .markup import ImageTag, display_width, picture, rewrite
from .options import is_raster, read_options
from sitebuild.incremental import note_output_files

from .variants import Photo, PhotoCache, original_format_of, oriented_size, write_atomically

log = logging.getLogger(__name__)


class PhotoBuild:
    """One Pelican run: options, the cache, the photos shown so far and where they go."""

    def __init__(self, settings: dict):
        self.options = read_options(settings)
        self.siteurl = (settings.get("SITEURL") or "").rstrip("/")
        self.content_path = Path(settings["PATH"])
        self.output_path = Path(settings["OUTPUT_PATH"])
        cache_root = Path(settings.get("MEDIA_CACHE_PATH") or settings.get("CACHE_PATH") or "cache")
        self.cache = PhotoCache(cache_root / self.options["cache_dir"], self.options)
        self.originals: dict[str, str] = {}  # output path of an original -> its metadata-free copy
        self.variants: set[str] = set()  # output paths of the variants shown
        self.shown_on: dict[str, int] = {}  # output file -> images rendered on it so far
        self.sources: dict[str, Path] | None = None
        self.static_photos: dict[str, Path] = {}  # output path -> source of each raster file copied

    @property
    def enabled(self) -> bool:
        return bool(self.options["enabled"])

    def source_of(self, url_path: str, context) -> Path | None:
        """The content file published at ``url_path`` (``images/cat.jpg``): a static file
        Pelican knows, else the same path under the content folder."""
        if self.sources is None:
            statics = (context.get("static_content") or {}).values()
            self.sources = {s.url: Path(s.source_path) for s in statics if getattr(s, "url", None)}
        found = self.sources.get(url_path)
        if found is None:
            candidate = self.content_path / url_path
            found = candidate if candidate.is_file() else None
        return found

    def url_path(self, src: str, output_file: str) -> str | None:
        """``src`` as a path under the site root, or None for another site's image."""
        split = urlsplit(src)
        if self.siteurl and src.startswith(self.siteurl + "/"):
            path = src[len(self.siteurl):]
        elif split.scheme or split.netloc:
            return None
        else:
            path = split.path if split.path.startswith("/") else posixpath.join("/" + posixpath.dirname(output_file), split.path)
        path = posixpath.normpath(unquote(urlsplit(path).path)).lstrip("/")
        prefix = urlsplit(self.siteurl).path.strip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) + 1:]
        return None if path.startswith("..") else path

    def responsive(self, html: str, context) -> str:
        output_file = context.get("output_file") or ""

        def replace(tag: ImageTag) -> str | None:
            index = self.shown_on.get(output_file, 0)
            self.shown_on[output_file] = index + 1
            src = tag.attributes.get("src", "")
            url_path = self.url_path(src, output_file) if is_raster(src) else None
            source = self.source_of(url_path, context) if url_path else None
            if source is None:
                return None
            try:
                photo = self._photo(source, url_path, tag.attributes)
            except (OSError, ValueError) as error:  # Pillow: not an image it can read
                log.warning("photos: %s is kept as written: %s", url_path, error)
                return None
            note_output_files(output_file, [v.name for v in photo.variants])
            return picture(
                tag.attributes, photo, original_format_of(source), self.siteurl,
                self.options["sizes"], lazy=index >= self.options["eager"],
            )

        return rewrite(html, replace)

    def _photo(self, source: Path, url_path: str, attributes: dict) -> Photo:
        if url_path not in self.originals:
            self.originals[url_path] = self.cache.original_copy(source, url_path).name
        photo = self.cache.photo(source, url_path, display_width(attributes, *oriented_size(source)))
        self.variants.update(v.name for v in photo.variants)
        return photo

    def write(self) -> None:
        """Each variant shown, and at each original's path a copy without its metadata (Pelican
        copied the original there, GPS position and all)."""
        # Every photo Pelican copied this build, shown or not: an incremental build may copy
        # files again without rendering the pages that show them.
        for save_as, source in sorted(self.static_photos.items()):
            if save_as not in self.originals:
                try:
                    self.originals[save_as] = self.cache.original_copy(source, save_as).name
                except (OSError, ValueError) as error:
                    log.warning("photos: %s is published as it is, metadata and all: %s", save_as, error)
        copies = {name: name for name in self.variants}
        copies.update(self.originals)
        for target_name, cached_name in sorted(copies.items()):
            target = self.output_path / target_name
            data = self.cache.read(cached_name)
            if not target.is_file() or target.read_bytes() != data:
                write_atomically(target, data)
        log.info(
            "photos: %d images, %d variants, %d encoded this build",
            len(self.originals), len(self.variants), self.cache.encoded,
        )


_build: PhotoBuild | None = None


def start_build(pelican) -> None:
    global _build
    _build = PhotoBuild(pelican.settings) if listed(pelican.settings, __package__) else None


def expose_to_templates(generator) -> None:
    build = _build
    if build is None:
        return

    @pass_context
    def responsive_images(context, html):
        """Local photos in ``html`` as <picture> elements; anything else unchanged."""
        if not build.enabled or not html or "<img" not in html:  # most summaries: nothing to parse
            return html
        return Markup(build.responsive(str(html), context))

    generator.env.filters["responsive_images"] = responsive_images


def collect_static_photos(generator) -> None:
    if _build is None or not _build.enabled:
        return
    for static in getattr(generator, "staticfiles", ()):
        save_as = str(static.save_as).replace("\\", "/")
        if is_raster(save_as):
            _build.static_photos[save_as] = Path(static.source_path)


def write_variants(pelican) -> None:
    if _build is not None and _build.enabled:
        _build.write()
