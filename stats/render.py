"""The report as text for the terminal, JSON, CSV (one row per item and period), or one
self-contained HTML file (inline SVG, inline CSS, no script, no external request)."""

from __future__ import annotations

import csv
import io
import json
from html import escape

from stats.history import Table, sparkline


def _n(value: int) -> str:
    return f"{value:,}"


def _periods_text(report: dict) -> list[str]:
    lines = []
    if report["months"]:
        lines.append("months   " + " · ".join(f"{m} {_n(v)}" for m, v in report["months"].items()))
    if report["years"]:
        lines.append("years    " + " · ".join(f"{y} {_n(v)}" for y, v in report["years"].items()))
    return lines


def _day_rows(days: list[dict], uniques: bool) -> list[str]:
    header = f"{'day':<12}{'views':>8}" + (f"{'uniques':>9}" if uniques else "")
    rows = [header]
    for row in reversed(days):
        line = f"{row['date']:<12}{_n(row['views']):>8}"
        if uniques:
            line += f"{_n(row['uniques']):>9}"
        rows.append(line)
    return rows


def site_text(report: dict, table_name: str) -> str:
    site = report["site"]
    days = site["days"]
    views = [row["views"] for row in days]
    uniques = [row["uniques"] for row in days]
    lines = [
        f"{table_name} · {len(days)} days to {report['today']} (UTC) · {report['pages_registered']:,} pages registered",
        f"views    {sparkline(views)}  {_n(site['views_30_days'])} in 30 days, {_n(site['views'])} all time",
        f"uniques  {sparkline(uniques)}  {_n(site['visitor_days_30_days'])} visitor-days (daily uniques summed)",
        *_periods_text(site),
        "",
        *_day_rows(days, uniques=True),
    ]
    for period, title in (("7_days", "7 days"), ("30_days", "30 days"), ("all_time", "all time")):
        rows = report["top_pages"][period]
        lines += ["", f"top pages, {title}"]
        lines += [f"{_n(row['views']):>8}  {row['page']}{' (retired)' * row.get('retired', False)}" for row in rows]
        lines += [] if rows else ["       —  no views"]
    return "\n".join(lines)


def page_text(report: dict, table_name: str) -> str:
    days = report["days"]
    rank = f"#{report['rank_30_days']} of {report['pages_registered']:,}" if report["rank_30_days"] else "unranked"
    lines = [
        f"{report['page']} · {table_name} · {len(days)} days to {report['today']} (UTC)",
        f"views    {sparkline([row['views'] for row in days])}  {_n(report['views_30_days'])} in 30 days ({rank}), "
        f"{_n(report['views'])} all time",
        *_periods_text(report),
        "",
        *_day_rows(days, uniques=False),
    ]
    return "\n".join(lines)


def as_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


def as_csv(table: Table, page: str | None = None) -> str:
    """Every count the table holds, one row each: ``item`` is ``site`` or a page key, ``period``
    a day, a month, a year or ``all``; ``uniques`` only on the site's days."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["item", "period", "views", "uniques"])
    histories = [(page, table.pages[page])] if page else [("site", table.site), *sorted(table.pages.items())]
    for name, history in histories:
        writer.writerow([name, "all", history.views, ""])
        for year, views in sorted(history.years.items()):
            writer.writerow([name, year, views, ""])
        for month, views in sorted(history.months.items()):
            writer.writerow([name, month, views, ""])
        for day in sorted(set(history.days) | set(history.uniques)):
            uniques = history.uniques.get(day, "") if name == "site" and not page else ""
            writer.writerow([name, day.isoformat(), history.days.get(day, 0), uniques])
    return out.getvalue()


# --- HTML --------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 720, 220, 36

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:48rem;padding:0 1rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
p.meta{color:#5a6273;margin:0 0 1.5rem}
.figures{display:flex;gap:2rem;flex-wrap:wrap}.figures div{min-width:9rem}
.figures b{display:block;font-size:1.6rem}
table{border-collapse:collapse;width:100%}th,td{padding:.3rem .5rem;border-bottom:1px solid #e3e6ec;text-align:right}
th:first-child,td:first-child{text-align:left;word-break:break-all}
svg{width:100%;height:auto;display:block}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
"""


