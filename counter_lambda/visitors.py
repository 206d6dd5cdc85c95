"""Who is visiting, without knowing who: crawler detection and the daily visitor hash.

Unique visitors per day
-----------------------
A visitor is ``HMAC-SHA256(salt_of_the_day, site, IP, user agent)``, truncated to 128 bits;
the client it belongs to is ``HMAC-SHA256(salt_of_the_day, site, IP)``: the counter's daily
limits are per client, so rotating user agents mints no more than a few unique visitors.
The salt of the day is ``HMAC-SHA256(secret, "visitor-salt|<YYYY-MM-DD>")`` (UTC day), so:

* it rotates every day: the same browser gets an unrelated hash tomorrow, so hashes cannot be
  linked across days;
* it is never stored: not in DynamoDB (a table reader sees only hashes, never the salt that
  would let them test guesses of IP and user agent), not in logs;
* every Lambda instance derives the same salt without a request, so the hot path stays at
  three DynamoDB requests. A random salt item created once a day would cost each instance an
  extra request on its first hit of the day, breaking that bound.

The trade-off: whoever holds the secret can re-derive an old day's salt, but nothing is left
to test it against once the day's markers have expired (DynamoDB TTL). The secret comes from
the Lambda environment (see ``counter_lambda.handler``); the IP and user agent are hashed and
dropped, never stored or logged.

Crawlers
--------
A request whose user agent is empty or names a crawler (search engines, link previews, SEO
and uptime robots, HTTP libraries) is answered with the current counts but not counted. The
pattern is a short hand-written one rather than a published list of hundreds of expressions
(compiled on every cold start); ``tests/counter/test_handler_hardening.py`` holds both sides:
the crawlers it must keep out and real browsers, such as CUBOT phones (any case), it must count.
Headless Chromium (``HeadlessChrome/…``) is deliberately *not* a crawler: it is a full browser
that ran the page's script, which is what a view is, and our own end-to-end tests drive it to
see the counter move. Crawlers that hide behind a browser user agent are not stopped by any
list; the list only keeps honest, self-declared robots out of the numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from datetime import date

# A robot names itself "...bot" or "...Bot" ("Googlebot/2.1", "MJ12bot", "AhrefsBot") or
# leaves a contact address ("+https://..."). A case-sensitive "bot" keeps out phones whose
# model merely ends in the letters, written in capitals ("CUBOT X30", "CUBOT_P30"); the
# brand in any other case ("Cubot P80") is taken out before the pattern looks.
_PHONE_BRANDS_ENDING_IN_BOT = re.compile(r"cubot", re.IGNORECASE)
_CRAWLER_USER_AGENT = re.compile(
    r"(?-i:[a-z0-9]bot|Bot)\b|\+https?://"
    r"|crawl|spider|slurp|archiver|facebookexternalhit|facebookcatalog"
    r"|embedly|quora link preview|bingpreview|mediapartners|adsbot|feedfetcher"
    r"|lighthouse|pagespeed|pingdom|uptime|statuscake|site24x7|monitor"
    r"|curl/|wget/|httpie|python-requests|python-urllib|aiohttp|httpx|okhttp"
    r"|go-http-client|java/|libwww-perl|node-fetch|axios/|scrapy",
    re.IGNORECASE,
)

VISITOR_HASH_HEX_CHARS = 32


def is_crawler(user_agent: str | None) -> bool:
    """True for an empty user agent or one that declares a robot (see module docstring)."""
    if not user_agent or not user_agent.strip():
        return True
    return _CRAWLER_USER_AGENT.search(_PHONE_BRANDS_ENDING_IN_BOT.sub(" ", user_agent)) is not None


def daily_salt(secret: bytes, day: date) -> bytes:
    return hmac.new(secret, f"visitor-salt|{day.isoformat()}".encode(), hashlib.sha256).digest()


# An IPv6 subscriber gets a whole /64 (RFC 6177) and picks addresses in it at will: the /64,
# not the address, is one client, as one IPv4 address is.
IPV6_CLIENT_PREFIX = 64


def client_network(ip: str) -> str:
    """What one client is: an IPv4 address, or the /64 an IPv6 address is in."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)


def client_hash(salt: bytes, *, site: str, ip: str) -> str:
    """The day's pseudonym of one client on one site (:func:`client_network` of its address),
    whatever browsers it uses: what the counter's per-client daily limits apply to."""
    message = "\x1f".join((site, client_network(ip))).encode("utf-8", "surrogatepass")
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:VISITOR_HASH_HEX_CHARS]


def visitor_hash(salt: bytes, *, site: str, ip: str, user_agent: str) -> str:
    """The day's pseudonym of one browser on one site; the inputs cannot be read back."""
    message = "\x1f".join((site, ip, user_agent)).encode("utf-8", "surrogatepass")
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:VISITOR_HASH_HEX_CHARS]
