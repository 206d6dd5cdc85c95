"""Pelican plugin: a static, private search (Pagefind) over the site's posts and pages."""


# Holds for an incremental build (sitebuild.incremental): the index is made from the pages on
# disk, kept or rendered, and its folder kept in step with the index by the plugin itself.
INCREMENTAL_SAFE = True


def register():
    from pelican import signals

    from .plugin import collect_indexed_pages, configure, expose_to_templates, write_search

    signals.initialized.connect(configure)
    signals.generator_init.connect(expose_to_templates)
    signals.all_generators_finalized.connect(collect_indexed_pages)
    signals.finalized.connect(write_search)