def _chart(days: list[dict], uniques: bool) -> str:
    """Bars of views per day, a line of unique visitors, axis labels: inline SVG."""
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    top = max([row["views"] for row in days] + [1])
    step = inner_w / len(days)
    parts = [
        f'<svg viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" aria-label="views per day, last {len(days)} days">',
        f'<line x1="{CHART_PAD}" y1="{CHART_PAD + inner_h}" x2="{CHART_PAD + inner_w}" y2="{CHART_PAD + inner_h}" stroke="#9aa1ae"/>',
        f'<text x="{CHART_PAD - 6}" y="{CHART_PAD + 4}" text-anchor="end" font-size="11" fill="#5a6273">{_n(top)}</text>',
        f'<text x="{CHART_PAD - 6}" y="{CHART_PAD + inner_h}" text-anchor="end" font-size="11" fill="#5a6273">0</text>',
    ]
    points = []
    for index, row in enumerate(days):
        height = row["views"] / top * inner_h
        x = CHART_PAD + index * step
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{CHART_PAD + inner_h - height:.1f}" width="{step * 0.7:.1f}" '
            f'height="{height:.1f}" fill="#3b6fd8"><title>{row["date"]}: {_n(row["views"])} views</title></rect>'
        )
        if uniques:
            y = CHART_PAD + inner_h - row["uniques"] / top * inner_h
            points.append(f"{x + step / 2:.1f},{y:.1f}")
        if (len(days) - 1 - index) % 7 == 0:  # today and each week back
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{CHART_HEIGHT - CHART_PAD + 16}" text-anchor="middle" '
                f'font-size="11" fill="#5a6273">{row["date"][5:]}</text>'
            )
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#e0662b" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def _top_table(report: dict) -> str:
    """Top pages over 30 days with their 7-day and all-time views."""
    pages = {}
    for period in ("30_days", "7_days", "all_time"):
        for row in report["top_pages"][period]:
            pages.setdefault(row["page"], {})[period] = row["views"]
    rows = sorted(pages.items(), key=lambda item: (-item[1].get("30_days", 0), -item[1].get("all_time", 0), item[0]))
    body = "".join(
        f"<tr><td>{escape(page)}</td><td>{_n(views.get('7_days', 0))}</td><td>{_n(views.get('30_days', 0))}</td>"
        f"<td>{_n(views.get('all_time', 0))}</td></tr>"
        for page, views in rows
    )
    return (
        "<table><thead><tr><th>page</th><th>7 days</th><th>30 days</th><th>all time</th></tr></thead>"
        f"<tbody>{body or '<tr><td colspan=4>no views yet</td></tr>'}</tbody></table>"
    )


def _periods_table(report: dict) -> str:
    rows = "".join(f"<tr><td>{escape(m)}</td><td>{_n(v)}</td></tr>" for m, v in report["months"].items())
    rows += "".join(f"<tr><td>{escape(y)}</td><td>{_n(v)}</td></tr>" for y, v in report["years"].items())
    return f"<table><thead><tr><th>month / year</th><th>views</th></tr></thead><tbody>{rows}</tbody></table>"


def as_html(report: dict, table_name: str) -> str:
    site = report["site"]
    figures = (
        f"<div><b>{_n(site['views_30_days'])}</b>views, 30 days</div>"
        f"<div><b>{_n(site['visitor_days_30_days'])}</b>visitor-days, 30 days</div>"
        f"<div><b>{_n(site['views'])}</b>views, all time</div>"
        f"<div><b>{report['pages_registered']:,}</b>pages</div>"
    )
    legend = (
        '<p class="legend"><span style="background:#3b6fd8"></span>views'
        '<span style="background:#e0662b"></span>unique visitors</p>'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Stats · {escape(table_name)} · {report['today']}</title><style>{STYLE}</style></head><body>"
        f"<h1>Site stats</h1><p class=\"meta\">table {escape(table_name)} · last 30 days to {report['today']} (UTC)</p>"
        f'<div class="figures">{figures}</div>'
        f"<h2>Views per day</h2>{_chart(site['days'], uniques=True)}{legend}"
        f"<h2>Top pages</h2>{_top_table(report)}"
        f"<h2>Months and years</h2>{_periods_table(site)}"
        "</body></html>\n"
    )

