"""Resized, metadata-free variants of one photo, each encoded once (Pillow; no Pelican).

A variant's bytes depend only on the source's bytes, the options and the installed encoders, so
they are kept in a cache folder under a key made of those, and its file name carries the first
10 hex digits of its own SHA-256: publish serves such a name as immutable (deploy/headers.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from PIL import ExifTags, Image, ImageOps, features

# This file's own bytes are part of every cache key: a change to the encoding below never
# serves variants the old code made.
CODE_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
# The format each source suffix is served in beside WebP and AVIF.
_ORIGINAL_FORMAT = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}
_SUFFIX = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}
MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif"}


def available_formats(wanted: list[str]) -> list[str]:
    """``wanted`` less what this Pillow cannot write (AVIF needs Pillow 11.2+ built with libavif)."""
    return [f for f in wanted if features.check(f)]


def encoder_versions() -> dict:
    return {
        "pillow": Image.__version__,
        **{codec: features.version(codec) for codec in ("jpg", "zlib", "webp", "avif") if features.check(codec)},
    }


@dataclass(frozen=True)
class Variant:
    name: str  # the output path, relative to the output folder: images/cat-800w.0123456789.webp
    width: int
    height: int
    format: str  # jpeg, png, webp, avif


@dataclass(frozen=True)
class Photo:
    """What the markup needs: the displayed image's size and its variants, smallest first."""

    width: int  # of the original, orientation applied
    height: int
    variants: tuple[Variant, ...]

    def in_format(self, image_format: str) -> list[Variant]:
        return [v for v in self.variants if v.format == image_format]


def variant_widths(original_width: int, display_width: int | None, widths: list[int]) -> list[int]:
    """The widths worth encoding: the option's widths for an image shown at the column's width,
    or 1x and 2x of the author's ``width=``; never wider than the original."""
    wanted = [display_width, 2 * display_width] if display_width else widths
    return sorted({min(w, original_width) for w in wanted})


