"""`make check`: print every finding, then one summary line; exit 1 when there are errors."""

from __future__ import annotations

import argparse
from .check import check_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make check", description=__doc__)
    parser.add_argument("--settings", default="pelicanconf.py", help="Pelican settings file (default: pelicanconf.py)")
    parser.add_argument("--content", default=None, help="content folder (default: the settings' PATH, content/)")
    arguments = parser.parse_args(argv)
    report = check_site(arguments.settings, content_path=arguments.content)
    for problem in report.problems:
        print(problem)
    print(report.summary())
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
