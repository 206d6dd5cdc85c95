"""Pelican plugin: the home page's "Most read this month" list, ranked at build time from the
counter table when the build can read it, and simply absent when it cannot."""


def register():
    # Imported here, like visitor_counter: nothing of this plugin (nor boto3) is loaded by a
    # build that does not run it.
    from pelican import signals

    from .plugin import configure, expose_to_templates

    signals.initialized.connect(configure)
    signals.article_generator_finalized.connect(expose_to_templates)
