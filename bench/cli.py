"""The command line every benchmark shares: ``--quick`` or the full sizes, each size overridable."""

from __future__ import annotations

import argparse
from typing import Callable

from bench.table import Row, markdown_table


def parse_sizes(argv: list[str] | None, quick: dict[str, int], full: dict[str, int], doc: str | None) -> dict[str, int]:
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"small sizes: {quick}")
    for name, value in full.items():
        parser.add_argument(f"--{name}", type=int, help=f"default {value} ({quick[name]} with --quick)")
    args = parser.parse_args(argv)
    sizes = dict(quick if args.quick else full)
    sizes.update({name: getattr(args, name) for name in full if getattr(args, name) is not None})
    return sizes


def run_alone(
    run: Callable[..., list[Row]],
    quick: dict[str, int],
    full: dict[str, int],
    doc: str | None,
    argv: list[str] | None = None,
) -> list[Row]:
    """``python -m bench.<name>``: measure, print this benchmark's rows as a table."""
    rows = run(**parse_sizes(argv, quick, full, doc))
    print(markdown_table(rows))
    return rows
