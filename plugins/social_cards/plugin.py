"""Signal handlers: give each post without an ``image:`` a share card (``article.social_card``,
a path under the output folder) and write the cards once the site is built."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from markupsafe import Markup

from plugins.listed import listed
from plugins.photos.variants import write_atomically
from sitebuild.incremental import note_output_files
from plugins.visitor_counter.keys import merge_options

from .card import CardText, card_key, draw_card, theme_colours

log = logging.getLogger(__name__)

DEFAULTS = {
    "enabled": True,
    "folder": "images/cards",  # under the output folder
    "font": "",  # a TrueType file for all the text; empty: DejaVu Sans, else the font Pillow ships
    "cache_dir": "cards",  # under the build's MEDIA_CACHE_PATH (else CACHE_PATH)
}


def _fault(name, value):
    return None if isinstance(value, type(DEFAULTS[name])) else type(DEFAULTS[name]).__name__


class CardBuild:
    def __init__(self, settings: dict):
        self.options = merge_options(settings, "SOCIAL_CARDS", DEFAULTS, _fault, log)
        self.site_name = str(settings.get("SITENAME") or "")
        # A card is for a link shared elsewhere: pages of a build without an absolute SITEURL
        # carry no og:image (the theme writes it only then), so such a build draws none.
        self.wanted = bool(self.options["enabled"]) and str(settings.get("SITEURL") or "").startswith(("https://", "http://"))
        self.output_path = Path(settings["OUTPUT_PATH"])
        self.cache = Path(settings.get("MEDIA_CACHE_PATH") or settings.get("CACHE_PATH") or "cache") / self.options["cache_dir"]
        self.colours = theme_colours(Path(settings["THEME"]) / "static" / "css" / "main.css")
        self.cards: dict[str, Path] = {}  # output path -> cached PNG
        self.drawn = 0

    def card_for(self, article) -> str:
        text = CardText(Markup(article.title).striptags(), self.site_name, str(article.locale_date))
        key = card_key(text, self.colours, self.options["font"])
        cached = self.cache / f"{key}.png"
        if not cached.is_file():
            write_atomically(cached, draw_card(text, self.colours, self.options["font"]))
            self.drawn += 1
        # Named by the card's own bytes, so publish serves it as immutable.
        digest = hashlib.sha256(cached.read_bytes()).hexdigest()[:10]
        name = f"{self.options['folder'].strip('/')}/{article.slug}.{digest}.png"
        self.cards[name] = cached
        return name

    def write(self) -> None:
        for name, cached in sorted(self.cards.items()):
            write_atomically(self.output_path / name, cached.read_bytes())
        log.info("social_cards: %d cards, %d drawn this build", len(self.cards), self.drawn)


_build: CardBuild | None = None


def start_build(pelican) -> None:
    global _build
    _build = CardBuild(pelican.settings) if listed(pelican.settings, __package__) else None


def attach_cards(generator) -> None:
    if _build is None or not _build.wanted:
        return
    for article in [*generator.articles, *generator.translations, *generator.drafts, *generator.drafts_translations]:
        # A post the build does not write (a draft or a future post in a publish build, where
        # DRAFT_SAVE_AS is empty) gets no card: its title must not be published as a picture.
        if article.save_as and not getattr(article, "image", None):
            article.social_card = _build.card_for(article)
            # The card goes with the post's page: an incremental build deletes it with the post.
            note_output_files(article.save_as, [article.social_card])


def write_cards(pelican) -> None:
    if _build is not None and _build.wanted:
        _build.write()
