"""The home page's "Most read this month" list (plugins/popular_posts): real Pelican builds of a
small blog, views recorded through the real counter code into a moto server's table, the table
named to the build by the environment as publish and `make serve` name it."""

from __future__ import annotations

import logging
import re
import socket
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time as clock_time, timedelta
from html import unescape
from pathlib import Path

import boto3
import pytest

from counter_lambda import counter
from shared import counter_table as table_admin
from deploy.cli import PublishRequest, run_publish
from deploy.site import run_build
from shared.targets import DEFAULT_REGION
from plugins.popular_posts.options import DEFAULTS, CounterSource, read_options
from tests.blogs import write_blog
from tests.counter.helpers import counter_dynamodb_client, simulate_traffic
from tests.moto_servers import running_moto_server
from tests.publish.conftest import settings_naming_the_manifest  # noqa: F401 - a fixture
from tests.terraform import terraform_checks as checks

TABLE = "blog-counter"
POSTS = {slug: title for slug, title in [
    ("p1", "Caching at the edge"),
    ("p2", "Counting without cookies"),
    ("p3", "Terraform, one file per concern"),
    ("p4", "Dark mode & contrast"),
    ("p5", "Cold starts, measured"),
    ("p6", "A quiet post"),
]}
ON = {"enabled": True, "count": 3}


def blog(root: Path) -> Path:
    files = {
        f"posts/{slug}.md": f"""
            Title: {title}
            Date: 2026-01-{number:02d} 09:00
            Slug: {slug}
            Summary: {title}.

            Text of {title}.
            """
        for number, (slug, title) in enumerate(POSTS.items(), start=1)
    }
    files["posts/draft.md"] = """
        Title: Back in the drawer
        Date: 2026-01-20 09:00
        Slug: draft-post
        Status: draft

        Once published, now a draft again.
        """
    files["pages/about.md"] = """
        Title: About
        Slug: about

        Who writes here.
        """
    return write_blog(root / "content", files)


def build(tmp_path: Path, popular: dict | None = None, settings: dict | None = None):
    overrides = dict(settings or {})
    if popular is not None:
        overrides["POPULAR_POSTS"] = popular
    return run_build("pelicanconf.py", tmp_path / "output", overrides, blog(tmp_path))


