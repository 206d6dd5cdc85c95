"""Pelican plugin: embed the visitor-counter widget and write the page manifest."""

from pelican import signals

from .plugin import collect_written_page, configure, expose_to_templates, write_outputs


def register():
    signals.initialized.connect(configure)
    signals.generator_init.connect(expose_to_templates)
    signals.content_written.connect(collect_written_page)
    signals.finalized.connect(write_outputs)
