"""Pelican's own warnings and errors reach the author with the file and the reason."""

from __future__ import annotations

import pytest

from deploy.site import BuildProblem, SiteBuildError, build_site, run_build

GOOD = "Title: Good\nDate: 2024-01-01\n\nHello.\n"


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_a_bad_date_names_the_file_line_and_pelicans_reason(tmp_path):
    content = tmp_path / "content"
    write(content, "good.md", GOOD)
    write(content, "bad.md", "Title: Bad\nDate: 2024-13-45\n\nHello.\n")
    report = run_build("pelicanconf.py", tmp_path / "out", content_path=content)
    assert not report.ok
    (problem,) = report.errors
    assert problem.file.endswith("content/bad.md") and problem.line == 2
    assert "'2024-13-45' is not a valid date" in problem.message
    assert str(problem).endswith(f"bad.md:2: error: {problem.message}")
    assert (tmp_path / "out" / "posts" / "good" / "index.html").exists(), "the other posts still build"


def test_build_site_raises_with_every_error_listed(tmp_path):
    content = tmp_path / "content"
    write(content, "good.md", GOOD)
    write(content, "untitled.md", "Date: 2024-01-01\n\nNo title.\n")
    write(content, "undated.md", "Title: Undated\n\nNo date.\n")
    with pytest.raises(SiteBuildError) as raised:
        build_site("pelicanconf.py", tmp_path / "out", content_path=content)
    text = str(raised.value)
    assert "untitled.md: error: " in text and "'title'" in text
    assert "undated.md: error: " in text and "'date'" in text
    assert len(raised.value.problems) == 2


def test_a_broken_template_is_a_problem_with_its_file_not_a_traceback(tmp_path):
    import shutil

    from shared.targets import PROJECT_ROOT

    theme = tmp_path / "theme"
    shutil.copytree(PROJECT_ROOT / "theme", theme)
    article = theme / "templates" / "article.html"
    article.write_text(article.read_text() + "\n{% if %}\n")
    content = tmp_path / "content"
    write(content, "good.md", GOOD)
    report = run_build("pelicanconf.py", tmp_path / "out", overrides={"THEME": str(theme)}, content_path=content)
    (problem,) = report.errors
    assert problem.file.endswith("templates/article.html") and problem.line
    assert "Traceback" not in problem.message


def test_a_broken_settings_file_names_its_line(tmp_path):
    settings = tmp_path / "settings.py"
    settings.write_text("SITENAME = 'x'\nPATH = \n")
    (problem,) = run_build(settings, tmp_path / "out").errors
    assert problem == BuildProblem(str(settings), 2, problem.message, "error")


def test_a_problem_seen_again_is_reported_again(tmp_path):
    """Pelican drops repeated log messages within one process; each rebuild must still report."""
    content = tmp_path / "content"
    write(content, "good.md", GOOD)
    write(content, "page.md", "Title: Links\nDate: 2024-01-02\n\n[x]({filename}/missing.md)\n")
    first = run_build("pelicanconf.py", tmp_path / "out", content_path=content)
    second = run_build("pelicanconf.py", tmp_path / "out", content_path=content)
    assert first.warnings and [str(p) for p in second.warnings] == [str(p) for p in first.warnings]
    assert "missing.md" in first.warnings[0].message


def test_an_error_naming_an_impossible_file_is_still_reported(tmp_path):
    """An error whose filename the system cannot look up (far too long) is a problem without a
    file, not a second error raised while reporting the first."""
    from deploy.site import _raised_at

    error = OSError(36, "File name too long", "x" * 5000)
    assert _raised_at(error) == (None, None)


def test_the_terminal_names_the_site_being_served():
    from devstack.stack import DevStack

    assert DevStack(overrides={"SITENAME": "Harbour Notes"}).site_name() == "Harbour Notes"
