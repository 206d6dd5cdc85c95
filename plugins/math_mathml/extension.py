"""A Python-Markdown extension: TeX between ``$…$``, ``$$…$$``, ``\\(…\\)`` or ``\\[…\\]``
becomes MathML at build time (latex2mathml), which every current browser renders without a script.

Code spans and code blocks are left alone (Markdown stashes them before inline patterns run). A
dollar sign that is not maths stays text: an opening ``$`` must be followed by a non-space, a
closing one preceded by a non-space and not followed by a digit, so ``$5 and $10`` is a price.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as etree

from latex2mathml.converter import convert
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

log = logging.getLogger(__name__)

# Display maths first: ``$$`` must not be read as two empty inline spans.
PATTERNS = (
    ("display_dollars", r"(?<![\\$])\$\$(?P<tex>.+?)\$\$(?!\$)", "block"),
    ("display_brackets", r"\\\[(?P<tex>.+?)\\\]", "block"),
    ("inline_parens", r"\\\((?P<tex>.+?)\\\)", "inline"),
    ("inline_dollars", r"(?<![\\$\w])\$(?P<tex>[^\s$](?:[^$\n]|\n(?!\n))*?(?<![\s\\]))\$(?![\d$])", "inline"),
)
# Above escapes (180) and below code spans (190): backticks win, so `$x$` in code stays text.
PRIORITY = 185


def tex_to_mathml(tex: str, display: str) -> str:
    """MathML for ``tex``; raises ValueError (with the TeX) when latex2mathml cannot read it."""
    try:
        return convert(tex.strip(), display=display)
    except Exception as error:  # noqa: BLE001 - latex2mathml raises its own kinds and plain ones
        raise ValueError(f"cannot render ${tex.strip()}$ as MathML: {error}") from error


class MathProcessor(InlineProcessor):
    def __init__(self, pattern: str, display: str, md):
        super().__init__(pattern, md)
        self.display = display

    def handleMatch(self, match, data):
        try:
            mathml = tex_to_mathml(match.group("tex"), self.display)
        except ValueError as error:
            log.warning("%s", error)
            return None, None, None
        return self.md.htmlStash.store(mathml), match.start(0), match.end(0)


class MathMLExtension(Extension):
    def extendMarkdown(self, md):
        for offset, (name, pattern, display) in enumerate(PATTERNS):
            md.inlinePatterns.register(MathProcessor(pattern, display, md), f"math_{name}", PRIORITY - offset / 10)


def makeExtension(**kwargs):  # noqa: N802 - the name Python-Markdown looks up
    return MathMLExtension(**kwargs)
