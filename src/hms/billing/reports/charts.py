"""A report's chart, drawn on the server as SVG by matplotlib and fetched by the page
as an image of its own (?format=svg), so the page never waits for it. The page's CSP
allows no inline styles, which matplotlib's SVG is made of; inside an <img> the SVG is
its own document, and nothing in it can run.

Drawing takes a few hundred milliseconds, so each drawing is kept in the cache under
a digest of what it shows: the same figures are drawn once, and new data (another
payment, another day) is a new key, never a stale picture."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

from django.core.cache import cache

from hms.billing.reports.registry import Chart
from hms.billing.reports.tables import DATE, Report, Table

# Bars past this many are not readable; the table has them all.
MAX_BARS = 62
_COLOURS = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5"]
# A drawing unused for a day makes room; the same figures drawn again are the same.
_KEPT_SECONDS = 24 * 3600


def has_chart(report: Report, chart: Chart) -> bool:
    """Whether the report has anything to draw."""
    return bool(_drawable(report, chart))


def chart_svg(report: Report, chart: Chart) -> bytes | None:
    """The chart as SVG, drawn once per set of figures; None when nothing is to draw."""
    bars = _drawable(report, chart)
    if not bars:
        return None
    table = report.table(chart.table)
    names = [c.label for c in table.columns if c.key in chart.series]
    shown = repr((chart, names, list(bars.items()))).encode()
    key = "billing-report-chart:" + hashlib.sha256(shown).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = _draw(list(bars), list(bars.values()), table, chart)
        cache.set(key, svg, _KEPT_SECONDS)
    return svg


def _drawable(report: Report, chart: Chart) -> dict[str, list[Decimal]]:
    bars = _bars(report.table(chart.table), chart)
    return bars if any(any(values) for values in bars.values()) else {}


def _bars(table: Table, chart: Chart) -> dict[str, list[Decimal]]:
    """The series of each bar, rows of one label (a day's cashiers and methods) added
    up, in the table's order; at most MAX_BARS."""
    is_date = next(c for c in table.columns if c.key == chart.label).kind == DATE
    bars: dict[str, list[Decimal]] = {}
    for row in table.rows:
        label = row[chart.label].strftime("%d %b") if is_date else str(row[chart.label])
        if label not in bars and len(bars) == MAX_BARS:
            break
        sums = bars.setdefault(label, [Decimal(0)] * len(chart.series))
        for index, key in enumerate(chart.series):
            sums[index] += row[key]
    return bars


def _draw(labels: list[str], values: list[list[Decimal]], table: Table, chart: Chart) -> bytes:
    # Imported here: matplotlib takes a second to load, which no other page should pay.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.2), layout="constrained")
    axes = figure.subplots()
    positions = list(range(len(labels)))
    bottom = [0.0] * len(labels)
    names = {c.key: c.label for c in table.columns}
    for index, key in enumerate(chart.series):
        # Floats only for drawing; every figure shown as text stays Decimal.
        heights = [float(bar[index]) for bar in values]
        axes.bar(positions, heights, bottom=bottom, label=names[key], color=_COLOURS[index % 4])
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    crowded = len(labels) > 6
    axes.set_xticks(
        positions,
        labels,
        rotation=45 if crowded else 0,
        ha="right" if crowded else "center",
        fontsize=8,
    )
    axes.yaxis.set_major_formatter("{x:,.0f}")  # 1,250,000 rather than 1.25e6
    axes.set_title(chart.title, fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    if len(chart.series) > 1:
        axes.legend(fontsize=8, frameon=False)
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
