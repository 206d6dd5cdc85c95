"""Pelican plugin: the pages the author put in the menu (``menu_order: N``), in that order."""

from pelican import signals

from .selection import menu_pages


def _publish_menu(generator) -> None:
    generator.context["menu_pages"] = menu_pages(generator.pages)


def register():
    signals.page_generator_finalized.connect(_publish_menu)
