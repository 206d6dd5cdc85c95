"""The Content-Security-Policy's one source gained what the search needs, and nothing more."""

from __future__ import annotations

import json

from shared.edge_rules import RULES_FILE, load_edge_rules


def test_the_csp_gained_webassembly_for_the_search_and_nothing_else():
    csp = json.loads(RULES_FILE.read_text(encoding="utf-8"))["security_headers"]["content_security_policy"]
    # Pagefind's engine is WebAssembly, compiled on the page: 'wasm-unsafe-eval', not 'unsafe-eval'.
    assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    # Pagefind's worker is a file of the site: script-src 'self' covers it (worker-src falls back
    # to it), so no worker-src; nothing inline, nothing eval'd, no blob: worker.
    assert "worker-src" not in csp and "child-src" not in csp
    sources = {source for directive in csp.values() for source in directive}
    assert not sources & {"'unsafe-eval'", "'unsafe-inline'", "blob:", "*"}
    # The index and the engine come from the site itself.
    assert csp["connect-src"] == ["'self'"] and csp["default-src"] == ["'self'"]


def test_the_served_policy_carries_it(tmp_path):
    header = load_edge_rules(csp_file=tmp_path / "no-csp.json").security_headers()["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in header
