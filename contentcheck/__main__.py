"""`make check`: print every finding, then one summary line; exit 1 when there are errors."""

from __future__ import annotations

import argparse
from .check import check_site
from .printing import LIMIT, report_lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make check", description=__doc__)
    parser.add_argument("--settings", default="pelicanconf.py", help="Pelican settings file (default: pelicanconf.py)")
    parser.add_argument("--content", default=None, help="content folder (default: the settings' PATH, content/)")
    parser.add_argument("--all", action="store_true", help=f"print every finding (past {LIMIT}, each rule's first few and its count)")
    arguments = parser.parse_args(argv)
    report = check_site(arguments.settings, content_path=arguments.content)
    for line in report_lines(report.problems, show_all=arguments.all):
        print(line)
    print(report.summary())
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
