"""Trends drawn on the server as SVG: no JavaScript, with the dose dates marked; each chart
also comes with its data (a table) and a sentence for screen readers.

`trend_charts` is pure (no ORM, no clock); `trend_data` reads what it needs in two queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from patients.models import Injection, ScoreSet, User

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 30
PERIOD = timedelta(days=365)

SERIES = (
    ("itch", gettext_lazy("Itch in the last 24 hours (0 to 10)"), 10),
    ("skin_overall", gettext_lazy("Skin overall (0 best, 10 worst)"), 10),
    ("skin_palms", gettext_lazy("Skin area, in palms"), None),
    ("joint_pain_score", gettext_lazy("Joint pain (0 to 10)"), 10),
)


@dataclass(frozen=True)
class Point:
    day: date
    value: int
    x: float
    y: float


@dataclass(frozen=True)
class Tick:
    label: str
    at: float


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    top: int
    points: list[Point]
    doses: list[Tick]  # x of each dose date
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM
    right_x: int = WIDTH - RIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _fmt(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _summary(title: str, points: list[Point], doses: int) -> str:
    if not points:
        return _("%(title)s: no score recorded in this period.") % {"title": title}
    values = [p.value for p in points]
    last = points[-1]
    text = ngettext(
        "%(title)s: %(n)s score, on %(last_day)s: %(last)s.",
        "%(title)s: %(n)s scores from %(first_day)s to %(last_day)s; latest %(last)s, "
        "lowest %(low)s, highest %(high)s.",
        len(points),
    ) % {
        "title": title,
        "n": len(points),
        "first_day": _fmt(points[0].day),
        "last_day": _fmt(last.day),
        "last": last.value,
        "low": min(values),
        "high": max(values),
    }
    dose_text = ngettext(
        "%(n)s dose logged in this period.", "%(n)s doses logged in this period.", doses
    ) % {"n": doses}
    return f"{text} {dose_text}"


def trend_charts(
    *, rows: list[dict], dose_dates: list[date], today: date, period: timedelta = PERIOD
) -> list[Chart]:
    """One chart per score; `rows`: {"recorded_on": date, <score>: int | None}, any order."""
    start = today - period
    span = max((today - start).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(day: date) -> float:
        return LEFT + plot_w * (day - start).days / span

    doses = sorted(d for d in dose_dates if start <= d <= today)
    dose_ticks = [Tick(_fmt(d), x_of(d)) for d in doses]
    x_ticks = [
        Tick(
            _fmt(start + timedelta(days=span * i // 4)), x_of(start + timedelta(days=span * i // 4))
        )
        for i in range(5)
    ]
    rows = sorted(
        (r for r in rows if start <= r["recorded_on"] <= today), key=lambda r: r["recorded_on"]
    )
    charts = []
    for key, title, top in SERIES:
        values = [(r["recorded_on"], r[key]) for r in rows if r.get(key) is not None]
        if top is None:  # palms: up to the nearest ten above the highest, at least 10
            top = max(10, -(-max((v for _, v in values), default=0) // 10) * 10)
        points = [
            Point(day, value, x_of(day), TOP + plot_h * (1 - value / top)) for day, value in values
        ]
        y_ticks = [Tick(str(v), TOP + plot_h * (1 - v / top)) for v in (0, top // 2, top)]
        charts.append(
            Chart(
                key=key,
                title=str(title),
                top=top,
                points=points,
                doses=dose_ticks,
                y_ticks=y_ticks,
                x_ticks=x_ticks,
                summary=_summary(str(title), points, len(doses)),
            )
        )
    return charts


def trend_data(patient: User, *, today: date, period: timedelta = PERIOD) -> list[Chart]:
    """Two queries: the scores of the period, and the dates of the doses logged in it."""
    start = today - period
    rows = list(
        ScoreSet.objects.live()
        .filter(patient=patient, recorded_on__gte=start, recorded_on__lte=today)
        .order_by("recorded_on")
        .values("recorded_on", "itch", "skin_overall", "skin_palms", "joint_pain_score")
    )
    dose_dates = list(
        Injection.objects.live()
        .filter(treatment__patient=patient, taken_on__gte=start, taken_on__lte=today)
        .order_by("taken_on")
        .values_list("taken_on", flat=True)
    )
    return trend_charts(rows=rows, dose_dates=dose_dates, today=today, period=period)
