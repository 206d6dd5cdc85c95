"""The posts and pages of one build, as the check reads them: gathered from Pelican's generators
once every generator has run (its ``all_generators_finalized`` signal)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Iterator

# Its finalized receiver only notes that the build got that far: it holds for an incremental build.
INCREMENTAL_SAFE = True


@dataclass(frozen=True)
class Document:
    source: Path
    kind: str  # "post" or "page"
    status: str  # "published", "hidden" or "draft" (a future-dated post is a draft until its date)
    slug: str
    url: str  # as Pelican links to it, relative to SITEURL: "posts/hello/", "hello.html"
    save_as: str  # the file the build writes, relative to the output folder
    date: datetime | None
    html: str  # the content as rendered, links resolved
    template: str = ""  # the template the page is written with ("article", or its "Template:" line)

    @cached_property
    def lines(self) -> list[str]:
        try:
            return self.source.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []

    def line_of(self, *needles: str, occurrence: int = 0) -> int | None:
        """The line holding the ``occurrence``-th (from 0) appearance of the first of ``needles``
        found past the metadata header (its last appearance when there are fewer)."""
        body_starts = next((i for i, text in enumerate(self.lines) if not text.strip()), 0)
        for needle in filter(None, needles):
            found = [number for number, text in enumerate(self.lines[body_starts:], start=body_starts + 1)
                     for _ in range(text.count(needle))]
            if found:
                return found[min(occurrence, len(found) - 1)]
        return None

    def line_of_field(self, name: str) -> int | None:
        """The header line setting ``name`` (``Slug: x`` in Markdown, ``:slug: x`` in reST)."""
        pattern = re.compile(rf"^\s*:?{re.escape(name)}\s*:", re.IGNORECASE)
        return next((n for n, text in enumerate(self.lines, start=1) if pattern.match(text)), None)


# Generator attributes holding content, by kind (Pelican 4.x names; a missing one is skipped).
_COLLECTIONS = {
    "post": ("articles", "translations", "hidden_articles", "hidden_translations", "drafts", "drafts_translations"),
    "page": ("pages", "translations", "hidden_pages", "hidden_translations", "draft_pages", "draft_translations"),
}


@dataclass
class Collected:
    documents: list[Document]
    finished: bool = False  # Pelican reached its end (a crash while writing stops it midway)


@contextmanager
def documents_collected() -> Iterator[Collected]:
    """Fills with the build's documents while the block runs a Pelican build."""
    from pelican import signals
    from pelican.generators import ArticlesGenerator, PagesGenerator

    collected = Collected([])
    found = collected.documents

    def gather(generators) -> None:
        for generator in generators:
            kind = "post" if isinstance(generator, ArticlesGenerator) else "page" if isinstance(generator, PagesGenerator) else None
            if kind is None:
                continue
            seen: set[int] = set()
            for attribute in _COLLECTIONS[kind]:
                for content in getattr(generator, attribute, None) or []:
                    if id(content) not in seen:
                        seen.add(id(content))
                        found.append(_document(content, kind))

    def finish(pelican) -> None:
        collected.finished = True

    signals.all_generators_finalized.connect(gather)
    signals.finalized.connect(finish)
    try:
        yield collected
    finally:
        signals.all_generators_finalized.disconnect(gather)
        signals.finalized.disconnect(finish)


def _document(content, kind: str) -> Document:
    return Document(
        source=Path(content.source_path),
        kind=kind,
        status=str(getattr(content, "status", "published")),
        slug=str(getattr(content, "slug", "") or ""),
        url=str(content.url or ""),
        save_as=str(content.save_as or ""),
        date=getattr(content, "date", None),
        html=content.content or "",
        template=str(getattr(content, "template", "") or ""),
    )
