"""Overview (executives): how big the impact is, whether it grows, whether projects are on
target, and what it means in everyday terms — ten seconds, one screen."""

from __future__ import annotations

from dataclasses import dataclass

from greenstats import charts, fmt, pagedata, queries, stats, views
from greenstats.filters import Filters
from greenstats.i18n import t
from greenstats.methodology import load_equivalents
from greenstats.paths import DEFAULT_REFERENCE
from greenstats.screens import ecosystem
from greenstats.screens.blocks import Card, Chart, Markdown, empty_text
from greenstats.warehouse import Reader


@dataclass(frozen=True)
class Target:
    share: float  # 0–1, for the progress bar
    text: str


@dataclass(frozen=True)
class Equivalent:
    text: str
    name: str
    factor: str

    @property
    def line(self) -> Markdown:
        """'**11.2 car-years**' over its name and factor in grey (names from the reference
        file escaped)."""
        return Markdown(
            f"**{fmt.escape_md(self.text)}**  \n"
            f":gray[{fmt.escape_md(self.name)} · {fmt.escape_md(self.factor)}]"
        )


@dataclass(frozen=True)
class OverviewData:
    compared: str  # what the changes compare with, in words ('' when nothing to compare)
    cards: list[Card]
    trend: Chart
    targets: list[Target]
    targets_empty: str
    carbon: str  # carbon avoided, as the equivalents' sentence names it
    equivalents: list[Equivalent]


def load(r: Reader, f: Filters, lang: str) -> OverviewData:
    """Everything the Overview shows for these filters."""
    s = queries.page_summary(r, f)
    before = f.comparison_period()
    change = stats.deltas(s, queries.page_summary(r, before)) if before else {}
    against = t("delta.short", lang) if before else ""
    cards = [
        Card(
            label=t(c["label"], lang), value=c["value"], note=c["note"], help=c["help"],
            key=c["key"] or "", against=against,
            delta=_delta(change.get(c["key"]), c["key"], s, lang) if c["key"] else None,
        )
        for c in views.overview_cards(s, ecosystem.carbon_stored(r, f, "trees"), lang)
    ]  # fmt: skip
    tonnes = [s[f"co2e_avoided_kg{b}"] / 1000 for b in stats.BANDS]
    first, last = queries.event_days(r)
    grain = views.trend_grain(f.date_from, f.date_to, first, last)
    trend, insight = views.carbon_trend(pagedata.carbon_series(r, f, grain, ()), grain, lang)
    targets = views.target_progress(pagedata.progress(r, f), queries.projects(r, f), lang)
    equivalents = views.equivalents(load_equivalents(DEFAULT_REFERENCE), tonnes[0], lang)
    return OverviewData(
        compared=views.comparison_words(f, before, lang) if before else "",
        cards=cards,
        trend=Chart(
            name="carbon-trend",
            title=t("overview.trend", lang, grain=t(f"grain.{grain}", lang)),
            insight=insight,
            figure=charts.carbon_band(
                trend, t("kpi.co2e", lang), t("chart.range", lang), lang, height=270
            )
            if len(trend)
            else None,
            frame=views.readable(
                trend, lang, ["label", "count_actions", "co2e_t", "co2e_t_low", "co2e_t_high"]
            ),
            empty=empty_text("empty.actions", f, lang),
        ),
        targets=[Target(min(float(x.share), 1.0), x.text) for x in targets.itertuples()],
        targets_empty=empty_text("empty.targets", f, lang),
        carbon=fmt.carbon_parts(*tonnes, lang)[0],
        equivalents=[Equivalent(x.text, x.name, x.factor) for x in equivalents.head(3).itertuples()]
        if tonnes[0] > 0
        else [],
    )


def _delta(change: tuple[float, float | None] | None, key: str, s: dict, lang: str) -> str | None:
    """The change of one card against the comparison period, hidden where it would give away a
    count of fewer than k people (a small count now or before)."""
    if change is None or change[1] is None:
        return None
    if key == "users_active" and fmt.is_suppressed(int(s[key] - change[0])):
        return None
    if key == "users_active" and fmt.is_suppressed(int(s[key])):
        return None
    return fmt.percent_change(change[1], lang)