def popular_list(html: str) -> list[tuple[str, str]] | None:
    """The (title, link) pairs of the home page's list, in order; None when there is none."""
    section = re.search(r'<section class="popular".*?</section>', html, flags=re.DOTALL)
    if section is None:
        return None
    return [(unescape(title), href) for href, title in re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', section.group())]


def home_list(output: Path) -> list[tuple[str, str]] | None:
    return popular_list((output / "index.html").read_text(encoding="utf-8"))


def popular_warnings(report) -> list[str]:
    return [str(problem) for problem in report.warnings if "popular_posts" in problem.message]


def hit(client, page: str, times: int, days_ago: int = 0, table: str = TABLE) -> None:
    day = datetime.now(UTC).date() - timedelta(days=days_ago)
    for number in range(times):
        now = datetime.combine(day, clock_time(hour=12, minute=number % 60), UTC)
        counter.record_hit(client, table, page, visitor=f"reader-{number}", now=now)


@contextmanager
def listening_socket() -> Iterator[tuple[str, list]]:
    """An endpoint that accepts connections and never answers; yields its URL and the
    connections it accepted."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    finally:
        server.close()
        for connection in accepted:
            connection.close()


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with running_moto_server() as url:
        yield url


@pytest.fixture
def counter_table(aws_env, moto_endpoint, monkeypatch):
    """The counter table on the moto server, named to builds by the environment."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("COUNTER_TABLE", TABLE)
    client = counter_dynamodb_client(moto_endpoint)
    table_admin.create_table(client, TABLE)
    yield client
    client.delete_table(TableName=TABLE)


# -- the list ----------------------------------------------------------------------------------


def test_the_home_page_lists_the_most_read_posts_of_the_month_in_order(counter_table, tmp_path):
    # The most read keys are not posts of this build: the home page, a post deleted since, a
    # post put back into draft, a page. They must be passed over, not fill the list.
    pages = ["/", "/posts/gone/", "/posts/draft-post/", "/about/", "/posts/p3/", "/posts/p1/", "/posts/p5/", "/posts/p2/"]
    table_admin.register_pages(counter_table, TABLE, pages)
    today = datetime.now(UTC).date()
    traffic = simulate_traffic(counter_table, pages, today - timedelta(days=7), 8, lambda day: 5, table=TABLE)

    report = build(tmp_path, ON)

    assert report.ok and popular_warnings(report) == []
    posts = [page for page in pages if page.removeprefix("/posts/").rstrip("/") in POSTS]
    ranked = sorted(posts, key=lambda page: (-traffic.page_views(page), page))[:3]
    expected = [(POSTS[page.split("/")[2]], page) for page in ranked]
    assert home_list(tmp_path / "output") == expected
    assert traffic.page_views("/posts/gone/") > traffic.page_views(ranked[0])  # really passed over
    # Only the home page: a new ranking rewrites one page, not the whole site.
    for other in ("posts/p3/index.html", "about/index.html", "archives/index.html"):
        assert "popular-list" not in (tmp_path / "output" / other).read_text(encoding="utf-8")


def test_only_the_last_30_days_count_and_unread_posts_are_left_out(counter_table, tmp_path):
    table_admin.register_pages(counter_table, TABLE, [f"/posts/{slug}/" for slug in POSTS])
    hit(counter_table, "/posts/p6/", 9, days_ago=40)  # last season's favourite
    hit(counter_table, "/posts/p6/", 1)
    hit(counter_table, "/posts/p4/", 3, days_ago=29)  # the window's first day
    hit(counter_table, "/posts/p2/", 2, days_ago=1)

    report = build(tmp_path, {"enabled": True, "count": 10, "title": "Read lately"})

    assert report.ok
    assert home_list(tmp_path / "output") == [
        ("Dark mode & contrast", "/posts/p4/"), ("Counting without cookies", "/posts/p2/"), ("A quiet post", "/posts/p6/")]
    assert '<h2 id="popular-title" class="section-title">Read lately</h2>' in (tmp_path / "output" / "index.html").read_text()


def test_the_list_links_to_the_published_addresses(counter_table, tmp_path):
    table_admin.register_pages(counter_table, TABLE, ["/blog/p1.html"])
    hit(counter_table, "/blog/p1.html", 2)

    report = build(tmp_path, ON, {"SITEURL": "https://example.org/blog", "ARTICLE_URL": "{slug}.html", "ARTICLE_SAVE_AS": "{slug}.html"})

    assert report.ok
    assert home_list(tmp_path / "output") == [("Caching at the edge", "https://example.org/blog/p1.html")]


def test_an_empty_table_gives_no_list_and_no_warning(counter_table, tmp_path):
    table_admin.register_pages(counter_table, TABLE, [f"/posts/{slug}/" for slug in POSTS])

    report = build(tmp_path, ON)

    assert report.ok and popular_warnings(report) == []
    assert home_list(tmp_path / "output") is None


# -- off, or no table: the build never depends on AWS ----------------------------------------


@pytest.mark.parametrize("popular", [None, {"enabled": False, "count": 3}], ids=["default", "disabled"])
def test_off_shows_nothing_and_asks_aws_nothing(aws_env, monkeypatch, tmp_path, popular):
    with listening_socket() as (endpoint, connections):
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("COUNTER_TABLE", TABLE)
        report = build(tmp_path, popular)

    assert report.ok and popular_warnings(report) == []
    assert connections == []
    assert home_list(tmp_path / "output") is None


def test_on_without_a_table_builds_without_the_list_and_asks_nothing(aws_env, monkeypatch, tmp_path):
    # `make build` and `make check`: nobody named a table, nothing is wrong.
    with listening_socket() as (endpoint, connections):
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        report = build(tmp_path, ON)

    assert report.ok and popular_warnings(report) == []
    assert connections == []
    assert home_list(tmp_path / "output") is None


def test_an_unreachable_endpoint_is_one_warning_and_no_list(aws_env, monkeypatch, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("COUNTER_TABLE", TABLE)

    report = build(tmp_path, ON)

    assert report.ok
    assert popular_warnings(report) == [
        f'warning: popular_posts: no "Most read this month" list in this build: cannot reach DynamoDB at '
        f"{endpoint} (is `make serve` running? is AWS_ENDPOINT_URL right?)"]
    assert home_list(tmp_path / "output") is None


def test_a_table_that_never_answers_holds_the_build_no_longer_than_the_timeout(aws_env, monkeypatch, tmp_path):
    with listening_socket() as (endpoint, connections):
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("COUNTER_TABLE", TABLE)
        report = build(tmp_path, {**ON, "timeout": 1})
        asked = len(connections)

    assert report.ok
    assert asked >= 1, "the build never asked the table"
    assert popular_warnings(report) == [
        f'warning: popular_posts: no "Most read this month" list in this build: table {TABLE} at {endpoint} '
        "did not answer within 1 s"]
    assert home_list(tmp_path / "output") is None


def test_a_missing_table_is_one_warning_naming_it(counter_table, monkeypatch, moto_endpoint, tmp_path):
    monkeypatch.setenv("COUNTER_TABLE", "blog-counter-typo")

    report = build(tmp_path, ON)

    assert report.ok
    assert popular_warnings(report) == [
        f'warning: popular_posts: no "Most read this month" list in this build: table blog-counter-typo '
        f"does not exist at {moto_endpoint}"]


def test_bad_options_warn_and_fall_back(caplog):
    with caplog.at_level(logging.WARNING):
        options = read_options({"POPULAR_POSTS": {"enabled": "yes", "count": 0, "timeout": True, "lenght": 3}})
    assert options == DEFAULTS
    assert all(name in caplog.text for name in ("'enabled'", "'count'", "'timeout'", "'lenght'"))


def test_the_table_comes_from_the_environment_names_publish_and_stats_use():
    assert CounterSource.from_environ({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}) is None
    assert CounterSource.from_environ({"COUNTER_TABLE": "t", "AWS_DEFAULT_REGION": "eu-west-1"}) == CounterSource("t", "eu-west-1")
    assert CounterSource.from_environ({"COUNTER_TABLE": "t"}) == CounterSource("t", DEFAULT_REGION)


def test_a_table_given_in_the_settings_wins_over_the_environment():
    """Publish passes the table it registers pages in as a settings override, not through the
    environment; a hand build (no such setting) still reads the environment's."""
    environ = {"COUNTER_TABLE": "from-env", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}
    given = {"COUNTER_SOURCE": {"table": "from-publish", "region": "eu-west-1", "endpoint_url": None}}
    assert CounterSource.from_settings(given, environ) == CounterSource("from-publish", "eu-west-1")
    assert CounterSource.from_settings({}, environ) == CounterSource("from-env", DEFAULT_REGION, "http://127.0.0.1:5000")
    assert CounterSource.from_settings({"COUNTER_SOURCE": {"table": None}}, environ) is None


# -- least privilege: the deploy role reads what the build reads ------------------------------


def test_the_build_makes_one_scan_which_the_deploy_role_allows(counter_table, monkeypatch, tmp_path):
    import stats.table

    table_admin.register_pages(counter_table, TABLE, ["/", "/posts/p1/"])
    hit(counter_table, "/posts/p1/", 1)
    calls: list[str] = []
    make_client = stats.table.dynamodb_client

    def recorded_client(*args, **kwargs):
        client = make_client(*args, **kwargs)
        client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(f"dynamodb:{model.name}"))
        return client

    monkeypatch.setattr(stats.table, "dynamodb_client", recorded_client)
    report = build(tmp_path, ON)

    assert report.ok and home_list(tmp_path / "output") == [("Caching at the edge", "/posts/p1/")]
    assert calls == ["dynamodb:Scan"]
    config = checks.load(checks.TERRAFORM)
    granted = {
        checks.literal(action): {checks.literal(r) for r in statement["resources"]}
        for statement in config.locals["deploy_statements"]
        for action in statement["actions"]
    }
    assert granted["dynamodb:Scan"] == {"${aws_dynamodb_table.counter.arn}"}


# -- wiring: make publish and make serve give the build the table ----------------------------


def test_make_publish_builds_with_the_table_it_publishes_to(
    counter_table, moto_endpoint, monkeypatch, tmp_path, capsys, settings_naming_the_manifest
):
    # Targets from the command line only, as from Terraform's outputs: not in the environment.
    for name in ("COUNTER_TABLE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("SITEURL", "https://blog.example.org")
    monkeypatch.setenv("PATH", str(tmp_path))  # no terraform
    s3 = boto3.client("s3", region_name=DEFAULT_REGION, endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket="blog-site")
    table_admin.register_pages(counter_table, TABLE, ["/posts/p5/", "/posts/p2/"])
    hit(counter_table, "/posts/p5/", 2)
    hit(counter_table, "/posts/p2/", 3)
    settings = settings_naming_the_manifest("counter-pages.json", blog(tmp_path))  # publishconf.py
    with settings.open("a", encoding="utf-8") as file:
        file.write(f"POPULAR_POSTS = {ON!r}\n")

    code = run_publish(PublishRequest(
        bucket="blog-site", table=TABLE, endpoint_url=moto_endpoint, output_dir=tmp_path / "output",
        settings_file=settings))

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "popular_posts" not in captured.err
    home = s3.get_object(Bucket="blog-site", Key="index.html")["Body"].read().decode()
    assert popular_list(home) == [
        ("Counting without cookies", "https://blog.example.org/posts/p2/"),
        ("Cold starts, measured", "https://blog.example.org/posts/p5/"),
    ]


@pytest.mark.slow
def test_make_serve_builds_with_its_local_table(aws_env, tmp_path):
    from devstack.stack import DevStack

    content = blog(tmp_path)
    stack = DevStack(port=0, output_dir=tmp_path / "output", content_path=content, overrides={"POPULAR_POSTS": ON})
    with stack:
        home = lambda: urllib.request.urlopen(stack.url + "/", timeout=10).read().decode()
        assert popular_list(home()) is None, "nobody has read anything yet"
        hit(stack.dynamodb, "/posts/p4/", 2, table=stack.names.table)

        result = stack.rebuild()

        assert result.report.ok, result.report.problems
        assert popular_list(home()) == [("Dark mode & contrast", "/posts/p4/")]
        assert "/" in result.changed_paths
