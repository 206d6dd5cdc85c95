"""The whole stack on one machine: moto (S3, DynamoDB, CloudFront) + the local edge.

``DevStack.start()`` runs the same steps as a real deployment, against moto instead of AWS:
provision the bucket, table and distribution with the names Terraform uses by default, build the
site, publish it with the real publish code, register its pages, then serve it through the edge.

``AWS_ENDPOINT_URL`` (or ``endpoint_url=``) points everything at another AWS-compatible endpoint
such as LocalStack or DynamoDB Local instead of the embedded moto server.

Live preview (``live=True``, what ``make serve`` runs): the site is built with the preview
overrides (drafts and future posts shown, content cache on, stale files removed), a watcher
rebuilds on every change of the content, theme, plugins or settings and republishes only what
changed (:mod:`devstack.rebuild`), and the edge tells open pages to reload
(:mod:`devstack.livereload`). A failed rebuild publishes nothing.

Persistence: moto keeps its state in memory only, so ``persist=True`` snapshots the counter
table (counts and today's visitor markers) to ``.local-state/counter-table.json`` when the stack
stops and loads it back when it starts. The bucket needs no snapshot: it is republished from
``output/`` at every start.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from botocore.config import Config

from shared.counter_table import put_items
from deploy.environment import patched_environ
from deploy.remote import AWS_ERRORS
from deploy.site import BuildReport, build_site, page_manifest_name, read_pelican_settings, run_build
from shared.targets import PROJECT_ROOT
from devstack.edge import EdgeServer, SiteOrigin, start_edge
from devstack.livereload import PreviewChannel
from devstack.provision import Provisioned, StackNames, provision
from devstack.rebuild import PreviewSources, Rebuild, SiteWatcher, changed_url_paths
from shared.aws import LOCAL_CREDENTIALS, describe_error
from shared.edge_rules import LiveEdgeRules

log = logging.getLogger(__name__)

STATE_DIR = PROJECT_ROOT / ".local-state"
# How the live preview builds, whatever the settings file says: stale files go (a deleted post
# disappears). Every build keeps its content cache beside the output, keyed by the build's
# identity (deploy.site.use_build_cache): under .local-state/, so a restart starts warm.
PREVIEW_OVERRIDES = {"DELETE_OUTPUT_DIRECTORY": True}
# The local counter's DynamoDB client: the handler's retries (counter_lambda.handler) with a
# longer read timeout. moto shares this machine with the rebuilds and a browser, and can take
# over the handler's 0.5 s to answer; a write it applied then is resent and counts twice (the
# one inexact case counter_lambda/counter.py documents). A hung table still answers 503, in
# handler.time_budget_seconds(LOCAL_CLIENT_CONFIG).
LOCAL_CLIENT_CONFIG = Config(
    retries={"mode": "legacy", "total_max_attempts": 2}, connect_timeout=0.5, read_timeout=2.0
)
UNLIMITED_DELETES = sys.maxsize  # the preview's publish: see DevStack.publish


@dataclass
class DevStack:
    host: str = "127.0.0.1"
    port: int = 8000
    endpoint_url: str | None = None
    persist: bool = False
    output_dir: Path = PROJECT_ROOT / "output"
    build: bool = True
    names: StackNames = field(default_factory=StackNames)
    settings_file: str | Path = "pelicanconf.py"
    content_path: Path | None = None  # None: the settings' PATH
    overrides: dict = field(default_factory=dict)  # Pelican settings on top of the file's
    live: bool = False  # watch, rebuild, republish, reload open pages
    say: Callable[[str], None] = print  # where the live preview reports each rebuild
    # The edge's rules (shared/edge_rules.json, the author's redirects.json and csp.json).
    edge_rules: LiveEdgeRules = field(default_factory=LiveEdgeRules)

    def __post_init__(self):
        self._moto = None
        self.edge: EdgeServer | None = None
        self.aws: Provisioned | None = None
        self._environment = ExitStack()
        self.preview: PreviewChannel | None = PreviewChannel() if self.live else None
        self.watcher: SiteWatcher | None = None
        self.last_build: Rebuild | None = None
        self._rebuilding = threading.Lock()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "DevStack":
        self._check_port()
        self.endpoint_url = self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or self._start_moto()
        self._set_environment()
        self.aws = provision(self.names, self.endpoint_url)
        if self.persist:
            self._restore_counts()
        if self.live:
            # The first build publishes what it could build, problems or not: there is no
            # earlier good site to keep. The open pages show the problems until they are fixed.
            self.rebuild(publish_failed=True)
        else:
            if self.build:
                build_site(self.settings_file, self.output_dir, self.overrides, self.content_path)
            self.publish()
        handler = self._counter_handler()
        try:
            self.edge, _ = start_edge(
                self.host, self.port, SiteOrigin(self.s3, self.names.bucket), handler, self.preview, self.edge_rules
            )
        except OSError as error:
            self.stop()
            raise PortInUse.at(self.host, self.port, error) from error
        if self.live:
            self.watcher = SiteWatcher(self._sources(), self.rebuild, self.say).start()
        return self

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        if self.preview is not None:
            self.preview.close()
        if self.edge is not None:
            self.edge.shutdown()
            self.edge.server_close()
            self.edge = None
        if self.persist and self.aws is not None:
            self._save_counts()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        self._environment.close()

    def __enter__(self) -> "DevStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self.edge is not None, "start() first"
        return self.edge.url

    # The provisioned clients, for the edge, publish and tests (after start()).
    @property
    def s3(self):
        return self.aws.s3

    @property
    def dynamodb(self):
        return self.aws.dynamodb

    # --- steps ---------------------------------------------------------------------------------

    def _check_port(self) -> None:
        """Fail before building anything when the edge's port is taken."""
        if not self.port:
            return
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((self.host, self.port))
        except OSError as error:
            raise PortInUse.at(self.host, self.port, error) from error
        finally:
            probe.close()

    def _start_moto(self) -> str:
        from devstack.moto_server import AtomicMotoServer

        self._moto = AtomicMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # moto's state is per process, not per server: start every run from an empty account.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
        return endpoint

    def _set_environment(self) -> None:
        wanted = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.names.region,
            "AWS_REGION": self.names.region,
            "TABLE_NAME": self.names.table,
            # The preview builds' popular_posts plugin reads this table, as publish's build reads the real one.
            "COUNTER_TABLE": self.names.table,
            "SITE_NAME": self.names.site_name,
        }
        # An endpoint of the developer's own (LocalStack, a moto server) needs no real-looking
        # credentials either, as publish does not: keys set in the environment still win.
        if self._moto is not None or not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            wanted.update(LOCAL_CREDENTIALS)
        self._environment.enter_context(patched_environ(**wanted))

    def target_variables(self) -> str:
        """The environment that points `make publish` and `make rollback` at this stack."""
        return (
            f"AWS_ENDPOINT_URL={self.endpoint_url} SITE_BUCKET={self.names.bucket} "
            f"DISTRIBUTION_ID={self.aws.distribution_id} COUNTER_TABLE={self.names.table}"
        )

    def site_name(self) -> str:
        """The SITENAME of the site being served, for the terminal."""
        if self.last_build is not None and self.last_build.report.settings.get("SITENAME"):
            return self.last_build.report.settings["SITENAME"]
        return read_pelican_settings(self.settings_file, self.overrides).get("SITENAME") or "The blog"

    def publish(self):
        """Publish ``output/`` into the local bucket and register its pages, with the real publish code."""
        from deploy.publish import PublishOptions, publish

        summary = publish(
            self.output_dir,
            self.names.bucket,
            distribution_id=self.aws.distribution_id,
            table=self.names.table,
            endpoint_url=self.endpoint_url,
            region=self.names.region,
            options=PublishOptions(
                page_manifest=page_manifest_name(self.settings_file, self.overrides),
                # The local bucket mirrors the author's folder, and only a good build is
                # published: deleting most posts must empty the preview, not trip the guard
                # that keeps a broken build from wiping a real site.
                max_deletes=UNLIMITED_DELETES,
            ),
        )
        log.info("%s", summary.line())
        return summary

    # --- the live preview ----------------------------------------------------------------------

    def build_preview(self) -> BuildReport:
        return run_build(self.settings_file, self.output_dir, {**PREVIEW_OVERRIDES, **self.overrides}, self.content_path)

    def rebuild(self, publish_failed: bool = False) -> Rebuild:
        """Build; publish what changed (only when the build is good, unless ``publish_failed``);
        report to the terminal and to the open pages."""
        with self._rebuilding:
            started = time.perf_counter()
            report = self.build_preview()
            result = Rebuild(report, time.perf_counter() - started)
            for problem in report.problems:
                self.say(f"  {problem}")
            if report.ok or publish_failed:
                published = time.perf_counter()
                summary = self.publish()
                result.publish_seconds = time.perf_counter() - published
                result.changed_paths = changed_url_paths(summary.actions)
                result.summary_line = summary.line()
            self.last_build = result
            if self.preview is not None:
                self.preview.announce(report.ok, result.changed_paths, report.problems)
            self.say(_rebuild_line(result))
            return result

    def _sources(self) -> PreviewSources:
        settings = read_pelican_settings(self.settings_file, self.overrides)
        if self.content_path is not None:
            settings["PATH"] = str(Path(self.content_path).resolve())
        return PreviewSources.from_settings(_settings_file_path(self.settings_file), settings)

    def _counter_handler(self):
        from counter_lambda import handler as counter_handler

        # Its own client, held to a time budget: a hung table answers 503 here too.
        client = counter_handler.dynamodb_client(
            self.names.region, self.endpoint_url, LOCAL_CLIENT_CONFIG
        )
        settings = {"client": client, "table_name": self.names.table, "site_name": self.names.site_name}
        if self.persist:
            # Today's visitor hashes must match after a restart, or every reader counts twice.
            settings["visitor_secret"] = self._visitor_secret()
        counter_handler.configure(**settings)
        return counter_handler.handler

    def _visitor_secret(self) -> bytes:
        path = STATE_DIR / "visitor-secret"
        if not path.exists():
            STATE_DIR.mkdir(exist_ok=True)
            path.write_bytes(secrets.token_bytes(32))
            path.chmod(0o600)
        return path.read_bytes()

    # --- persistence ---------------------------------------------------------------------------

    @property
    def _snapshot(self) -> Path:
        return STATE_DIR / "counter-table.json"

    def _save_counts(self) -> None:
        items: list[dict] = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.names.table):
            items.extend(page["Items"])
        STATE_DIR.mkdir(exist_ok=True)
        temporary = self._snapshot.with_suffix(".tmp")
        temporary.write_text(json.dumps(items))
        temporary.replace(self._snapshot)
        log.info("saved %d counter items to %s", len(items), self._snapshot)

    def _restore_counts(self) -> None:
        if not self._snapshot.exists():
            return
        items = json.loads(self._snapshot.read_text())
        put_items(self.dynamodb, self.names.table, items)
        log.info("restored %d counter items from %s", len(items), self._snapshot)


