"""What a site's address may look like: one rule for ``make check`` (SITEURL in the settings)
and ``make publish`` (the address Terraform or the environment gives), so neither builds a
site whose every absolute link (feeds, canonical URLs, share cards) is broken."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit


class SiteUrlProblem(NamedTuple):
    what: str  # "has no scheme"
    instead: str  # the address to write instead


def site_url_problem(site_url: str) -> SiteUrlProblem | None:
    """Why ``site_url`` cannot be a site's address, and what to write instead; None for a good
    one, or for "" (local builds). Pelican strips a trailing slash, so "https://" may arrive
    as "https:/"."""
    if not site_url:
        return None
    scheme, separator, rest = site_url.partition(":")
    web_scheme = separator and scheme.lower() in ("http", "https")
    if "://" not in site_url and not web_scheme:
        return SiteUrlProblem("has no scheme", "https://" + site_url.lstrip("/"))
    bare = rest.lstrip("/") if web_scheme else site_url.split("://", 1)[-1].lstrip("/")
    if any(ch.isspace() for ch in site_url):
        return SiteUrlProblem("has a space in it", "https://" + "".join(bare.split()))
    if not web_scheme:
        return SiteUrlProblem("is not a web address", f"https://{bare}")
    if not bare:
        return SiteUrlProblem("has no host name", "https://your-domain.example")
    if not rest.startswith("//"):
        return SiteUrlProblem("is not a web address", f"{scheme}://{bare}")
    try:
        parts = urlsplit(site_url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return SiteUrlProblem("is not a web address", f"{scheme}://{bare}")
    if not parts.hostname:
        return SiteUrlProblem("has no host name", "https://your-domain.example")
    if parts.query or parts.fragment or site_url.endswith(("?", "#")):
        return SiteUrlProblem(
            "has a query or fragment, which every link would carry", f"{parts.scheme}://{parts.netloc}{parts.path}"
        )
    return None
