"""What an output shows, as one digest per output: equal digests, equal bytes.

A template is given a context (settings, the site's lists, the post or listing page it renders);
the names it reads are found in its source and in every template it extends, includes or imports
(``jinja2.meta``). An output's digest covers those names' values, at the level the output shows
them:

- ``FULL``: a post or page as its own page or in a listing shows everything of it: its HTML (links
  resolved), summary, metadata, URL, and every attribute a plugin set on it; a post reached
  through another (``newer_article``, a translation) is shown at ``LINK`` level;
- ``LINK``: a post only linked to shows its title, URL, date and metadata, not its body or summary
  (the neighbours under a post, the menu's pages, the popular posts);
- ``ORDER``: the whole list of a paginated listing (``articles``, ``dates``) is shown by which
  posts it holds and in what order; each page of it shows its own posts ``FULL``.

The names the theme shows at another level than ``FULL`` are listed in ``SHOWN_AS``; a theme that
shows more of them (the body of the menu's pages, say) must say so there.

Anything a template could read that is not a value (a function, a filter) is code: the build's
identity covers it.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from .identity import canonical

FULL, LINK, ORDER = "full", "link", "order"
# Context names the theme shows less of than all: the menu on every page (plugins/menu_pages) and
# the home page's popular list (plugins/popular_posts) link to their pages; a period archive lists
# the other months of its year by link and count (theme/templates/period_archives.html).
SHOWN_AS = {"menu_pages": LINK, "popular_articles": LINK, "period_archives": ORDER}
# Attributes of a post that are not what it shows: the build's shared context and settings, and
# Pelican's raw text, which the resolved content and summary below replace.
NOT_SHOWN = frozenset({"_context", "settings", "_content", "_summary"})


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class InputDigests:
    """Digests of one build's values; a post's digest is made once per build and level."""

    def __init__(self, siteurl: str):
        self.siteurl = siteurl
        # id -> (object, digest): the object is held so that its id is not reused in this build.
        self._contents: dict[tuple[int, str], tuple[Any, str]] = {}
        self._collections: dict[tuple[int, str], tuple[Any, str]] = {}

    def value(self, value: Any, level: str = FULL) -> str:
        from markupsafe import Markup
        from pelican.contents import Content
        from pelican.paginator import Page, Paginator
        from pelican.urlwrappers import URLWrapper

        if value is None or isinstance(value, (bool, int, float, str, Markup)):
            return repr(value)
        if isinstance(value, Content):
            return self.content(value, level)
        if isinstance(value, URLWrapper):
            return f"{type(value).__name__}:{value.name}|{value.slug}|{value.url}|{value.save_as}"
        if isinstance(value, Page):
            shown = f"|{self.value(value.object_list, level)}" if level == FULL else ""
            return f"page:{value.number}|{value.url}|{value.save_as}|{value.paginator.num_pages}|{value.paginator.count}{shown}"
        if isinstance(value, Paginator):
            return f"paginator:{value.num_pages}|{value.count}|{value.per_page}"
        if isinstance(value, (dict, list, tuple)):
            # The site's lists (every post, every period) are read by most outputs: made once.
            key = (id(value), level)
            known = self._collections.get(key)
            if known is None:
                known = self._collections[key] = (value, self._collection(value, level))
            return known[1]
        if isinstance(value, (set, frozenset)):
            return "set{" + ",".join(sorted(self.value(item, level) for item in value)) + "}"
        if isinstance(value, (datetime.date, datetime.time)):
            return f"{value.isoformat()}|{getattr(value, 'tzinfo', None)}"
        if callable(value) and not isinstance(value, type):
            return "callable"  # code: in the build's identity
        return canonical(value)

    def _collection(self, value, level: str) -> str:
        if isinstance(value, dict):
            return "{" + ",".join(sorted(f"{self.value(k, LINK)}:{self.value(v, level)}" for k, v in value.items())) + "}"
        return _hash("[" + ",".join(self.value(item, level) for item in value) + "]")

    def content(self, item, level: str) -> str:
        key = (id(item), level)
        known = self._contents.get(key)
        if known is not None:
            return known[1]
        if level == ORDER:
            digest = f"{item.source_path}|{item.url}"
        else:
            digest = _hash(self._full(item) if level == FULL else self._link(item))
        self._contents[key] = (item, digest)
        return digest

    def _link(self, item) -> str:
        metadata = {name: value for name, value in item.metadata.items() if name != "summary"}
        return "|".join((
            type(item).__name__, str(item.source_path), item.url, item.save_as, str(item.status),
            str(getattr(item, "title", "")), self.value(getattr(item, "date", None)),
            self.value(metadata, LINK),
        ))

    def _full(self, item) -> str:
        attributes = sorted((name, value) for name, value in vars(item).items() if name not in NOT_SHOWN)
        return "|".join((
            self._link(item),
            item.get_content(self.siteurl),
            str(item.get_summary(self.siteurl)),
            *(f"{name}={self.value(value, LINK)}" for name, value in attributes),
        ))
