"""A running ``make serve`` on a fixture blog of its own (never ``content/``), and the author's
hands: write, break and delete its posts."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from shared.targets import PROJECT_ROOT


class Blog:
    """The fixture blog's content folder, edited the way an author's editor saves files."""

    def __init__(self, content: Path):
        self.content = content

    def write(self, slug: str, body: str, date: str = "2024-03-01 10:00", status: str | None = None) -> Path:
        path = self.content / "posts" / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        header = f"Title: {slug.title()}\nDate: {date}\nSlug: {slug}\n" + (f"Status: {status}\n" if status else "")
        path.write_text(f"{header}\n{body}\n")
        return path

    def delete(self, slug: str) -> None:
        (self.content / "posts" / f"{slug}.md").unlink()


class ServeProcess:
    """``make serve`` in its own process group, its terminal output collected line by line."""

    def __init__(self, content: Path, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            ["make", "-s", "serve", f"CONTENT={content}", f"PORT={port}"],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_output(self, pattern: str, timeout: float = 60, after: int = 0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if re.search(pattern, line):
                    return line
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))

    def stop(self):
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def blog(tmp_path_factory) -> Blog:
    blog = Blog(tmp_path_factory.mktemp("writing-loop") / "content")
    blog.write("alpha", "Alpha's first words.")
    blog.write("beta", "Beta, soon deleted.")
    blog.write("delta", "Delta before the mistake.")
    blog.write("secret", "Not for readers yet.", status="draft")
    blog.write("future", "From next year.", date="2999-01-01 09:00")
    return blog


@pytest.fixture(scope="module")
def served(blog):
    running = ServeProcess(blog.content, free_port())
    try:
        running.wait_for_output(r"is running at http://", timeout=180)
        yield running
    finally:
        running.stop()
