"""The edge's rules, read from their one source: what CloudFront does to a request before the
bucket sees it and adds to every answer.

``shared/edge_rules.json`` holds the project's rules (the index document folder URLs get, the
redirects' caching, the not-found page, the security headers and the Content-Security-Policy as
directives); the author adds to them with two optional files at the project root:
``redirects.json`` (old path -> new URL) and ``csp.json`` (directive -> extra sources). Three
readers take them from here: Terraform (``terraform/edge_rules.tf`` decodes the same files and
merges them the same way), the local edge (``devstack/edge.py``) and ``make check``
(``contentcheck``); ``tests/terraform/test_edge_rules_agree.py`` holds the three equal.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from pathlib import Path

from shared.targets import PROJECT_ROOT

RULES_FILE = Path(__file__).with_name("edge_rules.json")
REDIRECTS_FILE = PROJECT_ROOT / "redirects.json"
CSP_FILE = PROJECT_ROOT / "csp.json"
VIEWER_REQUEST_FUNCTION = PROJECT_ROOT / "terraform" / "functions" / "viewer_request.js"
# The line of viewer_request.js the function's rules replace (terraform/edge_rules.tf replaces
# the same text), so the code CloudFront runs carries the table it was given.
PLACEHOLDER = "var RULES = {};"
CLOUDFRONT_FUNCTION_MAX_BYTES = 10 * 1024
# CloudFront's content_type_options block has no value: it always sends nosniff.
CONTENT_TYPE_OPTIONS = "nosniff"


class AuthorFileError(ValueError):
    """An author's file (redirects.json, csp.json) cannot be read; the message is one line."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