def file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class PhotoCache:
    """Variants by key, in ``folder``: ``<key>.json`` lists them, their bytes sit beside it.
    ``encoded`` counts the images encoded by this process, so a rebuild can prove it did none."""

    def __init__(self, folder: Path, options: dict):
        self.folder = folder
        self.options = options
        self.formats = available_formats(options["formats"])
        self.encoded = 0
        settings = {k: options[k] for k in ("widths", "quality", "avif_speed")}
        self._settings = json.dumps(
            {"settings": settings, "formats": self.formats, "encoders": encoder_versions(), "code": CODE_DIGEST},
            sort_keys=True,
        )
        self._digests: dict[Path, str] = {}

    def photo(self, source: Path, url_path: str, display_width: int | None) -> Photo:
        """The variants of ``source`` (published at ``url_path``, e.g. ``images/cat.jpg``) for an
        image shown at the column's width (``display_width`` None) or at the author's width."""
        return self._cached(source, url_path, f"shown at {display_width}", lambda width: (
            variant_widths(width, display_width, self.options["widths"]), None))

    def original_copy(self, source: Path, url_path: str) -> Variant:
        """What is served at the original's own path (an author may link to it): the original's
        format at the largest width offered, without metadata."""
        photo = self._cached(source, url_path, "original", lambda width: (
            [min(width, max(self.options["widths"]))], [original_format_of(source)]))
        return photo.variants[-1]

    def read(self, name: str) -> bytes:
        return (self.folder / PurePosixPath(name).name).read_bytes()

    def _cached(self, source: Path, url_path: str, use: str, plan) -> Photo:
        if source not in self._digests:
            self._digests[source] = file_digest(source)
        key = hashlib.sha256(f"{self._digests[source]}|{url_path}|{use}|{self._settings}".encode()).hexdigest()[:32]
        index = self.folder / f"{key}.json"
        try:
            recorded = json.loads(index.read_text(encoding="utf-8"))
            photo = Photo(recorded["width"], recorded["height"], tuple(Variant(**v) for v in recorded["variants"]))
            if all((self.folder / PurePosixPath(v.name).name).is_file() for v in photo.variants):
                return photo
        except (OSError, ValueError, KeyError, TypeError):
            pass
        photo = self._encode(source, url_path, plan)
        write_atomically(index, json.dumps({**asdict(photo), "variants": [asdict(v) for v in photo.variants]}, sort_keys=True).encode())
        return photo

    def _encode(self, source: Path, url_path: str, plan) -> Photo:
        self.encoded += 1
        original_format = original_format_of(source)
        with Image.open(source) as opened:
            icc_profile = opened.info.get("icc_profile")
            width, height = oriented_size(source)
            widths, formats = plan(width)
            # A JPEG decodes at 1/2, 1/4 or 1/8 scale when the widest variant allows (libjpeg's
            # DCT scaling): a 4000 px photo for 1328 px variants decodes at 2000 px, 4x less work.
            scale = max(widths) / width
            opened.draft("RGB", (math.ceil(opened.width * scale), math.ceil(opened.height * scale)))
            # Orientation first: once EXIF is gone, a portrait phone photo would show on its side.
            image = ImageOps.exif_transpose(opened)
            image.load()
        image = _without_palette(image, original_format)
        formats = formats or [original_format, *[f for f in self.formats if f != original_format]]
        stem = PurePosixPath(url_path).with_suffix("")
        variants = []
        # Widest first, each from the one before: the same result as from the original to the
        # eye, for a fraction of the resampling.
        for target_width in sorted(widths, reverse=True):
            target_height = max(1, round(height * target_width / width))
            if image.size != (target_width, target_height):
                image = image.resize((target_width, target_height), Image.Resampling.LANCZOS)
            for image_format in formats:
                data = self._bytes(image, image_format, icc_profile)
                name = f"{stem}-{target_width}w.{hashlib.sha256(data).hexdigest()[:10]}.{_SUFFIX[image_format]}"
                write_atomically(self.folder / PurePosixPath(name).name, data)
                variants.append(Variant(name, target_width, target_height, image_format))
        variants.sort(key=lambda v: (v.width, formats.index(v.format)))
        return Photo(width, height, tuple(variants))

    def _bytes(self, image: Image.Image, image_format: str, icc_profile: bytes | None) -> bytes:
        """``image`` in ``image_format`` with no EXIF, XMP or comments: only the colour profile,
        without which colours shift."""
        quality = self.options["quality"].get(image_format)
        if image_format == "jpeg" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        extra = {"icc_profile": icc_profile} if icc_profile else {}
        arguments = {
            "jpeg": {"quality": quality, "optimize": True, "progressive": True},
            "webp": {"quality": quality, "method": 4},
            # One thread: the bytes must not depend on the machine.
            "avif": {"quality": quality, "speed": self.options["avif_speed"], "max_threads": 1},
            "png": {"optimize": False, "compress_level": 9},
        }[image_format]
        buffer = io.BytesIO()
        image.save(buffer, format=image_format.upper(), **arguments, **extra)
        return buffer.getvalue()


def original_format_of(source: Path | str) -> str:
    return _ORIGINAL_FORMAT[PurePosixPath(str(source)).suffix.lower()]


def _turned(image: Image.Image) -> bool:
    """Whether EXIF orientation swaps width and height (5 to 8: turned a quarter)."""
    return image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)


def oriented_size(source: Path) -> tuple[int, int]:
    """Width and height as shown, orientation applied; reads the header only."""
    with Image.open(source) as opened:
        return (opened.height, opened.width) if _turned(opened) else opened.size


def _without_palette(image: Image.Image, original_format: str) -> Image.Image:
    """Resizing needs full colour: a palette or 1-bit image becomes RGB(A)."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    has_alpha = image.mode in ("PA", "RGBa", "La") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha and original_format != "jpeg" else "RGB")


def write_atomically(path: Path, data: bytes) -> None:
    """A new file renamed into place: never half a file, and never writing through a hard link
    (Pelican may link static files to the author's own)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
