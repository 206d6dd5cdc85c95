"""Pelican plugin: the author's inline styles, scripts and embedded images become files of their own.

Each page the build writes has its ``style="…"``, ``<style>`` and inline ``<script>`` moved into
fingerprinted files (see ``extract.py``), so ``style-src`` and ``script-src`` stay ``'self'``.
"""

# Holds for an incremental build (sitebuild.incremental): a page kept as the last build wrote it is
# left alone, and the files it links are kept with it (note_output_files).
INCREMENTAL_SAFE = True


def register():
    from pelican import signals

    from .plugin import configure, rewrite_written_page

    signals.initialized.connect(configure)
    signals.content_written.connect(rewrite_written_page)
