"""Publishing the search index: a one-post edit uploads only the index files it changed, and the
bucket serves each index file with the cache headers its name allows."""

from __future__ import annotations

import shutil

from moto import mock_aws

from deploy.headers import IMMUTABLE, REVALIDATE
from deploy.site import build_site
from tests.publish.helpers import Stack
from tests.search.conftest import PUBLISHED, bundle_state


def test_a_one_post_edit_uploads_only_the_index_files_it_changed(tmp_path, fixture_blog, aws_env):
    content = tmp_path / "content"
    shutil.copytree(fixture_blog, content)
    output = build_site("publishconf.py", tmp_path / "output", PUBLISHED, content_path=content)
    with mock_aws():
        stack = Stack(output)
        stack.publish()
        served = {key: cache for key, (_, _, cache) in stack.served().items() if key.startswith("pagefind/")}
        engine = {"pagefind/pagefind.js", "pagefind/pagefind-worker.js", "pagefind/pagefind-entry.json", "pagefind/wasm.en.pagefind"}
        assert {key for key, cache in served.items() if cache == REVALIDATE} == engine
        assert all(cache == IMMUTABLE for key, cache in served.items() if key not in engine), served
        before_bundle, before_bucket = bundle_state(output), stack.objects()

        post = content / "posts" / "2026-03-15-publishing-by-content-hash.md"
        post.write_text(post.read_text(encoding="utf-8") + "\nA new word: quokka.\n", encoding="utf-8")
        build_site("publishconf.py", output, PUBLISHED, content_path=content)
        after_bundle = bundle_state(output)
        stack.publish()
        after_bucket = stack.objects()

    new_or_changed = {
        f"pagefind/{name}" for name, (digest, _) in after_bundle.items()
        if name not in before_bundle or before_bundle[name][0] != digest
    }
    uploaded = {
        key for key, etag in after_bucket.items() if key.startswith("pagefind/") and before_bucket.get(key) != etag
    }
    assert uploaded == new_or_changed
    assert 3 <= len(uploaded) < len(after_bundle) / 2, sorted(uploaded)  # fragment, chunks, entry
    gone = {f"pagefind/{name}" for name in before_bundle.keys() - after_bundle.keys()}
    assert gone and not gone & after_bucket.keys(), "the replaced chunks are deleted"
