"""The counter table's items as history, and the report the author reads: pure, no AWS.

An item's history attributes are described in :mod:`shared.counter_schema`: ``d<YYYYMMDD>``
views of a day, ``u<YYYYMMDD>`` unique visitors of a day (site item only), ``m<YYYYMM>``
views of a month, ``y<YYYY>`` views of a year, ``views`` all time. Days that outlived the
window (an item with no hit for a week when they left it) are ignored: their views are in
their month and year already.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from shared.counter_schema import (
    DAY_PREFIX,
    DAY_WINDOW,
    HASH_KEY,
    MONTH_PREFIX,
    PAGE_PREFIX,
    SITE_PK,
    UNIQUE_PREFIX,
    VIEWS,
    YEAR_PREFIX,
)
from shared.counter_table import RETIRED_PREFIX

REPORT_DAYS = 30
TOP_PAGES = 10
SPARK = "▁▂▃▄▅▆▇█"


@dataclass
class History:
    """One item's counts: all time, per day (within the window), per month and per year."""

    views: int = 0
    days: dict[date, int] = field(default_factory=dict)
    uniques: dict[date, int] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)  # "YYYY-MM"
    years: dict[str, int] = field(default_factory=dict)  # "YYYY"

    def views_since(self, first_day: date) -> int:
        return sum(views for day, views in self.days.items() if day >= first_day)


def _day(digits: str) -> date | None:
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def history_of(item: dict, today: date) -> History:
    """The history in one item (DynamoDB JSON); days outside the window are left out."""
    history = History()
    oldest = today - timedelta(days=DAY_WINDOW - 1)
    for name, value in item.items():
        if "N" not in value:
            continue
        number = int(value["N"])
        prefix, rest = name[:1], name[1:]
        if name == VIEWS:
            history.views = number
        elif prefix in (DAY_PREFIX, UNIQUE_PREFIX) and (day := _day(rest)) and oldest <= day <= today:
            (history.days if prefix == DAY_PREFIX else history.uniques)[day] = number
        elif prefix == MONTH_PREFIX and len(rest) == 6 and rest.isdigit():
            history.months[f"{rest[:4]}-{rest[4:]}"] = number
        elif prefix == YEAR_PREFIX and len(rest) == 4 and rest.isdigit():
            history.years[rest] = number
    return history


@dataclass
class Table:
    """What the report needs from the table: the site's history and each page's (``retired``:
    the pages publish removed, whose counts stay readable)."""

    site: History
    pages: dict[str, History]
    retired: set[str] = field(default_factory=set)

    @classmethod
    def from_items(cls, items: list[dict], today: date) -> Table:
        site = History()
        live: dict[str, History] = {}
        retired: dict[str, History] = {}
        for item in items:
            pk = item[HASH_KEY]["S"]
            if pk == SITE_PK:
                site = history_of(item, today)
            elif pk.startswith(PAGE_PREFIX):
                live[pk[len(PAGE_PREFIX) :]] = history_of(item, today)
            elif pk.startswith(RETIRED_PREFIX):
                retired[pk[len(RETIRED_PREFIX) :]] = history_of(item, today)
        return cls(site, {**retired, **live}, set(retired) - set(live))


def last_days(today: date, count: int = REPORT_DAYS) -> list[date]:
    return [today - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def sparkline(values: list[int]) -> str:
    """One block character per value, scaled to the largest; zero is the lowest block."""
    top = max(values, default=0)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, value * (len(SPARK) - 1) // top)] for value in values)


def top_pages(table: Table, views_of, count: int = TOP_PAGES) -> list[dict]:
    """The ``count`` pages with the most views by ``views_of(history)``, ties by page key;
    pages with none are left out, retired ones say so."""
    ranked = sorted(
        ((views_of(history), key) for key, history in table.pages.items()), key=lambda pair: (-pair[0], pair[1])
    )
    return [
        {"page": key, "views": views, **({"retired": True} if key in table.retired else {})}
        for views, key in ranked[:count]
        if views > 0
    ]


def _series(history: History, days: list[date], *, uniques: bool) -> list[dict]:
    return [
        {"date": day.isoformat(), "views": history.days.get(day, 0), **({"uniques": history.uniques.get(day, 0)} if uniques else {})}
        for day in days
    ]


def _periods(history: History) -> dict:
    return {
        "months": dict(sorted(history.months.items(), reverse=True)),
        "years": dict(sorted(history.years.items(), reverse=True)),
    }


def site_report(table: Table, today: date) -> dict:
    """The site's last 30 days, its months and years, and the top pages."""
    days = last_days(today)
    week = today - timedelta(days=6)
    month = days[0]
    series = _series(table.site, days, uniques=True)
    return {
        "today": today.isoformat(),
        "pages_registered": len(table.pages),
        "site": {
            "views": table.site.views,
            "views_30_days": sum(row["views"] for row in series),
            "visitor_days_30_days": sum(row["uniques"] for row in series),
            "days": series,
            **_periods(table.site),
        },
        "top_pages": {
            "7_days": top_pages(table, lambda history: history.views_since(week)),
            "30_days": top_pages(table, lambda history: history.views_since(month)),
            "all_time": top_pages(table, lambda history: history.views),
        },
    }


def page_report(page: str, history: History, table: Table, today: date) -> dict:
    """One page: all time, its last 30 days, months, years and its rank over 30 days."""
    days = last_days(today)
    month = days[0]
    series = _series(history, days, uniques=False)
    ranking = top_pages(table, lambda other: other.views_since(month), count=len(table.pages))
    rank = next((number for number, row in enumerate(ranking, 1) if row["page"] == page), None)
    return {
        "today": today.isoformat(),
        "page": page,
        "views": history.views,
        "views_30_days": sum(row["views"] for row in series),
        "rank_30_days": rank,
        "pages_registered": len(table.pages),
        "days": series,
        **_periods(history),
    }
