"""The page-key normaliser shared by the plugin, the handler and publish."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.pagekey import MAX_PAGE_KEY_BYTES, PageKeyError, normalise_page_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "/"),
        ("/posts/hello/", "/posts/hello/"),
        ("/posts/hello/index.html", "/posts/hello/"),
        ("/index.html", "/"),
        ("//posts///hello//", "/posts/hello/"),
        ("/posts/caf%C3%A9/", "/posts/café/"),
        ("/posts/cafe\u0301/", "/posts/café/"),  # decomposed e + accent -> NFC
        ("/tags/aws%20lambda/", "/tags/aws lambda/"),
        ("/posts/index.html.bak", "/posts/index.html.bak"),
        ("/posts/notindex.html", "/posts/notindex.html"),
        ("/feeds/all.atom.xml", "/feeds/all.atom.xml"),
        ("/100%/", "/100%/"),
        ("/a..b/", "/a..b/"),
    ],
)
def test_canonical_form(raw, expected):
    assert normalise_page_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "start with /"),
        ("posts/hello/", "start with /"),
        ("https://example.com/", "start with /"),
        ("/posts/../admin/", ". or .."),
        ("/posts/%2e%2e/admin/", ". or .."),
        ("/posts/./hello/", ". or .."),
        ("/..", ". or .."),
        ("/posts/hello\n", "control character"),
        ("/posts/%00/", "control character"),
        ("/posts/\x7f/", "control character"),
        ("/posts/\x85/", "control character"),
        ("/posts\\hello/", "backslash"),
        ("/posts/%5C/", "backslash"),
        ("/posts/%ff/", "UTF-8"),
        ("/posts/%252e%252e/", "twice"),
        ("/\ud800/", "surrogate"),
        ("/" + "a" * MAX_PAGE_KEY_BYTES, "longer than 512"),
        ("/" + "é" * 256, "longer than 512"),
    ],
)
def test_rejections_say_why(raw, reason):
    with pytest.raises(PageKeyError, match=reason):
        normalise_page_key(raw)


@pytest.mark.parametrize("raw", [None, 42, b"/posts/", ["/"]])
def test_non_strings_are_rejected(raw):
    with pytest.raises(PageKeyError):
        normalise_page_key(raw)


def test_longest_accepted_key_is_512_bytes():
    key = "/" + "a" * (MAX_PAGE_KEY_BYTES - 1)
    assert normalise_page_key(key) == key
    # a trailing index.html is dropped before the length check
    assert normalise_page_key(key[:-1] + "/index.html") == key[:-1] + "/"


def test_page_key_error_is_a_value_error():
    assert issubclass(PageKeyError, ValueError)


URL_LIKE = st.text(alphabet="/.%25eEcC5aAfF\\ é\u0301\n", max_size=40).map(lambda s: "/" + s)


@given(st.one_of(st.text(max_size=80), URL_LIKE))
def test_normalising_is_idempotent_and_output_is_always_valid(raw):
    try:
        key = normalise_page_key(raw)
    except PageKeyError:
        return
    assert normalise_page_key(key) == key
    assert key.startswith("/")
    assert "//" not in key and "\\" not in key
    assert len(key.encode("utf-8")) <= MAX_PAGE_KEY_BYTES
    assert not set(key.split("/")) & {".", ".."}
