"""Pelican plugin: embed the visitor-counter widget and write the page manifest."""

# Holds for an incremental build (sitebuild.incremental): a page kept as the last build wrote it
# counts when the last build's manifest counted it, so the manifest lists every counted page.
INCREMENTAL_SAFE = True


def register():
    # Imported here, not at the top: publish reads the plugin's options (keys.py) without
    # loading Pelican, whose import alone costs most of a one-post publish.
    from pelican import signals

    from .plugin import collect_written_page, configure, expose_to_templates, write_outputs

    signals.initialized.connect(configure)
    signals.generator_init.connect(expose_to_templates)
    signals.content_written.connect(collect_written_page)
    signals.finalized.connect(write_outputs)
