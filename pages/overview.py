"""Overview (executives): how big is the impact, is it growing, are we on target: ten seconds."""

import streamlit as st

from greenstats import charts, fmt, stats, ui, views
from greenstats.methodology import load_equivalents
from greenstats.warehouse import DEFAULT_REFERENCE

f, applies = ui.page_filters()
lang = ui.lang()
s = ui.query("page_summary", f)
before = f.previous_period()
change = stats.deltas(s, ui.query("page_summary", before)) if before else {}
compared = (
    ui.tr("delta.explained", days=fmt.number((f.date_to - f.date_from).days + 1, lang),
          period=ui.period_words(before.date_from, before.date_to))
    if before else ""
)  # fmt: skip
ui.page_header("overview.heading", f, applies, note=compared)
tonnes = [s[f"co2e_avoided_kg{b}"] / 1000 for b in stats.BANDS]
carbon = fmt.carbon_parts(*tonnes, lang)[0]
with st.container(key="kpis"):
    for i, card in enumerate(views.overview_cards(s, lang)):
        if i % 4 == 0:
            row = st.columns(4)
        ui.kpi(
            row[i % 4],
            card["label"],
            card["value"],
            note=card["note"],
            change=change.get(card["key"]),
            help_text=card["help"],
        )

grain = views.trend_grain(f.date_from, f.date_to, *ui.data_days())
trend, insight = views.carbon_trend(ui.query("carbon_series", f, grain, ()), grain, lang)

left, right = st.columns([3, 2], gap="large")
with left:
    fig = (
        charts.time_band(
            trend,
            x="period",
            y="co2e_t",
            low="co2e_t_low",
            high="co2e_t_high",
            hover="hover",
            name=ui.tr("kpi.co2e"),
            band_name=ui.tr("chart.range"),
            y_title=ui.tr("unit.t_co2e"),
            height=270,
        )
        if len(trend)
        else None
    )
    ui.chart_block(
        ui.tr("overview.trend", grain=ui.tr(f"grain.{grain}")),
        insight,
        fig,
        trend.drop(columns=["hover"]),
        "carbon-trend",
        empty=ui.tr("empty.actions"),
    )
with right:
    st.subheader(ui.tr("overview.targets"))
    targets = views.target_progress(ui.query("progress", f), ui.query("projects", f), lang)
    if targets.empty:
        ui.empty("empty.targets")
    for item in targets.itertuples():
        st.progress(min(item.share, 1.0), text=item.text)
    st.subheader(ui.tr("overview.equivalents"))
    st.caption(ui.tr("overview.equivalents_of", carbon=carbon))
    equivalents = views.equivalents(load_equivalents(DEFAULT_REFERENCE), tonnes[0], lang)
    for item in equivalents.head(3).itertuples():
        st.markdown(f"**{item.text}**  \n:gray[{item.name} · {item.factor}]")
    st.page_link(
        "pages/methodology.py", label=ui.tr("overview.how_measured"), icon=":material/menu_book:"
    )
