"""The site's Content-Security-Policy, read as a browser enforces it: what content it blocks.

The check is given the header CloudFront and the local edge send (``shared.edge_rules``: the
project's rules with the author's ``csp.json``), so it warns about exactly what production
would block.
"""

from __future__ import annotations

from urllib.parse import urlsplit


class Policy:
    def __init__(self, header: str):
        self.header = header
        self.directives: dict[str, list[str]] = {}
        for part in header.split(";"):
            words = part.split()
            if words:
                self.directives.setdefault(words[0].lower(), words[1:])

    def sources(self, directive: str) -> list[str]:
        """The directive's sources, or default-src's when it is not set (as browsers fall back)."""
        if directive in self.directives:
            return self.directives[directive]
        return self.directives.get("default-src", ["*"])

    def describe(self, directive: str) -> str:
        own = directive if directive in self.directives else "default-src"
        return f"{own} {' '.join(self.sources(directive))}"

    def allows_inline(self, directive: str) -> bool:
        return "'unsafe-inline'" in self.sources(directive)

    def allows_url(self, directive: str, url: str) -> bool:
        """Whether a URL on another origin (or a data: URL) may load under ``directive``."""
        sources = self.sources(directive)
        if "*" in sources:
            return True
        split = urlsplit(url)
        scheme = (split.scheme or "https").lower()
        if f"{scheme}:" in sources:
            return True
        host = (split.hostname or "").lower()
        for source in sources:
            if source.startswith("'"):
                continue
            allowed = urlsplit(source if "://" in source else f"{scheme}://{source}")
            allowed_host = (allowed.hostname or "").lower()
            if allowed_host.startswith("*.") and host.endswith(allowed_host[1:]):
                return True
            if allowed_host and allowed_host == host:
                return True
        return False
