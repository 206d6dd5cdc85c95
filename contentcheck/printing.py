"""How a check's findings are printed: errors first; past ``LIMIT`` findings, each rule's count
with its first few, so an author sees every kind of problem on one screen."""

from __future__ import annotations

from collections import defaultdict

from deploy.site import BuildProblem
from deploy.wording import counted

LIMIT = 50
FIRST_OF_EACH = 3


def report_lines(problems: list[BuildProblem], show_all: bool = False) -> list[str]:
    ordered = [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]
    if show_all or len(ordered) <= LIMIT:
        return [str(p) for p in ordered]
    by_rule: dict[tuple[str, str], list[BuildProblem]] = defaultdict(list)
    for problem in ordered:
        by_rule[(problem.level, problem.rule or "other")].append(problem)
    lines = [f"{counted(len(ordered), 'finding')}, by rule (errors first; --all lists every one):"]
    for (level, rule), found in by_rule.items():
        lines.append(f"{rule}: {counted(len(found), level)}")
        lines += [f"  {p}" for p in found[:FIRST_OF_EACH]]
        if len(found) > FIRST_OF_EACH:
            lines.append(f"  … and {len(found) - FIRST_OF_EACH} more")
    return lines
