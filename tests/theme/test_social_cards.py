"""plugins/social_cards in real builds: each post's og:image and twitter:image is a 1200x630 PNG
drawn at build, a post's own ``Image:`` wins, and a card is drawn once."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from deploy.site import build_site
from sitebuild.cache import cache_root_for
from tests.blogs import write_blog
from tests.theme.conftest import SITEURL

POSTS = {
    "posts/ferry.md": """
        Title: The night ferry &amp; the <em>long</em> crossing
        Date: 2026-04-02 21:00
        Slug: ferry

        Eight hours across.
        """,
    "posts/covered.md": """
        Title: A post with its own picture
        Date: 2026-04-03 09:00
        Slug: covered
        Image: images/cover.png

        It chose its own.
        """,
}


def build(content: Path, output: Path, cache: Path, siteurl: str = SITEURL) -> Path:
    return build_site("pelicanconf.py", output, {"CACHE_PATH": str(cache), "SITEURL": siteurl}, content)


def share_tags(page: Path) -> dict[str, str]:
    html = page.read_text(encoding="utf-8")
    return dict(re.findall(r'<meta (?:property|name)="((?:og|twitter):[\w:]+)" content="([^"]*)"', html))


def blog(root: Path) -> Path:
    content = write_blog(root / "content", POSTS)
    (content / "images").mkdir(exist_ok=True)
    Image.new("RGB", (1200, 630), "#123456").save(content / "images" / "cover.png")
    return content


def test_a_post_is_shared_with_a_1200x630_card_of_its_own(tmp_path):
    output = build(blog(tmp_path), tmp_path / "output", tmp_path / "cache")
    tags = share_tags(output / "posts" / "ferry" / "index.html")
    card = tags["og:image"]
    assert card.startswith(f"{SITEURL}/images/cards/ferry.") and card.endswith(".png")
    assert tags["twitter:image"] == card and tags["twitter:card"] == "summary_large_image"
    with Image.open(output / card.removeprefix(SITEURL + "/")) as image:
        assert (image.format, image.size) == ("PNG", (1200, 630))
        # The theme's page colour fills it, with the title's ink on it.
        colours = {colour for _, colour in image.convert("RGB").getcolors(1200 * 630)}
        assert (0xFD, 0xFC, 0xF9) in colours and (0x1F, 0x23, 0x28) in colours


def test_a_posts_own_image_wins_and_gets_no_card(tmp_path):
    output = build(blog(tmp_path), tmp_path / "output", tmp_path / "cache")
    tags = share_tags(output / "posts" / "covered" / "index.html")
    assert tags["og:image"] == f"{SITEURL}/images/cover.png" == tags["twitter:image"]
    assert [p.name.split(".")[0] for p in (output / "images" / "cards").iterdir()] == ["ferry"]


def test_a_card_is_drawn_once_and_depends_only_on_its_title_and_date(tmp_path):
    content = blog(tmp_path)
    output = tmp_path / "output"
    # The build keeps its caches beside the output, under its identity (sitebuild.cache).
    cards = lambda: {p: p.stat().st_mtime_ns for p in (cache_root_for(output) / "media" / "cards").glob("*.png")}  # noqa: E731
    first = share_tags(build(content, output, tmp_path / "cache") / "posts" / "ferry" / "index.html")["og:image"]
    drawn = cards()
    assert drawn, "the card was drawn into the build's cache"
    post = content / "posts" / "ferry.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nA sentence added later.\n", encoding="utf-8")
    again = share_tags(build(content, output, tmp_path / "cache") / "posts" / "ferry" / "index.html")["og:image"]
    assert again == first, "the same title and date give the same card, under the same name"
    assert cards() == drawn, "a body edit draws no card"
    # Another build identity (a setting the card does not show) keeps the cards drawn.
    build_site("pelicanconf.py", output, {"SITEURL": SITEURL, "SITESUBTITLE": "Another line"}, content)
    assert cards() == drawn, "a settings change the card does not show draws no card"
    post.write_text(post.read_text(encoding="utf-8").replace("Title: The night", "Title: The last"), encoding="utf-8")
    renamed = share_tags(build(content, output, tmp_path / "cache") / "posts" / "ferry" / "index.html")["og:image"]
    assert renamed != first


def test_a_build_without_an_absolute_siteurl_draws_no_card(tmp_path):
    output = build(blog(tmp_path), tmp_path / "output", tmp_path / "cache", siteurl="")
    assert not (output / "images" / "cards").exists() and not (cache_root_for(output) / "media" / "cards").exists()
    assert "og:image" not in share_tags(output / "posts" / "ferry" / "index.html")


def test_without_dejavu_a_card_is_drawn_in_the_font_pillow_ships(monkeypatch):
    from plugins.social_cards import card

    monkeypatch.setattr(card, "FONTS", {"bold": "NoSuchFont-Bold.ttf", "regular": "NoSuchFont.ttf"})
    card.font.cache_clear()
    card.font_identity.cache_clear()
    try:
        text = card.CardText("A title long enough to wrap onto a second line of the card", "Harbour Log", "2 April 2026")
        drawn = card.draw_card(text, card.THEME_COLOURS)
        with Image.open(io.BytesIO(drawn)) as image:
            assert (image.format, image.size) == ("PNG", (1200, 630))
            assert len(image.convert("RGB").getcolors(1200 * 630)) > 8, "text was drawn"
        assert card.card_key(text, card.THEME_COLOURS) != ""
    finally:
        card.font.cache_clear()
        card.font_identity.cache_clear()
