"""One source for the edge's rules: what Terraform gives CloudFront, what the local edge sends
and what make check checks against are read from shared/edge_rules.json and the author's
redirects.json and csp.json, and come out the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from moto import mock_aws

from devstack.edge import EdgeApp, EdgeRequest, SiteOrigin
from shared.edge_rules import RULES_FILE, LiveEdgeRules, edge_rules_from, load_edge_rules, render_viewer_request
from tests.terraform import terraform_checks as checks
from tests.terraform.terraform_checks import REPO, TERRAFORM

# What an author adds: a video host for frames, an image host (data: already allowed: not
# repeated), a source for a directive the base does not set, and old URLs (one not ASCII).
CSP_ADDITIONS = {
    "frame-src": ["https://www.youtube-nocookie.com"],
    "img-src": ["https://images.example.org", "data:"],
    "media-src": ["https://media.example.org"],
}
REDIRECTS = {"/2019/05/hello.html": "/posts/hello/", "/caf%C3%A9.html": "/posts/café/"}


@pytest.fixture(scope="module")
def config():
    return checks.load(TERRAFORM)


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's edge rules as Terraform reads them, with the author's files."""
    (tmp_path / "terraform").mkdir()
    shutil.copy(TERRAFORM / "edge_rules.tf", tmp_path / "terraform")
    shutil.copytree(TERRAFORM / "functions", tmp_path / "terraform" / "functions")
    (tmp_path / "shared").mkdir()
    shutil.copy(RULES_FILE, tmp_path / "shared")
    (tmp_path / "csp.json").write_text(json.dumps(CSP_ADDITIONS), encoding="utf-8")
    (tmp_path / "redirects.json").write_text(json.dumps(REDIRECTS, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def project_rules(project: Path):
    return load_edge_rules(project / "shared" / "edge_rules.json", project / "redirects.json", project / "csp.json")


def served_headers(rules: LiveEdgeRules, path: str) -> tuple[int, dict[str, str]]:
    """The local edge's answer for ``path`` from a moto bucket holding a home page only."""
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="site")
        s3.put_object(Bucket="site", Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
        app = EdgeApp(SiteOrigin(s3, "site"), api_handler=lambda event, context: {}, rules=rules)
        request = EdgeRequest("GET", path, "", {"host": "example.com"}, "127.0.0.1", lambda: b"", lambda: False)
        answer = app.answer(request)
    return answer.status, answer.headers


def test_terraform_takes_every_header_value_from_the_rules_file(config):
    """Read through python-hcl2: each value of the response-headers policy and the
    distribution's index document and error page is a reference into the rules file."""
    rules = edge_rules_from({}, {})
    cdn = checks.find_resources(config, "aws_cloudfront_response_headers_policy")["security"]
    written_csp = checks.first_block(checks.first_block(cdn, "security_headers_config"), "content_security_policy")
    assert checks.literal(written_csp["content_security_policy"]) == "${local.content_security_policy}"
    terraform_headers = checks.response_headers(config, csp=rules.content_security_policy)
    assert terraform_headers == rules.security_headers()
    distribution = checks.find_resources(config, "aws_cloudfront_distribution")["site"]
    assert checks.local_value(config, distribution["default_root_object"]) == rules.index_document
    (error_page,) = distribution["custom_error_response"]
    assert checks.local_value(config, error_page["response_page_path"]) == rules.not_found_page


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def test_terraform_merges_the_authors_files_as_the_edge_and_the_check_do(project):
    """terraform console evaluates edge_rules.tf on the rules and the author's files: the CSP
    header and the function's code are what shared.edge_rules makes of the same files."""
    rules = project_rules(project)
    evaluated = checks.terraform_console(
        project / "terraform", "{csp = local.content_security_policy, code = local.viewer_request_code}"
    )
    assert evaluated["csp"] == rules.content_security_policy
    assert "frame-src 'self' https://www.youtube-nocookie.com" in evaluated["csp"]
    assert "img-src 'self' data: https://images.example.org;" in evaluated["csp"]
    assert evaluated["code"] == render_viewer_request(rules, project / "terraform" / "functions" / "viewer_request.js")


def test_the_local_edge_sends_the_merged_rules(project):
    rules_files = (project / "shared" / "edge_rules.json", project / "redirects.json", project / "csp.json")
    status, headers = served_headers(LiveEdgeRules(*rules_files), "/")
    assert status == 200
    expected = project_rules(project).security_headers()
    assert {name: headers.get(name) for name in expected} == expected
    status, headers = served_headers(LiveEdgeRules(*rules_files), "/2019/05/hello.html")
    assert (status, headers["Location"], headers["Cache-Control"]) == (301, "/posts/hello/", "max-age=3600")


def test_the_local_edge_picks_up_an_edit_of_csp_json(project):
    """make serve keeps running while the author edits csp.json: the next answer carries it."""
    live = LiveEdgeRules(project / "shared" / "edge_rules.json", project / "redirects.json", project / "csp.json")
    _, before = served_headers(live, "/")
    (project / "csp.json").write_text(json.dumps({"frame-src": ["https://player.example.net"]}), encoding="utf-8")
    _, after = served_headers(live, "/")
    assert "https://www.youtube-nocookie.com" in before["Content-Security-Policy"]
    assert "frame-src 'self' https://player.example.net" in after["Content-Security-Policy"]
    assert "youtube" not in after["Content-Security-Policy"]

