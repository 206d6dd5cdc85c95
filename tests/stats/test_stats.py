"""`make stats` against a moto table with simulated traffic: what it prints matches what was
counted, in every format, and every failure is one line."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest

from counter_lambda import counter
from shared import counter_table
from stats.cli import StatsRequest, run_stats
from tests.counter.helpers import COUNTER_TABLE, counter_table_items
from tests.stats.conftest import PAGES, TODAY

pytestmark = pytest.mark.slow  # the simulated traffic takes several seconds

LAST_30 = [TODAY - timedelta(days=offset) for offset in range(30)]


def stats(capsys, **request) -> tuple[int, str, str]:
    code = run_stats(StatsRequest(today=TODAY, **request))
    out, err = capsys.readouterr()
    return code, out, err


def expected_top(traffic, days) -> list[dict]:
    views = {page: traffic.page_views(page, days) for page in PAGES}
    ranked = sorted(((v, p) for p, v in views.items() if v), key=lambda pair: (-pair[0], pair[1]))
    return [{"page": page, "views": v} for v, page in ranked]


def test_the_text_report_matches_the_counted_traffic(simulated_table, capsys):
    traffic = simulated_table.traffic
    code, out, _ = stats(capsys)
    assert code == 0
    for day in LAST_30:
        assert re.search(
            rf"^{day.isoformat()}\s+{traffic.site_days[day]}\s+{traffic.uniques(day)}$", out, re.MULTILINE
        ), day
    assert f"{sum(traffic.site_days[d] for d in LAST_30):,} in 30 days" in out
    assert f"{sum(traffic.site_days.values()):,} all time" in out
    sections = out.split("top pages, ")[1:]
    week = set(LAST_30[:7])
    for section, days in zip(sections, (week, set(LAST_30), None)):
        listed = re.findall(r"^\s+([\d,]+)  (\S+)$", section, re.MULTILINE)
        assert [{"page": p, "views": int(v.replace(",", ""))} for v, p in listed] == expected_top(traffic, days)
    assert re.search(r"^views\s+[▁▂▃▄▅▆▇█]{30}\s", out, re.MULTILINE)


def test_json_has_every_day_month_and_the_top_pages(simulated_table, capsys):
    traffic = simulated_table.traffic
    code, out, _ = stats(capsys, format="json")
    report = json.loads(out)
    assert code == 0 and report["table"] == COUNTER_TABLE
    assert report["site"]["days"] == [
        {"date": d.isoformat(), "views": traffic.site_days[d], "uniques": traffic.uniques(d)} for d in reversed(LAST_30)
    ]
    assert report["site"]["months"] == {"2025-02": traffic.site_month("2025-02"), "2025-01": traffic.site_month("2025-01")}
    assert report["top_pages"]["30_days"] == expected_top(traffic, set(LAST_30))
    assert report["top_pages"]["all_time"] == expected_top(traffic, None)
    assert report["pages_registered"] == len(PAGES)


def test_csv_holds_exactly_what_the_table_holds(simulated_table, capsys):
    code, out, _ = stats(capsys, format="csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    items = counter_table_items(simulated_table.client)
    # a day past the window stays on a page with no hit since it left; its views are in its
    # month and year, and readers leave it out
    oldest = (TODAY - timedelta(days=counter.DAY_WINDOW - 1)).strftime("%Y%m%d")
    for pk, item in items.items():
        if pk.startswith("visitor#"):
            continue
        name = "site" if pk == "site" else pk.removeprefix("page#")
        mine = {r["period"]: r for r in rows if r["item"] == name}
        assert int(mine["all"]["views"]) == int(item["views"]["N"])
        for attribute, value in item.items():
            if attribute[0] in "dmy" and attribute[1:].isdigit():
                digits = attribute[1:]
                if len(digits) == 8 and digits < oldest:
                    continue
                period = "-".join(filter(None, (digits[:4], digits[4:6], digits[6:])))
                assert int(mine[period]["views"]) == int(value["N"]), (name, attribute)
            if attribute[0] == "u" and attribute[1:].isdigit():
                digits = attribute[1:]
                assert int(mine[f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"]["uniques"]) == int(value["N"])


def test_page_detail(simulated_table, capsys):
    traffic = simulated_table.traffic
    code, out, _ = stats(capsys, page="/posts/hello/index.html", format="json")
    report = json.loads(out)
    assert code == 0 and report["page"] == "/posts/hello/"
    assert report["views"] == traffic.page_views("/posts/hello/")
    assert report["days"][-1] == {"date": TODAY.isoformat(), "views": traffic.page_days[("/posts/hello/", TODAY)]}
    ranking = [row["page"] for row in expected_top(traffic, set(LAST_30))]
    assert report["rank_30_days"] == ranking.index("/posts/hello/") + 1
    code, out, _ = stats(capsys, page="/posts/hello/")
    assert code == 0 and out.startswith("/posts/hello/ · ")


def test_a_retired_page_keeps_its_counts_in_the_report(simulated_table, capsys):
    counter_table.retire_pages(simulated_table.client, COUNTER_TABLE, ["/about/"])
    code, out, _ = stats(capsys)
    assert code == 0
    assert f"{simulated_table.traffic.page_views('/about/'):>8,}  /about/ (retired)" in out


def test_the_html_report_is_one_self_contained_file(simulated_table, capsys, tmp_path):
    code, out, _ = stats(capsys, format="html", html_path=tmp_path / "report.html")
    assert code == 0 and out.strip() == str(tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and html.count("<rect") == 30
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", html)
    assert "/posts/hello/" in html and f"{sum(simulated_table.traffic.site_days.values()):,}" in html
