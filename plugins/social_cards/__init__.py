"""Pelican plugin: a 1200x630 PNG share card for each post (title, site name, date, in the theme's
colours), for og:image and twitter:image; a post's own ``image:`` metadata wins."""


# Holds for an incremental build (sitebuild.incremental): every post's card is written at every build and
# noted as its page's file, so the card of a deleted post goes with it.
INCREMENTAL_SAFE = True


def register():
    from pelican import signals

    from .plugin import attach_cards, start_build, write_cards

    signals.initialized.connect(start_build)
    signals.article_generator_finalized.connect(attach_cards)
    signals.finalized.connect(write_cards)
