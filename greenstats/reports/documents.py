"""The two reports: the executive brief (the Overview on one page) and one project's report
(its Projects view). Every figure and sentence is one a page shows for the same filters: the
blocks come from the screens' `load`, and this module only lays them out."""

from __future__ import annotations

from datetime import date, datetime

from greenstats.data.warehouse import Reader
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import base
from greenstats.reports import render
from greenstats.reports.render import ReportError
from greenstats.screens import overview, projects
from greenstats.ui import geo, words
from greenstats.ui.blocks import Attention, Card, Chart, empty_text, is_empty
from greenstats.ui.i18n import t

#: Chart heights on the page, in mm (the PNG keeps the figure's own aspect).
TREND_MM, PROJECT_CHART_MM, MAP_MM = 62.0, 31.0, 40.0
#: Alerts the one-page brief lists (critical first); it says how many more the Overview has.
BRIEF_ALERTS = 4


def brief(r: Reader, f: Filters, lang: str) -> bytes:
    """The executive brief: the Overview's eight cards with their change and note, the carbon
    trend, targets progress and everyday equivalents, for these filters."""
    data = overview.load(r, f, lang)
    page = _page(r, f, lang)
    page.title_block(t("report.brief_title", lang), [_scope(f, lang), data.compared])
    if _nothing(data.cards, lang):
        page.notice(empty_text("report.no_data", f, lang))
    page.cards([_card(c) for c in data.cards])
    _attention(page, data.attention, lang, most=BRIEF_ALERTS)
    page.heading(data.trend.title)
    images = _images([] if is_empty(data.trend) else [data.trend], TREND_MM)
    _chart(page, data.trend, TREND_MM, images)
    page.heading(t("overview.targets", lang))
    if not data.targets:
        page.para(data.targets_empty, grey=True)
    for target in data.targets:
        page.bar(target.share, target.text)
    page.heading(t("overview.equivalents", lang))
    if data.equivalents:
        page.para(t("overview.equivalents_of", lang, carbon=data.carbon), grey=True)
        for item in data.equivalents:
            page.para(f"{item.text} — {item.name} ({item.factor})")
    else:
        page.para(t("empty.equivalents", lang), grey=True)
    return bytes(page.output())


def project(r: Reader, f: Filters, lang: str, project_id: str) -> bytes:
    """One project's report: delivered against target, pace, survival by survey, carbon stored
    with its range, plantings over time and where they were planted (the page's map and the
    list of batches). Refused for a project the filters (a partner's) do not hold."""
    view = projects.load(r, f, lang, None, project_id).project
    if view is None:
        raise ReportError(t("report.unknown_project", lang, project=project_id))
    page = _page(r, f, lang)
    scope = t("report.project_scope", lang, as_of=words.day_words(f.as_of, lang))
    page.title_block(view.name, [t("report.project_title", lang), view.about, scope])
    page.cards([_card(c) for c in view.cards])
    if view.attention is not None:
        _attention(page, view.attention, lang)
    charts = [c for c in (view.plantings, view.surveys) if not is_empty(c)]
    site_map = None if is_empty(view.batches) else view.batches
    images = _images(charts, PROJECT_CHART_MM, site_map)
    page.heading(view.plantings.title)
    _chart(page, view.plantings, PROJECT_CHART_MM, images)
    page.heading(view.surveys.title)
    _chart(page, view.surveys, PROJECT_CHART_MM, images, table=True)
    page.heading(t("report.sites", lang), room=MAP_MM + 6)
    if is_empty(view.batches):
        page.para(view.batches.empty, grey=True)
    else:
        if view.batches.name in images:
            page.image_png(images[view.batches.name], MAP_MM)
        page.para(view.batches.insight, 8.5, grey=True)
        page.grid(view.batches.frame)
    return bytes(page.output())


def _images(charts: list[Chart], height_mm: float, site_map: Chart | None = None
            ) -> dict[str, bytes]:  # fmt: skip
    """Chart name → its PNG, all drawn in one browser (starting it is most of the time). The
    map (MapLibre on the outlines the app ships, no tiles) needs WebGL: where the browser has
    none, the report lists the sites without it."""
    drawn = [*charts, site_map] if site_map else charts
    heights = [height_mm] * len(charts) + [MAP_MM]
    try:
        pngs = render.png([c.figure for c in drawn], heights[: len(drawn)])
    except ReportError:
        raise
    except Exception:
        if not site_map:
            raise
        drawn = charts
        pngs = render.png([c.figure for c in drawn], heights[: len(drawn)])
    return dict(zip([c.name for c in drawn], pngs, strict=True))


def _page(r: Reader, f: Filters, lang: str) -> render.Page:
    info = base.snapshot_info(r)
    latest = info.get("latest_event_day")
    built = info.get("built_at")
    footer = t(
        "report.footer", lang, methodology=info.get("methodology_version", "?"),
        snapshot=info.get("snapshot", "?"),
        built=_when(built, lang) if built else "?",
        latest=words.day_words(date.fromisoformat(latest), lang) if latest else "–",
        as_of=words.day_words(f.as_of, lang),
    )  # fmt: skip
    return render.Page(footer, t("report.page", lang, page="{page}", pages="{pages}"))


def _when(stamp: str, lang: str) -> str:
    moment = datetime.fromisoformat(stamp)
    return f"{words.day_words(moment.date(), lang)} {moment:%H:%M} UTC"


def _scope(f: Filters, lang: str) -> str:
    """The filters in words: 'Period: 1 Jan – 30 Jun 2026 · Regions: Gansu'."""
    regions = (
        ("、" if lang == "zh" else ", ").join(geo.region_name(c, lang) for c in f.regions)
        if f.regions
        else t("report.all_regions", lang)
    )
    text = t("report.scope", lang, period=words.period_words(f.date_from, f.date_to, lang),
             regions=regions)  # fmt: skip
    if f.partner:
        text += " · " + t("report.partner", lang, partner=f.partner)
    return text


def _attention(page: render.Page, block: Attention, lang: str, most: int | None = None) -> None:
    """The alerts, critical first; past `most`, how many more there are, in words."""
    items = sorted(block.items, key=lambda i: i.severity != "critical")
    shown = items if most is None else items[:most]
    page.attention(block.title, [(i.severity, i.text) for i in shown], block.empty)
    if len(items) > len(shown):
        rest = items[len(shown) :]
        critical = sum(i.severity == "critical" for i in rest)
        page.para(t("report.more_alerts", lang, n=len(rest), critical=critical), 8.5, grey=True)


def _card(card: Card) -> tuple[str, str, str, str]:
    change = f"{card.delta} {card.against}".strip() if card.delta else ""
    return card.label, card.value, change, card.note


def _nothing(cards: list[Card], lang: str) -> bool:
    """Whether every card that can say 'nothing recorded' says it."""
    none = t("kpi.none_value", lang)
    shown = [c for c in cards if c.key in overview.NOTHING_RECORDED]
    return bool(shown) and all(c.value == none for c in shown)


def _chart(page: render.Page, chart: Chart, height_mm: float, images: dict[str, bytes],
           table: bool = False) -> None:  # fmt: skip
    """A chart's image and its one sentence, or the sentence saying why there is none; with
    `table`, its numbers under it too."""
    if is_empty(chart):
        page.para(chart.empty, grey=True)
        return
    page.image_png(images[chart.name], height_mm)
    if chart.insight:
        page.para(chart.insight, 8.5, grey=True)
    if table:
        page.grid(chart.frame)
