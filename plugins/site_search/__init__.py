"""Pelican plugin: a static, private search (Pagefind) over the site's posts and pages."""


def register():
    from pelican import signals

    from .plugin import collect_indexed_pages, configure, expose_to_templates, write_search

    signals.initialized.connect(configure)
    signals.generator_init.connect(expose_to_templates)
    signals.all_generators_finalized.connect(collect_indexed_pages)
    signals.finalized.connect(write_search)
