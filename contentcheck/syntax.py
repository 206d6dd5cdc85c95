"""What a reader would see as raw markup: plugin or template syntax no plugin rendered, left in a
page's text. Pure helpers over the content's HTML; code, maths and scripts are not text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Not prose: what is inside these is shown (or run) as written on purpose.
_NOT_TEXT = re.compile(r"<(pre|code|math|script|style|kbd|samp|textarea)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")

# pelican-liquid-tags' tags (``LIQUID_TAGS`` loads each by name).
LIQUID_TAGS = frozenset({
    "img", "video", "youtube", "vimeo", "include_code", "literal", "audio", "b64img", "blockdiag",
    "diag", "flickr", "giphy", "gram", "graphviz", "soundcloud", "speakerdeck", "spotify",
})

_LIQUID = re.compile(r"\{%-?\s*(?P<tag>[\w.]+)[^%]*?%\}", re.S)
_EXPRESSION = re.compile(r"\{\{.+?\}\}", re.S)
_MARKERS = (
    ("[TOC]", "a table of contents marker: Markdown's toc extension replaces it "
              '("markdown.extensions.toc" in MARKDOWN["extension_configs"] in pelicanconf.py)'),
    ("[ref]", "a footnote of pelican-simple-footnotes: add pelican-simple-footnotes to "
              'requirements-blog.txt and "pelican.plugins.simple_footnotes" to PLUGINS'),
)
# TeX as pelican-render-math and MathJax read it. An inline $…$ needs something TeX-like inside
# (or one letter), so "$5 to $10" and "costs $5" are prices, not maths.
_TEX = re.compile(
    r"\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]"
    r"|(?<![\w$\\])\$(?:[A-Za-z]|[^\s$][^$\n]*?[\\^_{}=][^$\n]*?)\$(?![\w$])",
    re.S,
)


@dataclass(frozen=True)
class Leftover:
    text: str  # as it appears in the page (and, mostly, in the source)
    advice: str
    known: bool  # a plugin that renders it is known: the page is broken until it is added


def page_text(html: str) -> str:
    """The content's text as a reader sees it, code, maths and scripts left out."""
    return _TAG.sub(" ", _NOT_TEXT.sub(" ", html or ""))


def leftovers(html: str, math_on: bool) -> list[Leftover]:
    text = page_text(html)
    found = []
    for match in _LIQUID.finditer(text):
        tag = match["tag"]
        if tag in LIQUID_TAGS:
            advice = (f"a pelican-liquid-tags tag: add pelican-liquid-tags to requirements-blog.txt, "
                      f'"pelican.plugins.liquid_tags" to PLUGINS and "{tag}" to LIQUID_TAGS in pelicanconf.py')
        elif tag == "notebook":
            advice = ('a notebook embed: the notebooks plugin (in PLUGINS) reads it from NOTEBOOK_DIR under the '
                      'content folder ("notebooks" unless set): put the notebook there or set NOTEBOOK_DIR')
        else:
            advice = "a Liquid/Jinja tag that no plugin rendered"
        found.append(Leftover(_one_line(match.group(0)), advice, tag in LIQUID_TAGS or tag == "notebook"))
    for match in _EXPRESSION.finditer(text):
        found.append(Leftover(_one_line(match.group(0)), "a Jinja expression: Pelican does not render templates inside content", False))
    for marker, advice in _MARKERS:
        if marker in text:
            found.append(Leftover(marker, advice, True))
    if not math_on:
        for match in _TEX.finditer(text):
            found.append(Leftover(_one_line(match.group(0)), (
                'TeX maths: add "math_mathml" to PLUGINS in pelicanconf.py to render it as MathML'), True))
    return found


def _one_line(text: str) -> str:
    return " ".join(text.split())
