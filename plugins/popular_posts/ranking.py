"""Pure helpers (no Pelican, no AWS): posts by page key, and the most read of them.

"This month" is the last 30 UTC days, today included, from the pages' day attributes: the same
window as the 30-day top pages of ``make stats``, and no list emptied on the 1st of a month as
a calendar month would leave it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from shared.pagekey import PageKeyError
from plugins.visitor_counter.keys import page_key_for
from stats.history import REPORT_DAYS, Table, last_days, top_pages


def posts_by_page_key(articles: Iterable[Any], siteurl: str = "") -> dict[str, Any]:
    """Each published post under the page key the visitor counter counts it by."""
    posts = {}
    for article in articles:
        save_as = getattr(article, "save_as", "")
        if not save_as:
            continue
        try:
            posts[page_key_for(save_as, siteurl)] = article
        except PageKeyError:
            continue  # the counter cannot count it either (make check says so)
    return posts


def most_read(items: list[dict], posts: dict[str, Any], today: date, count: int) -> list[Any]:
    """The ``count`` posts with the most views in the last 30 days, most first (ties by page
    key); pages that are not a post of this build (the home page, pages, drafts, deleted
    posts) and posts nobody read are left out."""
    first_day = last_days(today, REPORT_DAYS)[0]
    table = Table.from_items(items, today)
    ranked = top_pages(table, lambda history: history.views_since(first_day), count=len(table.pages))
    return [posts[row["page"]] for row in ranked if row["page"] in posts][:count]