def _settings_file_path(settings_file: str | Path) -> Path:
    from deploy.site import settings_path

    return settings_path(settings_file)


def _rebuild_line(result: Rebuild) -> str:
    took = f"build {result.build_seconds:.2f} s"
    if not result.ok:
        errors = len(result.report.errors)
        kept = "the last good site is still served" if not result.summary_line else "published what built"
        return f"build failed ({errors} error{'s' if errors != 1 else ''}, {took}): {kept}"
    pages = len(result.changed_paths)
    return f"rebuilt ({took}, publish {result.publish_seconds:.2f} s): {result.summary_line.split(';')[0]}; {pages} URL paths changed"


class PortInUse(RuntimeError):
    @classmethod
    def at(cls, host: str, port: int, error: OSError) -> "PortInUse":
        return cls(f"cannot listen on {host}:{port} ({error.strerror}); set PORT to a free port")


class ServeError(ValueError):
    """A bad value for ``make serve``/``make preview``: one line, no traceback."""


def parse_port(value) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ServeError(f"PORT must be a port number from 0 to 65535, not {text!r}")
    return int(text)


def checked_sources(content: str | None, settings: str | None) -> tuple[Path | None, Path]:
    """The content folder and settings file ``make serve`` was given, checked before anything starts."""
    settings_file = Path(settings) if settings else PROJECT_ROOT / "pelicanconf.py"
    if not settings_file.is_file():
        raise ServeError(f"settings file {settings_file} does not exist")
    content_path = None
    if content:
        content_path = Path(content)
        if not content_path.is_dir():
            raise ServeError(f"content folder {content_path} does not exist")
    return (content_path.resolve() if content_path else None), settings_file.resolve()


