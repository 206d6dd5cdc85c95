"""Signal handlers: rewrite each page Pelican writes, and write the files its inline code became."""

from __future__ import annotations

from pathlib import Path

from .extract import extract_inline


class InlineMove:
    """One Pelican run: where the moved files go and how pages link them."""

    def __init__(self, settings: dict):
        self.output = Path(settings["OUTPUT_PATH"])
        self.siteurl = (settings.get("SITEURL") or "").rstrip("/")

    def rewrite(self, path: Path) -> list[str]:
        """Rewrite the page at ``path``; the files (under the output folder) it now links."""
        if path.suffix not in (".html", ".htm") or not path.is_file():
            return []
        html = path.read_text(encoding="utf-8")
        moved = extract_inline(html, self.siteurl)
        if moved.html == html:
            return []
        for relative, contents in moved.files.items():
            target = self.output / relative
            if target.is_file():  # named by its digest: already there means already right
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(contents, bytes):
                target.write_bytes(contents)
            else:
                target.write_text(contents, encoding="utf-8")
        path.write_text(moved.html, encoding="utf-8")
        return list(moved.files)


_run: InlineMove | None = None


def configure(pelican) -> None:
    from plugins.listed import listed

    global _run
    _run = InlineMove(pelican.settings) if listed(pelican.settings, __package__) else None


def rewrite_written_page(path, context) -> None:
    if _run is None or (context or {}).get("output_kept"):
        # Kept by the incremental build as the last build wrote (and rewrote) it; its files
        # are kept with it.
        return
    files = _run.rewrite(Path(path))
    if files and context and context.get("output_file"):
        from sitebuild.incremental import note_output_files

        note_output_files(context["output_file"], files)
