"""What in a content folder would wedge or mislead a build before Pelican reads it: a file
that is not a file (a named pipe Pelican would wait on forever), a folder linked back into
itself (Pelican follows links and would read every post again at each turn, hundreds of
duplicate-slug errors), a name that is not UTF-8 (S3 cannot store it: every publish would fail).
One problem per offending entry, each saying what to do."""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = {
    stat.S_ISFIFO: "a named pipe",
    stat.S_ISSOCK: "a socket",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
}


def _kind(mode: int) -> str | None:
    return next((name for test, name in _KINDS.items() if test(mode)), None)


def _shown(path: str) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def content_tree_problems(content: Path) -> list[tuple[str, str]]:
    """``(path, message)`` for each entry under ``content`` that must not reach Pelican."""
    problems: list[tuple[str, str]] = []
    root = os.path.realpath(content)
    if not os.path.isdir(root):
        return problems
    # Folders to look into, with the real paths of the folders they are inside (a link to
    # one of those is a loop).
    pending = [(os.fspath(content), (root,))]
    while pending:
        folder, inside = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                entry.name.encode("utf-8")
            except UnicodeEncodeError:
                problems.append((_shown(entry.path), "has a name that is not UTF-8, which S3 cannot store: "
                                 "rename it (publish would refuse it)"))
                continue
            try:
                mode = entry.stat(follow_symlinks=True).st_mode
            except OSError:
                continue  # a dangling link: Pelican skips it too
            if stat.S_ISDIR(mode):
                real = os.path.realpath(entry.path)
                if entry.is_symlink() and real in inside:
                    problems.append((entry.path, f"links back to {_shown(real)}, a folder it is in (a symlink loop): "
                                     "Pelican would read the posts again at every turn; remove the link"))
                    continue
                pending.append((entry.path, (*inside, real)))
            elif (kind := _kind(mode)) is not None:
                problems.append((entry.path, f"is {kind}, not a file: a build would wait on it forever; remove it"))
    return sorted(problems)
