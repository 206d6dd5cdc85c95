"""Fixtures shared across the suite: the tests' own blog (tests/fixtures/blog, never content/),
as a folder and as a real Pelican build."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import botocore.loaders
import botocore.session
import jinja2
import pytest
from hypothesis import HealthCheck, settings
from jinja2.bccache import Bucket, BytecodeCache

from deploy.site import build_site
from shared.targets import DEFAULT_REGION, PROJECT_ROOT
from tests.blogs import FIXTURE_BLOG


# `make test` runs the property tests in full; `make test-fast` picks the quick profile.
# How fast inputs are drawn depends on the machine's load (CI shares it with other work), not on
# the code under test: the too_slow health check is left out so a loaded machine fails nothing.
_LOAD_DEPENDENT = [HealthCheck.too_slow]
settings.register_profile("full", max_examples=300, suppress_health_check=_LOAD_DEPENDENT)
settings.register_profile("quick", max_examples=40, suppress_health_check=_LOAD_DEPENDENT)
settings.load_profile("full")


@pytest.fixture(scope="session", autouse=True)
def one_botocore_loader():
    """Every botocore session of the run reads AWS's service models through one loader.

    moto gives each ``mock_aws()`` a fresh boto3 default session, and the code under test makes
    sessions of its own; each new session's loader parses the endpoints and service JSON again
    (~0.2 s a client, most of a moto test's setup). A loader only reads files shipped with
    botocore and caches what it read, which is what one long-lived session does anyway; it is
    shared per data path, so a session pointed at other model files still reads those.
    """
    shared = functools.cache(botocore.loaders.create_loader)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared)
        yield


def _callable_name(function) -> str:
    """What a filter or test is, the same across builds: its qualified name, and for a partial
    (Pelican's ``plugin_enabled``) the arguments bound to it."""
    if isinstance(function, functools.partial):
        return f"{_callable_name(function.func)}{function.args!r}{sorted(function.keywords.items())!r}"
    kind = function if callable(function) and hasattr(function, "__qualname__") else type(function)
    return f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', repr(kind))}"


def _compiler_inputs(environment: jinja2.Environment, name: str | None) -> str:
    """Everything of an environment that Jinja's lexer, parser, optimiser and code generator
    read, so two environments compile a template alike only when this is equal."""
    autoescape = environment.autoescape(name) if callable(environment.autoescape) else environment.autoescape

    def named(table: dict) -> list:  # filters and tests: constant arguments are folded at compile time
        # What a filter is passed (context, eval context, environment) is compiled into the
        # template; Jinja's pass_* decorators mark it on the function as ``jinja_pass_arg``.
        return sorted((key, _callable_name(value), str(getattr(value, "jinja_pass_arg", None))) for key, value in table.items())

    return repr((
        type(environment), environment.code_generator_class, environment.undefined, environment.concat,
        environment.block_start_string, environment.block_end_string, environment.variable_start_string,
        environment.variable_end_string, environment.comment_start_string, environment.comment_end_string,
        environment.line_statement_prefix, environment.line_comment_prefix, environment.trim_blocks,
        environment.lstrip_blocks, environment.newline_sequence, environment.keep_trailing_newline,
        sorted(environment.extensions), environment.optimized, environment.is_async, environment.sandboxed,
        autoescape, None if environment.finalize is None else _callable_name(environment.finalize),
        named(environment.filters), named(environment.tests),
        sorted(getattr(environment, "intercepted_binops", ())), sorted(getattr(environment, "intercepted_unops", ())),
    ))


class CompiledTemplates(BytecodeCache):
    """Jinja bytecode kept in memory for the run, keyed by the template, its source and the
    compiler inputs of the environment compiling it (a template is recompiled when any differs)."""

    def __init__(self) -> None:
        self._bytecode: dict[str, bytes] = {}

    def get_bucket(self, environment, name, filename, source):
        key = hashlib.sha256(f"{name}|{filename}|{_compiler_inputs(environment, name)}".encode()).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._bytecode:
            bucket.bytecode_from_string(self._bytecode[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._bytecode[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def compiled_theme_templates():
    """Pelican builds in this process compile each theme template once, not once per build.

    Pelican makes a new Jinja environment per generator of every build, and compiling the
    theme is most of a small build's time (~60 %). Jinja's bytecode cache is what Jinja offers
    for this, given to each generator's environment through Pelican's ``generator_init``
    signal, before any template is loaded; rendering, and so every page a test reads, is
    unchanged.
    """
    from pelican import signals

    cache = CompiledTemplates()

    def use_the_cache(generator) -> None:
        generator.env.bytecode_cache = cache

    signals.generator_init.connect(use_the_cache, weak=False)
    try:
        yield
    finally:
        signals.generator_init.disconnect(use_the_cache)


@pytest.fixture
def aws_env(monkeypatch):
    """Dummy credentials and the region; no endpoint, profile or target from the environment."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "SITE_BUCKET", "DISTRIBUTION_ID", "COUNTER_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", DEFAULT_REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def fixture_blog() -> Path:
    """The content folder of the tests' blog; read only (copy it to change it)."""
    return FIXTURE_BLOG


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, fixture_blog) -> Path:
    """The fixture blog built once with pelicanconf.py; tests must not modify it."""
    return build_site("pelicanconf.py", tmp_path_factory.mktemp("site") / "output", content_path=fixture_blog)


# Module scope: Playwright's sync API allows one running instance per thread, and the
# benchmark smoke test starts its own after the browser tests.
@pytest.fixture(scope="module")
def browser():
    """A real Chromium (Debian's where present, else Playwright's own)."""
    from playwright.sync_api import sync_playwright

    from devstack.browser import launch_chromium

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()
