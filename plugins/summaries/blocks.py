"""Pure helpers (no Pelican): a post's summary made of whole elements.

Pelican cuts a summary after SUMMARY_MAX_LENGTH words wherever that falls, closing the tags it
leaves open: a table loses its last rows, a list its last items. Here a summary is the content
up to the author's marker (``<!-- more -->``, or ``<!-- PELICAN_END_SUMMARY -->`` after an
optional ``<!-- PELICAN_BEGIN_SUMMARY -->``), else the first whole blocks within the word budget;
only a paragraph, a quote or a list is shortened when it is the first block and too long, and a
table, code or a figure never is.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from pelican.utils import truncate_html_words

MORE = re.compile(r"<!--\s*(?:more|PELICAN_END_SUMMARY)\s*-->", re.I)
BEGIN = re.compile(r"<!--\s*PELICAN_BEGIN_SUMMARY\s*-->", re.I)
# Blocks that can be shortened and still read as themselves.
_PROSE = {"p", "blockquote", "ul", "ol", "dl"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Blocks(HTMLParser):
    """Top-level blocks of an HTML fragment, as (tag or "", start offset, end offset)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.line_starts = [0] + [i + 1 for i, c in enumerate(html) if c == "\n"]
        self.blocks: list[tuple[str, int, int]] = []
        self._depth = 0
        self._open: tuple[str, int] | None = None

    def _here(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            if self._depth == 0:
                start = self._here()
                self.blocks.append((tag, start, start + len(self.get_starttag_text() or "")))
            return
        if self._depth == 0:
            self._open = (tag, self._here())
        self._depth += 1

    def handle_endtag(self, tag):
        if tag in _VOID or self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0 and self._open is not None:
            end = self.html.find(">", self._here()) + 1
            self.blocks.append((self._open[0], self._open[1], end))
            self._open = None


def blocks_of(html: str) -> list[tuple[str, str]]:
    """``[(tag, html)]`` of each top-level element (text between them is dropped)."""
    parser = _Blocks(html)
    parser.feed(html)
    parser.close()
    return [(tag, html[start:end]) for tag, start, end in parser.blocks]


def words(html: str) -> int:
    return len(re.sub(r"<[^>]*>", " ", html).split())


def summary_of(html: str, max_words: int | None, suffix: str = "…") -> str | None:
    """The summary of ``html``, or None to keep Pelican's own (no limit, nothing to cut)."""
    end = MORE.search(html)
    if end:
        begin = BEGIN.search(html, 0, end.start())
        return html[begin.end() if begin else 0: end.start()].strip()
    if max_words is None or words(html) <= max_words:
        return None
    blocks = blocks_of(html)
    kept, budget = [], max_words
    for tag, block in blocks:
        size = words(block)
        if size <= budget:
            kept.append(block)
            budget -= size
            continue
        if not kept and tag in _PROSE:
            kept.append(truncate_html_words(block, budget, suffix))
        break
    if not kept:  # it opens with a long table or code: the first paragraph says what it is about
        kept = [truncate_html_words(block, max_words, suffix) for tag, block in blocks if tag in _PROSE][:1]
    return "\n".join(kept)
