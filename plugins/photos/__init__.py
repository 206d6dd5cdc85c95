"""Pelican plugin: responsive photos. Every local JPEG, PNG or WebP the content shows becomes a
``<picture>`` of resized, metadata-free variants named by their content hash; SVG and GIF pass
through untouched. Templates apply it with the ``responsive_images`` filter."""


# Holds for an incremental build (sitebuild.incremental): the variants shown on a page are noted as that
# page's files (kept with it), and a changed photo renders every page.
INCREMENTAL_SAFE = True


def register():
    # Imported here: the content check reads the options (options.py) without loading Pelican.
    from pelican import signals

    from .plugin import collect_static_photos, expose_to_templates, start_build, write_variants

    signals.initialized.connect(start_build)
    signals.generator_init.connect(expose_to_templates)
    signals.static_generator_finalized.connect(collect_static_photos)
    signals.finalized.connect(write_variants)
