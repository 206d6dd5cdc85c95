"""Pelican plugin: sitemap.xml of the pages worth a search result.

Our own rather than pelican-sitemap: that plugin keeps its state in a module-level object that
only resets when a build finishes, so after one build that fails half way every later build in
the same process (tests, an in-process rebuild loop) silently writes no sitemap. Here the state
is replaced at the start of every build.
"""

from pelican import signals

# Holds for an incremental build (sitebuild.incremental): every page, rendered or kept, is
# collected from the content_written signal.
INCREMENTAL_SAFE = True

from .plugin import collect_page, start_build, write_sitemap


def register():
    signals.initialized.connect(start_build)
    signals.content_written.connect(collect_page)
    signals.finalized.connect(write_sitemap)