def serve(
    port=8000,
    persist: bool = False,
    host: str = "127.0.0.1",
    content: str | None = None,
    settings: str | None = None,
    production: bool = False,
) -> None:
    """``make serve``: start the stack with the live preview, print the URL, rebuild on every
    save until Ctrl-C, stop cleanly. ``production=True`` is ``make preview``: the site as
    ``publishconf.py`` builds it (no drafts, no preview script), built once."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3", "deploy.publish", "devstack.stack"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    started = time.perf_counter()
    try:
        port = parse_port(port)
        content_path, settings_file = checked_sources(content, settings or ("publishconf.py" if production else None))
    except ServeError as error:
        raise SystemExit(f"error: {error}") from None
    output_dir = STATE_DIR / f"{'production' if production else 'preview'}-{port}"
    stack = DevStack(
        host=host, port=port, persist=persist, output_dir=output_dir,
        settings_file=settings_file, content_path=content_path, live=not production,
    )
    environment = ExitStack()
    if production:
        # publishconf.py reads SITEURL from the environment: the local edge is the site.
        site_url = f"http://{host}:{port}"
        environment.enter_context(patched_environ(SITEURL=site_url))
        stack.overrides = {"SITEURL": site_url}
    try:
        with environment:
            stack.start()
    except PortInUse as error:
        raise SystemExit(f"error: {error}") from None
    except AWS_ERRORS as error:  # an external endpoint: no credentials, not reachable
        stack.stop()
        raise SystemExit(f"error: {describe_error(error)} (endpoint {stack.endpoint_url})") from None
    except Exception as error:  # noqa: BLE001 - a build that cannot start is one line, not a traceback
        stack.stop()
        raise SystemExit(f"error: {error}") from None
    stopping = threading.Event()
    # Explicit handlers: a shell that starts us in the background would leave SIGINT ignored.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopping.set())
    what = "the production build (publishconf.py)" if production else "live: every save rebuilds and reloads the page"
    print(
        f"\n  {stack.site_name()} is running at {stack.url}/  (ready in {time.perf_counter() - started:.1f} s)\n"
        f"  Serving {what}; content {stack.content_path or 'from ' + settings_file.name}\n"
        f"  AWS endpoint {stack.endpoint_url}   bucket {stack.names.bucket}   table {stack.names.table}"
        f"   distribution {stack.aws.distribution_id}\n"
        f"  Publish to it, or roll it back, from another terminal:\n"
        f"    {stack.target_variables()} SITEURL={stack.url} make publish\n"
        f"    {stack.target_variables()} make rollback\n"
        f"  Counts {'are kept in .local-state/' if persist else 'last while this runs (--persist keeps them)'}."
        "  Ctrl-C stops.\n",
        flush=True,
    )
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        print("stopping…", flush=True)
        stack.stop()