# What an editor's "Unicode" or "UTF-8 with BOM" puts first. Terraform's file() reads UTF-8
# without a mark, so the local stack and make check refuse what terraform plan would.
_BYTE_ORDER_MARKS = {
    codecs.BOM_UTF8: "UTF-8 with a byte order mark",
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def _read_json(path: Path):
    data = path.read_bytes()
    for mark, encoding in _BYTE_ORDER_MARKS.items():
        if data.startswith(mark):
            raise AuthorFileError(f"saved as {encoding}: save it as UTF-8 (without a byte order mark), as Terraform reads it", 1)
    if b"\x00" in data:  # UTF-16 without a mark: every other byte of ASCII text is NUL
        raise AuthorFileError("not UTF-8 (saved as UTF-16?): save it as UTF-8, as Terraform reads it", 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise AuthorFileError("not UTF-8: save it as UTF-8, as Terraform reads it", line) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise AuthorFileError(f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from error
    except RecursionError:
        raise AuthorFileError("nested deeper than any redirect or CSP table needs", 1) from None


def load_redirects(path: Path = REDIRECTS_FILE) -> dict[str, str]:
    """The redirects table in ``path``: {} when there is no such file."""
    if not path.is_file():
        return {}
    table = _read_json(path)
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise AuthorFileError('must be one JSON object of "old path": "new URL" pairs, e.g. {"/old.html": "/posts/old/"}')
    return table


def load_csp_additions(path: Path = CSP_FILE) -> dict[str, list[str]]:
    """The author's extra sources per CSP directive in ``path``: {} when there is no such file."""
    if not path.is_file():
        return {}
    additions = _read_json(path)
    if not isinstance(additions, dict) or not all(
        isinstance(sources, list) and all(isinstance(s, str) and s and not any(c in s for c in " ;,") for s in sources)
        for sources in additions.values()
    ):
        raise AuthorFileError('must be one JSON object of "directive": ["source", ...], e.g. {"frame-src": ["https://www.youtube-nocookie.com"]}')
    return additions


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def merge_csp(base: dict[str, list[str]], additions: dict[str, list[str]]) -> dict[str, list[str]]:
    """The base directives with the author's sources added after each directive's own. A
    directive the base does not set starts from default-src's sources, as a browser falls back
    to them, so adding a frame source never drops 'self'. Terraform merges the same way."""
    names = _distinct([*base, *additions])
    return {name: _distinct([*base.get(name, base["default-src"]), *additions.get(name, [])]) for name in names}


def policy_header(directives: dict[str, list[str]]) -> str:
    """The header value: directives in name order, as Terraform's ``for`` over a map writes them."""
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in sorted(directives.items()))


@dataclass(frozen=True)
class EdgeRules:
    """The rules with the author's additions merged in: what a viewer of the site gets."""

    index_document: str
    redirect_cache_control: str
    not_found_page: str
    redirects: dict[str, str]
    csp: dict[str, list[str]]
    strict_transport_security: dict
    frame_options: str
    referrer_policy: str
    custom_headers: dict[str, str]

    @property
    def content_security_policy(self) -> str:
        return policy_header(self.csp)

    def security_headers(self) -> dict[str, str]:
        """Every header the response-headers policy adds, as a viewer receives it."""
        hsts = self.strict_transport_security
        return {
            "Content-Security-Policy": self.content_security_policy,
            "Strict-Transport-Security": "; ".join(
                [f"max-age={hsts['max_age_seconds']}"]
                + ["includeSubDomains"] * bool(hsts["include_subdomains"])
                + ["preload"] * bool(hsts["preload"])
            ),
            "X-Content-Type-Options": CONTENT_TYPE_OPTIONS,
            "Referrer-Policy": self.referrer_policy,
            "X-Frame-Options": self.frame_options,
            **self.custom_headers,
        }

    def viewer_request_rules(self) -> dict:
        """What the CloudFront Function's code is given in place of :data:`PLACEHOLDER`."""
        return {
            "index_document": self.index_document,
            "redirect_cache_control": self.redirect_cache_control,
            "redirects": self.redirects,
        }


def edge_rules_from(
    redirects: dict[str, str], csp_additions: dict[str, list[str]], rules_file: Path = RULES_FILE
) -> EdgeRules:
    """The project's rules with the author's additions merged in."""
    rules = json.loads(rules_file.read_text(encoding="utf-8"))
    headers = rules["security_headers"]
    return EdgeRules(
        index_document=rules["viewer_request"]["index_document"],
        redirect_cache_control=rules["viewer_request"]["redirect_cache_control"],
        not_found_page=rules["not_found_page"],
        redirects=redirects,
        csp=merge_csp(headers["content_security_policy"], csp_additions),
        strict_transport_security=headers["strict_transport_security"],
        frame_options=headers["frame_options"],
        referrer_policy=headers["referrer_policy"],
        custom_headers=headers["custom_headers"],
    )


def load_edge_rules(
    rules_file: Path = RULES_FILE, redirects_file: Path = REDIRECTS_FILE, csp_file: Path = CSP_FILE
) -> EdgeRules:
    """The rules with the author's files merged in. Raises :class:`AuthorFileError` when an
    author's file cannot be read."""
    return edge_rules_from(load_redirects(redirects_file), load_csp_additions(csp_file), rules_file)


def render_viewer_request(rules: EdgeRules, source: Path = VIEWER_REQUEST_FUNCTION) -> str:
    """The function's code as CloudFront receives it: ``rules`` in place of the placeholder,
    encoded as Terraform's ``jsonencode`` does (keys sorted, no spaces)."""
    code = source.read_text(encoding="utf-8")
    encoded = json.dumps(rules.viewer_request_rules(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return code.replace(PLACEHOLDER, f"var RULES = {encoded};", 1)


def _or_nothing(load, path: Path) -> dict:
    try:
        return load(path)
    except AuthorFileError:
        return {}


class LiveEdgeRules:
    """The rules as the files hold them now, read again only when one of them changes, so
    ``make serve`` picks up an edit to redirects.json or csp.json without a restart. An
    unreadable author file counts as absent here; ``make check`` reports why."""

    def __init__(self, rules_file: Path = RULES_FILE, redirects_file: Path = REDIRECTS_FILE, csp_file: Path = CSP_FILE):
        self.rules_file, self.redirects_file, self.csp_file = rules_file, redirects_file, csp_file
        self._stamp: tuple | None = None
        self._rules: EdgeRules | None = None

    def _stamps(self) -> tuple:
        stamps = []
        for path in (self.rules_file, self.redirects_file, self.csp_file):
            try:
                stamps.append(path.stat().st_mtime_ns)
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def current(self) -> EdgeRules:
        stamp = self._stamps()
        if self._rules is None or stamp != self._stamp:
            self._rules = edge_rules_from(
                _or_nothing(load_redirects, self.redirects_file),
                _or_nothing(load_csp_additions, self.csp_file),
                self.rules_file,
            )
            self._stamp = stamp
        return self._rules
