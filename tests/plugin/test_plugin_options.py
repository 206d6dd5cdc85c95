"""The plugin's pure helpers: options fall back with a warning, keys follow the contract."""

from __future__ import annotations

import logging

import pytest

from plugins.visitor_counter.keys import DEFAULTS, page_key_for, read_options, script_name


def test_defaults_when_unset():
    assert read_options({}) == DEFAULTS


@pytest.mark.parametrize(
    "given, field",
    [
        ({"enabled": "yes"}, "enabled"),
        ({"api_path": "https://evil.example/api"}, "api_path"),
        ({"api_path": "//evil.example/api"}, "api_path"),
        ({"label": 3}, "label"),
    ],
)
def test_bad_value_warns_and_falls_back(given, field, caplog):
    with caplog.at_level(logging.WARNING):
        options = read_options({"VISITOR_COUNTER": given})
    assert options[field] == DEFAULTS[field]
    assert "VISITOR_COUNTER" in caplog.text


def test_unknown_option_is_reported(caplog):
    with caplog.at_level(logging.WARNING):
        read_options({"VISITOR_COUNTER": {"lable": "reads"}})
    assert "lable" in caplog.text


@pytest.mark.parametrize(
    "output_file, siteurl, key",
    [
        ("index.html", "", "/"),
        ("posts/hello/index.html", "", "/posts/hello/"),
        ("page/2/index.html", "", "/page/2/"),
        ("about/index.html", "https://example.org/blog/", "/blog/about/"),
        ("posts/100%-sure/index.html", "", "/posts/100%-sure/"),
        ("posts/café/index.html", "", "/posts/café/"),
    ],
)
def test_page_key_for_output_files(output_file, siteurl, key):
    assert page_key_for(output_file, siteurl) == key


def test_script_name_changes_with_content():
    assert script_name(b"a", "js") != script_name(b"b", "js")
    assert script_name(b"a", "/js/").startswith("js/counter.")
