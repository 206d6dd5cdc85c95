"""The pure stages of publish: walk the build output, diff it against the bucket, order a plan,
and name the CloudFront paths the plan makes stale. Nothing here talks to AWS.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from urllib.parse import quote

from .headers import Headers, headers_for, rule_for
from .objects import BOOKKEEPING_KEYS, LocalFile, RemoteObject
from .state import collapse_paths

DEFAULT_MAX_DELETES = 256
# Above this many paths one `/*` is cheaper than the list (1,000 paths a month are free and
# CloudFront allows 3,000 in flight); below it the rest of the cache stays warm.
DEFAULT_INVALIDATION_THRESHOLD = 300


class ActionKind(StrEnum):
    UPLOAD = "upload"
    COPY = "copy"  # only the headers change: CopyObject in place
    RESTORE = "restore"  # a rollback: an earlier version of the key copied back over it
    DELETE = "delete"
    UNCHANGED = "unchanged"


class Phase(Enum):
    """Write order. First what is new, which no live page links to yet, so it can go up in any
    state: assets, then pages, then feeds and data. Then what replaces a live object: assets
    (every page they serve exists), pages (every page and asset they link to is up by now),
    and last the files that point at pages (feeds, the sitemap, the page manifest). Deletions
    after all, once no page written links to what goes. A publish stopped at any point leaves
    no live page linking to a missing page or asset."""

    NEW_ASSETS = "new assets"
    NEW_PAGES = "new pages"
    NEW_FEEDS_AND_DATA = "new feeds and data"
    ASSETS = "assets"
    PAGES = "pages"
    FEEDS_AND_DATA = "feeds and data"

    @property
    def holds_pages(self) -> bool:
        return self in (Phase.NEW_PAGES, Phase.PAGES)


class PlanRefused(RuntimeError):
    """The plan breaks a guard (max deletes, most of the site deleted, empty output); nothing
    was changed."""


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    key: str
    reason: str
    local: LocalFile | None = None
    remote: RemoteObject | None = None

    @property
    def replaces(self) -> bool:
        """An object already in the bucket changes or goes: caches may hold the old one."""
        return self.kind is not ActionKind.UNCHANGED and self.remote is not None

    @property
    def may_be_cached(self) -> bool:
        """CloudFront may hold an answer for this key: the old object, or (for a new page, which
        someone may have asked for before it existed) the 404 it caches for a while."""
        if self.replaces:
            return True
        brings_new = self.kind in (ActionKind.UPLOAD, ActionKind.RESTORE)
        return brings_new and phase_of(self.key, new=True) is Phase.NEW_PAGES


@dataclass
class Plan:
    phases: dict[Phase, list[Action]] = field(default_factory=lambda: {p: [] for p in Phase})
    deletes: list[Action] = field(default_factory=list)
    unchanged: list[Action] = field(default_factory=list)

    @property
    def writes(self) -> list[Action]:
        return [action for phase in self.phases.values() for action in phase]

    @property
    def changes(self) -> list[Action]:
        return self.writes + self.deletes


def file_digests(path: Path) -> tuple[str, str]:
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            md5.update(chunk)
            sha256.update(chunk)
    return md5.hexdigest(), sha256.hexdigest()


def _small_file_digests(path: str) -> tuple[str, str]:
    with open(path, "rb") as stream:
        data = stream.read()
    return hashlib.md5(data, usedforsecurity=False).hexdigest(), hashlib.sha256(data).hexdigest()


_READ_AT_ONCE = 1 << 20  # smaller files are read in one call (nearly every file of a site)


# Published although their names start with a dot: RFC 8615's well-known URIs.
_PUBLIC_DOT_FOLDERS = (".well-known/",)


def _unpublishable(key: str) -> str | None:
    """Why a file (or a folder, ending in ``/``) of the output must not be published, or None."""
    if key in BOOKKEEPING_KEYS:
        return "is a name publish keeps for its own records in the bucket"
    if any(part.startswith(".") for part in key.split("/")) and not key.startswith(_PUBLIC_DOT_FOLDERS):
        return "is hidden (a dotfile such as .env or .git/ is never published)"
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return "has a name that is not UTF-8, which S3 cannot store"
    return None


def walk_local(output_dir: str | os.PathLike) -> dict[str, LocalFile]:
    """Every file under ``output_dir`` keyed by its slash-path, with digests and headers.
    Folders linked to are not followed (as ``os.walk``); files linked to are read. A name that
    must not be published (:func:`_unpublishable`) refuses the whole walk in one line."""
    root = Path(output_dir)
    if not root.is_dir():
        missing = "is a file, not a folder" if root.exists() else "does not exist"
        raise PlanRefused(f"{os.fspath(root)} {missing}: nothing to publish (build first, or pass the output folder)")
    files: dict[str, LocalFile] = {}
    refused: list[tuple[str, str]] = []
    folders = [(os.fspath(root), "")]
    while folders:
        folder, prefix = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if (reason := _unpublishable(f"{prefix}{entry.name}/")) is not None:
                        refused.append((f"{prefix}{entry.name}/", reason))
                    else:
                        folders.append((entry.path, f"{prefix}{entry.name}/"))
                    continue
                if not entry.is_file():
                    continue
                key = prefix + entry.name
                if (reason := _unpublishable(key)) is not None:
                    refused.append((key, reason))
                    continue
                size = entry.stat().st_size
                path = Path(entry.path)
                md5, sha256 = _small_file_digests(entry.path) if size < _READ_AT_ONCE else file_digests(path)
                files[key] = LocalFile(key, path, size, md5, sha256, headers_for(key, (md5, sha256)))
    if refused:
        key, reason = sorted(refused)[0]
        others = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        shown = os.fsencode(key).decode("utf-8", "backslashreplace")
        raise PlanRefused(
            f"{os.fspath(root)}/{shown} {reason}{others}: remove it from the output folder; nothing was uploaded"
        )
    return dict(sorted(files.items()))


def needs_inspection(local: LocalFile, remote: RemoteObject) -> bool:
    """Whether a HEAD is needed to decide: the content may be equal but is not proven either way,
    or is equal and the stored headers are unknown."""
    if remote.size != local.size:
        return False
    if remote.md5 is not None and remote.md5 != local.md5:
        return False
    if remote.sha256 is not None and remote.sha256 != local.sha256:
        return False
    return remote.headers is None or (remote.md5 is None and remote.sha256 is None)


def _content_difference(local: LocalFile, remote: RemoteObject) -> str | None:
    if remote.size != local.size:
        return f"size differs ({remote.size} -> {local.size} bytes)"
    if remote.sha256 is not None:
        return None if remote.sha256 == local.sha256 else "sha256 differs"
    if remote.md5 is not None:
        return None if remote.md5 == local.md5 else "md5 differs"
    return "remote digest unknown"


def _header_difference(wanted: Headers, stored: Headers | None) -> str | None:
    if stored is None:
        return "remote headers unknown"
    changed = [
        f"{label} {old!r} -> {new!r}"
        for label, old, new in (
            ("content-type", stored.content_type, wanted.content_type),
            ("cache-control", stored.cache_control, wanted.cache_control),
        )
        if old != new
    ]
    return "; ".join(changed) or None


def diff(
    local: dict[str, LocalFile], remote: dict[str, RemoteObject], force: bool = False
) -> list[Action]:
    """One action per key in either side, each with the reason a user reads in --dry-run."""
    actions: list[Action] = []
    for key in sorted(local.keys() | remote.keys()):
        here, there = local.get(key), remote.get(key)
        if here is None:
            actions.append(Action(ActionKind.DELETE, key, "not in the build output", None, there))
        elif there is None:
            actions.append(Action(ActionKind.UPLOAD, key, "missing remotely", here, None))
        elif force:
            actions.append(Action(ActionKind.UPLOAD, key, "forced", here, there))
        elif content := _content_difference(here, there):
            actions.append(Action(ActionKind.UPLOAD, key, content, here, there))
        elif headers := _header_difference(here.headers, there.headers):
            actions.append(Action(ActionKind.COPY, key, f"headers differ: {headers}", here, there))
        else:
            actions.append(Action(ActionKind.UNCHANGED, key, "same content and headers", here, there))
    return actions


# By the header rule that matched the key's name; every other rule is an asset.
_KIND_OF_RULE = {"page": "pages", "feed": "feeds", "data": "feeds"}
_PHASES = {
    (True, "assets"): Phase.NEW_ASSETS,
    (True, "pages"): Phase.NEW_PAGES,
    (True, "feeds"): Phase.NEW_FEEDS_AND_DATA,
    (False, "assets"): Phase.ASSETS,
    (False, "pages"): Phase.PAGES,
    (False, "feeds"): Phase.FEEDS_AND_DATA,
}


def phase_of(key: str, new: bool) -> Phase:
    return _PHASES[new, _KIND_OF_RULE.get(rule_for(key).why, "assets")]


def deletes_allowed(max_deletes: int | None, bucket_objects: int | None) -> tuple[int, str]:
    """How many deletions a plan may make, and the guard that says so. An explicit
    ``--max-deletes`` is the user's own bound; by default at most DEFAULT_MAX_DELETES and at
    most half the ``bucket_objects`` (a broken build that produces one file must not wipe a
    30-object site)."""
    if max_deletes is not None:
        return max_deletes, f"more than --max-deletes {max_deletes}"
    half = DEFAULT_MAX_DELETES if bucket_objects is None else bucket_objects // 2
    if half < DEFAULT_MAX_DELETES:
        return half, f"more than half of the {bucket_objects} objects in the bucket"
    return DEFAULT_MAX_DELETES, f"more than --max-deletes {DEFAULT_MAX_DELETES}, the default"


def make_plan(
    actions: list[Action], max_deletes: int | None = None, bucket_objects: int | None = None
) -> Plan:
    """Order ``actions`` into phases; raise PlanRefused when they delete more than allowed
    (``bucket_objects``: how many site objects the bucket holds; None: no relative guard)."""
    plan = Plan()
    for action in actions:
        if action.kind is ActionKind.DELETE:
            plan.deletes.append(action)
        elif action.kind is ActionKind.UNCHANGED:
            plan.unchanged.append(action)
        else:
            plan.phases[phase_of(action.key, new=action.remote is None)].append(action)
    allowed, guard = deletes_allowed(max_deletes, bucket_objects)
    if len(plan.deletes) > allowed:
        raise PlanRefused(
            f"refusing to delete {len(plan.deletes)} objects ({guard}); check the build output, "
            f"or pass --max-deletes {len(plan.deletes)} if this is intended"
        )
    return plan


def url_paths(key: str) -> list[str]:
    """The URL forms a viewer may have cached for ``key`` (``posts/x/index.html`` is also
    ``/posts/x/``), percent-encoded as CloudFront expects; ``*`` is literal, not a wildcard."""
    forms = ["/" + key]
    if key == "index.html" or key.endswith("/index.html"):
        forms.insert(0, "/" + key[: -len("index.html")])
    return [quote(form, safe="/-_.~!$&'()+,;=:@") for form in forms]


def invalidation_paths(
    actions: list[Action],
    threshold: int = DEFAULT_INVALIDATION_THRESHOLD,
    new_pages: bool = True,
) -> list[str]:
    """Paths to invalidate: objects replaced or deleted, and with ``new_pages`` new pages (their
    404 may be cached); a new asset was never linked, so never asked for. Publish leaves new
    pages out on the first publish into an empty bucket: a site nobody has seen yet."""
    paths = sorted(
        {
            path
            for action in actions
            if (action.may_be_cached if new_pages else action.replaces)
            for path in url_paths(action.key)
        }
    )
    return collapse_paths(paths, threshold)
