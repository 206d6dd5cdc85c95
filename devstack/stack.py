"""The whole stack on one machine: moto (S3, DynamoDB, CloudFront) + the local edge.

``DevStack.start()`` runs the same steps as a real deployment, against moto instead of AWS:
provision the bucket, table and distribution with the names Terraform uses by default, build the
site, publish it with the real publish code, register its pages, then serve it through the edge.

``AWS_ENDPOINT_URL`` (or ``endpoint_url=``) points everything at another AWS-compatible endpoint
such as LocalStack or DynamoDB Local instead of the embedded moto server.

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
import threading
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from counter_lambda.tables import put_items
from deploy.environment import patched_environ
from deploy.site import build_site
from deploy.targets import PROJECT_ROOT
from devstack.edge import EdgeServer, SiteOrigin, start_edge
from devstack.provision import Provisioned, StackNames, provision

log = logging.getLogger(__name__)

STATE_DIR = PROJECT_ROOT / ".local-state"
# moto accepts any credentials; fixed ones keep real credentials out of local traffic.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local"}


@dataclass
class DevStack:
    host: str = "127.0.0.1"
    port: int = 8000
    endpoint_url: str | None = None
    persist: bool = False
    output_dir: Path = PROJECT_ROOT / "output"
    build: bool = True
    names: StackNames = field(default_factory=StackNames)

    def __post_init__(self):
        self._moto = None
        self.edge: EdgeServer | None = None
        self.aws: Provisioned | None = None
        self._environment = ExitStack()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "DevStack":
        self._check_port()
        self.endpoint_url = self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or self._start_moto()
        self._set_environment()
        self.aws = provision(self.names, self.endpoint_url)
        if self.persist:
            self._restore_counts()
        if self.build:
            build_site("pelicanconf.py", self.output_dir)
        self.publish()
        handler = self._counter_handler()
        try:
            self.edge, _ = start_edge(self.host, self.port, SiteOrigin(self.s3, self.names.bucket), handler)
        except OSError as error:
            self.stop()
            raise PortInUse.at(self.host, self.port, error) from error
        return self

    def stop(self) -> None:
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
        from moto.server import ThreadedMotoServer

        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
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
            "SITE_NAME": self.names.site_name,
        }
        if self._moto is not None:
            wanted.update(LOCAL_CREDENTIALS)
        self._environment.enter_context(patched_environ(**wanted))

    def publish(self) -> None:
        """Publish ``output/`` into the local bucket and register its pages, with the real publish code."""
        from deploy.publish import publish

        summary = publish(
            self.output_dir,
            self.names.bucket,
            distribution_id=self.aws.distribution_id,
            table=self.names.table,
            endpoint_url=self.endpoint_url,
            region=self.names.region,
        )
        log.info("%s", summary.line())

    def _counter_handler(self):
        from counter_lambda import handler as counter_handler

        settings = {"client": self.dynamodb, "table_name": self.names.table, "site_name": self.names.site_name}
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


class PortInUse(RuntimeError):
    @classmethod
    def at(cls, host: str, port: int, error: OSError) -> "PortInUse":
        return cls(f"cannot listen on {host}:{port} ({error.strerror}); set PORT to a free port")


def serve(port: int = 8000, persist: bool = False, host: str = "127.0.0.1") -> None:
    """``make serve``: start the stack, print the URL, run until Ctrl-C, stop cleanly."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    started = time.perf_counter()
    stack = DevStack(host=host, port=port, persist=persist)
    try:
        stack.start()
    except PortInUse as error:
        raise SystemExit(f"error: {error}") from None
    stopping = threading.Event()
    # Explicit handlers: a shell that starts us in the background would leave SIGINT ignored.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopping.set())
    print(
        f"\n  Field Notes is running at {stack.url}/  (ready in {time.perf_counter() - started:.1f} s)\n"
        f"  AWS endpoint (moto): {stack.endpoint_url}   bucket {stack.names.bucket}   table {stack.names.table}\n"
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
