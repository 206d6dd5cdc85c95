"""Summaries of whole elements (plugins/summaries): never a table cut after its third row."""

from __future__ import annotations

import re

from plugins.summaries.blocks import summary_of
from tests.plugin.test_moved_blog import moved_site  # noqa: F401 - the module's one build

WORDS = " ".join(["word"] * 60)


def test_the_authors_marker_ends_the_summary():
    assert summary_of("<p>One.</p>\n<!-- more -->\n<p>Two.</p>", 50) == "<p>One.</p>"
    assert summary_of("<p>Intro.</p><!-- PELICAN_BEGIN_SUMMARY --><p>Kept.</p><!-- PELICAN_END_SUMMARY --><p>No.</p>", 50) == "<p>Kept.</p>"


def test_whole_blocks_within_the_budget_and_a_long_first_paragraph_shortened():
    assert summary_of(f"<p>Short.</p>\n<table><tr><td>{WORDS}</td></tr></table>\n<p>After.</p>", 50) == "<p>Short.</p>"
    shortened = summary_of(f"<p>{WORDS}</p>", 50)
    assert shortened.startswith("<p>word") and shortened.endswith("…</p>") and shortened.count("word") == 50
    assert summary_of("<p>Short post.</p>", 50) is None  # nothing to cut: Pelican's own


def test_a_post_opening_with_a_table_is_summarised_by_its_first_paragraph():
    summary = summary_of(f"<table><tr><td>{WORDS}</td></tr></table>\n<pre>code</pre>\n<p>What it is about.</p>", 50)
    assert summary == "<p>What it is about.</p>"


def test_home_page_cards_hold_whole_elements(moved_site):  # noqa: F811
    home = (moved_site / "index.html").read_text(encoding="utf-8")
    cards = dict(re.findall(r'<a href="/posts/([^/]+)/">.*?<div class="post-card__summary">(.*?)</div>\s*(?:<ul|</li)', home, re.S))
    assert cards["wide-things"].count("<td>") == 6 and "</table>" in cards["wide-things"]
    assert "https://example.org" not in cards["wide-things"]  # after the <!-- more -->
    table_first = cards["table-first"]
    assert "<table" not in table_first and table_first.strip().startswith("<p>The table above is the whole story")
