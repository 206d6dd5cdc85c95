"""Pure helpers (no Pelican): index a set of built pages with Pagefind's Python API and put the
bundle the reader's browser needs into the output, rewriting only the files whose bytes changed.

Pagefind names each index chunk, fragment and metadata file after a hash of its content, and its
output is the same for the same pages: a one-post edit gives that post's fragment and the few
index chunks holding its words new names, and leaves every other file as it was. Rewriting only
what changed keeps the unchanged files' modification times, and publish (which compares bytes)
uploads just the new chunks.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import shutil
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

BUNDLE_DIR = "pagefind"
# What the theme's search page loads: the engine and its web worker, its entry file, the index's
# metadata, chunks and fragments. Pagefind also writes its own UIs and a highlighter: the theme
# has its own UI, so none of them is published.
_CHUNK_FOLDERS = ("fragment/", "index/", "filter/")
_ENGINE = "pagefind.js"
_WORKER = "pagefind-worker.js"
_ENTRY = "pagefind-entry.json"


@dataclass(frozen=True)
class BundleReport:
    pages: int  # pages in the index
    files: int  # files of the bundle in the output
    written: list[str]  # bundle files written (new or changed), relative to the bundle folder
    removed: list[str]  # bundle files the new index no longer has


def wanted(name: str, wasm_files: set[str]) -> bool:
    """Whether the bundle file ``name`` (relative to the bundle folder) is one the page loads."""
    if name.startswith(_CHUNK_FOLDERS) or name in (_ENGINE, _WORKER, _ENTRY) or name in wasm_files:
        return True
    return name.startswith("pagefind.") and name.endswith(".pf_meta")


def wasm_files(entry: dict) -> set[str]:
    """The engine's WebAssembly for each language of the index (``wasm.en.pagefind``)."""
    return {f"wasm.{language.get('wasm') or 'unknown'}.pagefind" for language in entry.get("languages", {}).values()}


def stage_pages(output: Path, pages: Iterable[str], stage: Path) -> int:
    """Link (or copy) each built page ``output/<page>`` into ``stage`` at the same relative path,
    so that Pagefind reads these pages only, whatever else the output folder holds, and computes
    their URLs as the site serves them. Returns how many were there to stage."""
    count = 0
    for relative in sorted(set(pages)):
        source = output / relative
        if not source.is_file():
            continue
        target = stage / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        count += 1
    return count


async def _write_index(stage: Path, bundle: Path) -> int:
    from pagefind.service import PagefindService

    # The service, not PagefindIndex's context: that context writes the files a second time on
    # its way out, and then stops Pagefind at once. Pagefind answers a write before its last
    # writes have reached the disk (they finish on its own threads), and a stopped Pagefind
    # leaves them empty or cut short: the bundle is waited for, whole, before Pagefind stops.
    async with PagefindService() as service:
        index = await service.create_index()
        result = await index.add_directory(str(stage))
        await index.write_files(output_path=str(bundle))
        await _until_whole(bundle)
    return int(result["page_count"])


SETTLE_SECONDS = 30.0  # a loaded machine; the writes take milliseconds on an idle one


async def _until_whole(bundle: Path) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        broken = broken_files(bundle)
        if not broken:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"Pagefind left incomplete files in its bundle: {', '.join(broken[:5])}")
        await asyncio.sleep(0.02)


def broken_files(bundle: Path) -> list[str]:
    """Files of the bundle that are not whole: every index file is gzip (its trailer holds a
    checksum and the length), the entry file is JSON, the engine's scripts end as they do."""
    try:
        entry = json.loads((bundle / _ENTRY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [_ENTRY]
    broken = []
    expected = [f"pagefind.{language['hash']}.pf_meta" for language in entry.get("languages", {}).values()]
    for name in expected + sorted(wasm_files(entry)):
        if not (bundle / name).is_file():
            broken.append(name)
    for path in bundle.rglob("*"):
        name = path.relative_to(bundle).as_posix()
        if path.is_file() and wanted(name, wasm_files(entry)) and name not in (_ENGINE, _WORKER, _ENTRY):
            try:
                gzip.decompress(path.read_bytes())
            except (OSError, EOFError, zlib.error):
                broken.append(name)
    for script in (_ENGINE, _WORKER):  # each ends with its exports or its message listener
        if not (bundle / script).is_file() or not (bundle / script).read_bytes().rstrip().endswith((b"};", b"})();")):
            broken.append(script)
    return broken


def build_index(stage: Path, bundle: Path) -> int:
    """Index every HTML file under ``stage`` into a fresh Pagefind bundle at ``bundle``.

    Pagefind's API is asynchronous; its event loop runs on a thread of its own, as the caller's
    thread may already run one (Playwright's synchronous API does, in a test that rebuilds)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pagefind") as thread:
        return thread.submit(lambda: asyncio.run(_write_index(stage, bundle))).result()


def sync_bundle(fresh: Path, target: Path) -> tuple[list[str], list[str], int]:
    """Make ``target`` hold exactly the wanted files of ``fresh``: write the new and changed ones,
    remove the ones the new index no longer has, leave the rest untouched."""
    entry = json.loads((fresh / _ENTRY).read_text(encoding="utf-8"))
    wasm = wasm_files(entry)
    new = {
        path.relative_to(fresh).as_posix(): path
        for path in fresh.rglob("*")
        if path.is_file() and wanted(path.relative_to(fresh).as_posix(), wasm)
    }
    old = (
        {path.relative_to(target).as_posix(): path for path in target.rglob("*") if path.is_file()}
        if target.is_dir()
        else {}
    )
    written = []
    for name, source in sorted(new.items()):
        data = source.read_bytes()
        destination = target / PurePosixPath(name)
        if name in old and _same_bytes(old[name], data):
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
        written.append(name)
    removed = sorted(set(old) - set(new))
    for name in removed:
        old[name].unlink()
    for folder in sorted((p for p in target.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return written, removed, len(new)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def pages_digest(output: Path, pages: Iterable[str]) -> str:
    """One digest of the pages' paths and bytes and of Pagefind's version: equal digests give an
    identical bundle, so a rebuild that changed none of the indexed pages need not index again."""
    from importlib.metadata import version

    digest = hashlib.sha256(version("pagefind").encode())
    for relative in sorted(set(pages)):
        source = output / relative
        if source.is_file():
            digest.update(relative.encode() + b"\0" + hashlib.sha256(source.read_bytes()).digest())
    return digest.hexdigest()


def write_bundle(output: Path, pages: Iterable[str]) -> BundleReport:
    """Index ``pages`` (output-relative HTML files) and bring ``output/pagefind/`` up to date."""
    pages = list(pages)
    with tempfile.TemporaryDirectory(prefix="site-search-", dir=_scratch_near(output)) as scratch:
        stage, fresh = Path(scratch) / "site", Path(scratch) / "bundle"
        stage.mkdir()
        stage_pages(output, pages, stage)
        count = build_index(stage, fresh)
        written, removed, files = sync_bundle(fresh, output / BUNDLE_DIR)
    return BundleReport(count, files, written, removed)


def _scratch_near(output: Path) -> str | None:
    """A scratch folder on the output's file system, where pages are linked rather than copied."""
    parent = output.resolve().parent
    return str(parent) if os.access(parent, os.W_OK) else None
