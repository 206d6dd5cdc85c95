"""``make new-post``: a dated Markdown file with the metadata header Pelican reads."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from deploy.site import read_pelican_settings


class PostExists(FileExistsError):
    pass


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

    title = title.strip()
    if not title:
        raise ValueError('a post needs a title: make new-post TITLE="My first post"')
    settings = read_pelican_settings(settings_file, {"PATH": str(Path(content_path).resolve())} if content_path else {})
    slug = slugify(title, regex_subs=settings["SLUG_REGEX_SUBSTITUTIONS"])
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
