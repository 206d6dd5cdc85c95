"""Where a build keeps what it learnt, keyed by the build's identity.

Beside each output folder, ``.<output name>.build-cache/`` holds one folder per identity (only the
current one is kept): Pelican's content cache (``content/``) and the record of the last build's
outputs (:mod:`sitebuild.incremental`). A build under another identity finds no folder of its own,
reads every source again and renders every output: a cache from another identity is never used.
``make serve`` builds into ``.local-state/preview-<port>/``, so its cache is under ``.local-state/``
and a restart starts warm.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .identity import BuildIdentity

log = logging.getLogger(__name__)

IDENTITY_FILE = "identity.json"
# Beside the identities' folders, kept across them: caches whose every entry is keyed by all of
# its own inputs (a photo's variants, a share card), so no identity can be served another's.
MEDIA_FOLDER = "media"


def cache_root_for(output: Path) -> Path:
    output = Path(output).resolve()
    return output.parent / f".{output.name}.build-cache"


@dataclass
class BuildCache:
    root: Path
    identity: BuildIdentity

    @classmethod
    def beside(cls, output: Path, identity: BuildIdentity) -> "BuildCache":
        return cls(cache_root_for(output), identity)

    @property
    def folder(self) -> Path:
        return self.root / self.identity.short

    @property
    def content_cache(self) -> Path:
        """Pelican's ``CACHE_PATH``."""
        return self.folder / "content"

    @property
    def media_cache(self) -> Path:
        """Caches keyed by their own inputs (photos, share cards): a settings change that does
        not touch an image keeps its variants instead of encoding every photo again."""
        return self.root / MEDIA_FOLDER

    @property
    def is_warm(self) -> bool:
        return (self.folder / IDENTITY_FILE).is_file()

    def previous_identity(self) -> BuildIdentity | None:
        """The identity of the cache this one replaces, if any (to say what changed)."""
        for folder in self._folders():
            if folder != self.folder:
                try:
                    return BuildIdentity(json.loads((folder / IDENTITY_FILE).read_text()))
                except (OSError, ValueError):
                    continue
        return None

    def open(self) -> None:
        """Make this identity's folder and remove every other identity's."""
        replaced = self.previous_identity() if not self.is_warm else None
        if replaced is not None:
            log.info(
                "build identity changed (%s): everything is read and rendered again",
                ", ".join(self.identity.changed_parts(replaced)),
            )
        for folder in self._folders():
            if folder != self.folder:
                shutil.rmtree(folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f"{IDENTITY_FILE}.{os.getpid()}"
        temporary.write_text(json.dumps(self.identity.parts, indent=1, sort_keys=True))
        temporary.replace(self.folder / IDENTITY_FILE)

    def _folders(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [entry for entry in self.root.iterdir() if entry.is_dir() and entry.name != MEDIA_FOLDER]
