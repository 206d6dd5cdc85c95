"""``make new-post``: a dated Markdown file with the metadata header Pelican reads."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from deploy.site import read_pelican_settings


class PostExists(FileExistsError):
    pass


# A file name holds 255 bytes on every common file system; the date, a hyphen and ".md" take
# 14 of them, and a slug this long is already past what anyone types into a URL.
MAX_SLUG_CHARS = 80


def _short_slug(slug: str) -> str:
    """``slug`` cut to :data:`MAX_SLUG_CHARS` at a word boundary, ASCII or not (bytes count)."""
    while len(slug.encode("utf-8")) > MAX_SLUG_CHARS:
        cut = slug[:-1].rsplit("-", 1)[0] if "-" in slug[:-1] else slug[:-1]
        slug = cut.rstrip("-")
    return slug


def new_post(
    title: str,
    settings_file: str | Path = "pelicanconf.py",
    content_path: str | Path | None = None,
    now: datetime | None = None,
    draft: bool = True,
) -> tuple[Path, str]:
    """Write ``<content>/posts/<date>-<slug>.md`` and return it with its URL path in the preview
    (a draft's while ``Status: draft`` stays in the header)."""
    from pelican.utils import slugify

    # One line: a line break in the title would end the metadata header early.
    title = " ".join(title.split())
    if not title:
        raise ValueError('a post needs a title: make new-post TITLE="My first post"')
    settings = read_pelican_settings(settings_file, {"PATH": str(Path(content_path).resolve())} if content_path else {})
    slug = _short_slug(slugify(title, regex_subs=settings["SLUG_REGEX_SUBSTITUTIONS"]))
    if not slug:
        raise ValueError(f"the title {title[:40]!r} leaves no letters or digits for the post's URL: use a title with some")
    now = now or datetime.now()
    path = Path(settings["PATH"]) / "posts" / f"{now:%Y-%m-%d}-{slug}.md"
    if path.exists():
        raise PostExists(f"{path} already exists")
    header = [f"Title: {title}", f"Date: {now:%Y-%m-%d %H:%M}", "Category: Notes", f"Slug: {slug}"]
    if draft:
        header.append("Status: draft")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(header) + "\n\nWrite here.\n", encoding="utf-8")
    save_as = settings["DRAFT_URL" if draft else "ARTICLE_URL"].format(slug=slug, date=now, lang=settings["DEFAULT_LANG"])
    return path, "/" + save_as.lstrip("/")
