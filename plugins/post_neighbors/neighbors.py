"""Pure helper (no Pelican): newer/older links over published posts, in date order.

Our own few lines rather than the pelican-neighbors plugin: the theme needs only the two
site-wide neighbours, not the per-category and per-subcategory lists that plugin also builds
for every post on every build.
"""

from __future__ import annotations

from typing import Iterable


def link_neighbors(articles: Iterable) -> None:
    """Set ``newer_article`` and ``older_article`` (or None) on each article.

    Ties on the date fall back to the slug, so the order is the same on every build.
    """
    ordered = sorted(articles, key=lambda article: (article.date, getattr(article, "slug", "")))
    for position, article in enumerate(ordered):
        article.older_article = ordered[position - 1] if position > 0 else None
        article.newer_article = ordered[position + 1] if position + 1 < len(ordered) else None
