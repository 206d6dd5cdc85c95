"""Pelican plugin: each post knows the next newer and next older post, for the links under it."""

from pelican import signals

from .neighbors import link_neighbors


def _link_generator_articles(generator) -> None:
    link_neighbors(generator.articles)


def register():
    signals.article_generator_finalized.connect(_link_generator_articles)
