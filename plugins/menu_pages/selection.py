"""Pure helper (no Pelican): which pages go in the menu, and in which order.

A page joins the menu only when its metadata says ``menu_order: N``; the menu is on every page,
so a page listed there by default would make one title change rewrite the whole site. Its words
there are ``menu_label: ...`` when given, else its title.
"""

from __future__ import annotations

import logging
from typing import Iterable

log = logging.getLogger(__name__)


def menu_order(page) -> int | None:
    """The page's position in the menu, or None when it is not in the menu."""
    raw = getattr(page, "menu_order", None)
    if raw is None:
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        log.warning(
            "menu_pages: %s has menu_order %r, not a whole number; left out of the menu",
            getattr(page, "source_path", page), raw,
        )
        return None


def menu_label(page) -> str:
    """The page's words in the menu: its ``menu_label`` when it has one, else its title.

    A label of its own lets the page's title change without changing the menu, which is on
    every page (one file rewritten, not the whole site)."""
    return str(getattr(page, "menu_label", "") or getattr(page, "title", "")).strip()


def menu_pages(pages: Iterable) -> list:
    """Pages with a menu_order, lowest first; ties by their menu label."""
    placed = [(order, menu_label(page), page) for page in pages if (order := menu_order(page)) is not None]
    placed.sort(key=lambda item: (item[0], item[1]))
    return [page for _, _, page in placed]
