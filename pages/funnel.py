"""Funnel (program managers): where energy goes after it is issued, and where it waits."""

import streamlit as st

from greenstats import charts, fmt, ui, views

f, applies = ui.page_filters()
lang = ui.lang()
ui.page_header("page.funnel", f, applies)

cards = views.funnel_cards(ui.query("funnel", f), lang)
with st.container(key="kpis"):
    columns = st.columns(len(cards))
    for column, card in zip(columns, cards, strict=True):
        with column.container(border=True):
            st.metric(card["label"], card["value"], help=ui.tr(f"funnel.help_{card['stage']}"))
            st.caption(card["note"] or "\u00a0")
st.caption(ui.tr("funnel.note", m2=fmt.quantity(ui.query("protection", f), "unit.m2", lang)))

species_names = ui.names("species")
backlog, insight = views.backlog_table(ui.query("backlog", f), species_names, lang)
st.subheader(ui.tr("funnel.backlog"))
st.caption(ui.tr("funnel.backlog_as_of", day=ui.day_words(f.as_of)))
waiting = backlog[backlog["backlog_units"] > 0].sort_values("backlog_units", ascending=False)
if waiting.empty:
    ui.empty("insight.no_backlog")
else:
    st.markdown(insight)
    top = waiting.head(15).assign(
        label=lambda d: d["name"] + " · " + d["species_name"],
        hover=lambda d: [
            f"<b>{n}</b><br>{ui.tr('funnel.waiting', units=fmt.quantity(u, 'unit.units', lang))}"
            f"<br>{ui.tr('funnel.oldest', months=fmt.number(m, lang, 1))}"
            for n, u, m in zip(d["label"], d["backlog_units"], d["age_months"], strict=True)
        ],
    )
    fig = charts.bars(
        top,
        category="label",
        value="backlog_units",
        hover="hover",
        value_title=ui.tr("unit.units"),
        color=charts.OKABE_ITO[3],
    )
    ui.plotly(fig, key="backlog-chart")

st.subheader(ui.tr("funnel.per_project"))
table = backlog.rename(
    columns={
        "name": ui.tr("col.project"),
        "partner": ui.tr("col.partner"),
        "species_name": ui.tr("col.species"),
        "units_adopted": ui.tr("col.adopted"),
        "units_planted": ui.tr("col.planted"),
        "backlog_units": ui.tr("col.backlog"),
        "age_months": ui.tr("col.backlog_age"),
    }
)[
    [
        ui.tr(c)
        for c in (
            "col.project",
            "col.partner",
            "col.species",
            "col.adopted",
            "col.planted",
            "col.backlog",
            "col.backlog_age",
        )
    ]
]
st.dataframe(
    table.sort_values(ui.tr("col.backlog"), ascending=False),
    hide_index=True,
    width="stretch",
    column_config=ui.number_columns(table),
)
ui.download(table, "funnel-projects")
