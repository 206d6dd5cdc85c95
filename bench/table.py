"""One row per figure, and the Markdown table they make."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    figure: str
    ours: str
    anchor: str
    ratio: float | None  # ours / anchor; None when the anchor is not a number to divide by
    goal: str
    passed: bool | None  # None: reported, no goal set

    @classmethod
    def at_most(cls, figure: str, ours: str, anchor: str, ratio: float, limit: float) -> "Row":
        """A row whose goal is a ratio no higher than ``limit``."""
        return cls(figure, ours, anchor, ratio, f"≤ {limit}×", ratio <= limit)

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "FAIL", None: "n/a"}[self.passed]


HEADER = ("figure", "ours", "anchor", "ratio", "goal", "pass/fail")


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "n/a"
    return f"{ratio:.3f}×" if ratio < 10 else f"{ratio:.1f}×"


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        cells = (row.figure, row.ours, row.anchor, format_ratio(row.ratio), row.goal, row.verdict)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    return ""

