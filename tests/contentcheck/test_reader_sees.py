"""`make check` sees what a reader would see broken: raw plugin syntax, a template no one has,
each repeated link, advice in the author's own syntax, settings that drop pages, and a long
report that stays readable."""

from __future__ import annotations

import base64

from contentcheck.printing import report_lines
from deploy.site import BuildProblem
from tests.contentcheck.helpers import gif, png, shown
from tests.contentcheck.test_check_rules import INLINE_HTML_POST

HEADER = "Title: {title}\nDate: 2026-01-06\nSlug: {slug}\n\n"


def post(slug: str, body: str, **fields: str) -> str:
    extra = "".join(f"{name}: {value}\n" for name, value in fields.items())
    return HEADER.format(title=slug.title(), slug=slug).replace("\n\n", "\n" + extra + "\n", 1) + body


def without(plugin: str) -> list[str]:
    from pelicanconf import PLUGINS

    return [name for name in PLUGINS if name != plugin]


def test_raw_plugin_syntax_is_an_error_naming_the_plugin_that_renders_it(checked):
    report = checked({"posts/old.md": post("old", (
        "Intro.\n\n{% img /images/a.png 100 %}\n\n{% youtube abc123 %}\n\nFootnote[ref]a note[/ref].\n\n"
        "A loop {% for x in y %} left over.\n\n`{% img in code %}` stays code.\n\n"
        "{% include_code a_long_file_name_for_the_example.py lang:python The first example %}\n\n"
        "{% include_code a_long_file_name_for_the_example.py lang:python The second example %}\n"))})
    lines = shown(report)
    assert lines[:2] == [
        "content/posts/old.md:7: error: {% img /images/a.png 100 %} is shown to readers as written: a pelican-liquid-tags "
        'tag: add pelican-liquid-tags to requirements-blog.txt, "pelican.plugins.liquid_tags" to PLUGINS and "img" to '
        "LIQUID_TAGS in pelicanconf.py",
        "content/posts/old.md:9: error: {% youtube abc123 %} is shown to readers as written: a pelican-liquid-tags "
        'tag: add pelican-liquid-tags to requirements-blog.txt, "pelican.plugins.liquid_tags" to PLUGINS and "youtube" '
        "to LIQUID_TAGS in pelicanconf.py",
    ]
    assert any(line.startswith("content/posts/old.md:11: error: [ref] is shown") and "pelican-simple-footnotes" in line for line in lines)
    assert any(line.startswith("content/posts/old.md:13: warning: {% for x in y %} is shown") for line in lines)
    assert not any("in code" in line for line in lines)
    assert [line.split(": error: ")[0] for line in lines if "include_code" in line] == ["content/posts/old.md:17", "content/posts/old.md:19"]
    assert "{% include_code a_long_file_name_for_the_example.py lang:py… is shown" in lines[-1]


def test_a_notebook_without_metadata_is_an_error_saying_how_to_embed_it(checked):
    notebook = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    line = next(line for line in shown(checked({"downloads/notebooks/plot.ipynb": notebook})) if "plot.ipynb" in line)
    assert line.endswith('a notebook is a post only with its metadata (a "name.nbdata" file beside it with "Title:" and '
                         '"Date:" lines); one that posts embed with {% notebook %} belongs in NOTEBOOK_DIR (set it in '
                         "pelicanconf.py to its folder), which is not read for posts")


def test_tex_is_named_only_while_maths_is_off(checked):
    files = {"posts/maths.md": post("maths", "Energy $E = mc^2$ and a price of $5 to $10.\n")}
    assert [line for line in shown(checked(files)) if "maths.md" in line] == []
    off = [line for line in shown(checked(files, PLUGINS=without("math_mathml"))) if "maths.md" in line]
    assert off == ["content/posts/maths.md:5: error: $E = mc^2$ is shown to readers as written: TeX maths: add "
                   '"math_mathml" to PLUGINS in pelicanconf.py to render it as MathML']


def test_a_missing_template_names_the_template_line_of_the_page_asking_for_it(checked):
    report = checked({"pages/about.md": "Title: About\nTemplate: about\nSlug: about\n\nHello.\n"})
    assert [line for line in shown(report) if ": error:" in line] == [(
        'content/pages/about.md:2: error: "Template: about" names a template the theme does not have '
        "(theme/templates/about.html): remove the line to use the page template, or add that file")]


def test_each_occurrence_of_a_repeated_broken_link_has_its_own_line(checked):
    report = checked({"posts/links.md": post("links", "[a](/gone/)\n\ntext\n\n[b](/gone/)\n\nmore\n\n[c](/gone/)\n")})
    assert [line.split(": error")[0] for line in shown(report) if "/gone/" in line] == [
        "content/posts/links.md:5", "content/posts/links.md:9", "content/posts/links.md:13"]


def test_size_advice_fits_the_syntax_and_never_enlarges_a_sized_image(checked):
    report = checked({
        "posts/thumbs.md": post("thumbs", (
            '<img src="/images/big.gif" width="100">\n\n![md](/images/big.gif)\n\n![md sized](/images/big.gif){: height="54"}\n')),
        "images/big.gif": gif(822, 1080),  # a GIF: the photos plugin sizes the others itself
    })
    assert [line.split("layout shift); ")[1] for line in shown(report) if "big.gif" in line] == [
        'add height="131" to the <img> tag',
        'add {: width="822" height="1080"} right after the image\'s closing parenthesis',
        'add {: width="41"} right after the image\'s closing parenthesis',
    ]


def test_a_data_uri_is_shown_by_its_type_and_size(checked):
    image = png(200, 200)
    data = base64.b64encode(image + bytes(38 * 1024 - len(image))).decode()
    report = checked({"posts/inline-image.md": post("inline-image", f'<img src="data:image/png;base64,{data}" alt="x">\n')})
    line = next(line for line in shown(report) if "inline-image.md" in line)
    assert "image data:image/png;base64,…(38 KB) has no width and height" in line
    assert len(line) < 300


def test_settings_that_drop_pages_are_named_on_their_line(checked):
    lines = shown(checked({}, DEFAULT_PAGINATION=-1, TAGS_SAVE_AS="archives/index.html"))
    assert any(line.endswith(": error: DEFAULT_PAGINATION = -1 lists no post at all on the home page: write a "
                             "positive number of posts per page, or False for all on one page")
               and line.startswith("pelicanconf.py:") for line in lines)
    assert any(": error: ARCHIVES_SAVE_AS and TAGS_SAVE_AS all write archives/index.html" in line for line in lines)


def test_moved_inline_styles_and_scripts_are_not_warned_about_but_event_handlers_are(checked):
    lines = [line for line in shown(checked({"posts/html.md": INLINE_HTML_POST})) if "html.md" in line]
    assert not any("style=" in line or "<script>" in line for line in lines)
    assert any("inline <button onclick=…>" in line for line in lines)


def test_past_fifty_findings_each_rule_is_counted_with_its_first_few_errors_first():
    problems = [BuildProblem(f"content/posts/p{n}.md", 3, f"image {n} has no width", "warning", "image size") for n in range(80)]
    problems += [BuildProblem(f"content/posts/q{n}.md", 7, f"{{% img {n} %}} is shown", "error", "raw syntax") for n in range(20)]
    lines = report_lines(problems)
    assert lines[0] == "100 findings, by rule (errors first; --all lists every one):"
    assert lines[1:6] == ["raw syntax: 20 errors", "  content/posts/q0.md:7: error: {% img 0 %} is shown",
                          "  content/posts/q1.md:7: error: {% img 1 %} is shown",
                          "  content/posts/q2.md:7: error: {% img 2 %} is shown", "  … and 17 more"]
    assert lines[6] == "image size: 80 warnings" and lines[-1] == "  … and 77 more"
    assert len(lines) == 11
    assert len(report_lines(problems, show_all=True)) == 100
    assert report_lines(problems[:50])[0].startswith("content/posts/p0.md:3: warning")


def test_an_unsafe_inline_exception_in_csp_json_is_an_error(checked):
    report = checked({}, csp='{\n  "frame-src": ["https://www.youtube-nocookie.com"],\n  "style-src": ["\'unsafe-inline\'"]\n}')
    assert [line.rsplit("/", 1)[-1] for line in shown(report) if "csp.json" in line] == [
        "csp.json:3: error: style-src 'unsafe-inline' would let any script or style injected into a page run: the build "
        "already moves your inline styles and scripts into files (inline_assets); remove it"]
