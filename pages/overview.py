"""Overview (executives): the headline figures, readable in ten seconds."""

import streamlit as st

from greenstats import fmt, ui
from greenstats.filters import Filters

lang = ui.lang()
info = ui.info()
filters = Filters()
s = ui.query("page_summary", filters)

st.title(ui.tr("overview.heading"))
st.caption(
    ui.tr(
        "app.as_of",
        latest=info.get("latest_event_day", "–"),
        snapshot=info.get("snapshot", "–"),
        methodology=info.get("methodology_version", "–"),
    )
)

row1 = st.columns(4)
ui.kpi(
    row1[0],
    "kpi.users",
    fmt.people(s["users_active"], lang),
    help_text=ui.tr("help.exact", value=fmt.people_exact(s["users_active"], lang)),
)
ui.kpi(
    row1[1],
    "kpi.actions",
    fmt.compact_quantity(s["actions"], "unit.actions", lang),
    help_text=ui.tr("help.exact", value=fmt.number(s["actions"], lang)),
)
ui.kpi(
    row1[2],
    "kpi.co2e",
    fmt.carbon(
        s["co2e_avoided_kg"] / 1000,
        s["co2e_avoided_kg_low"] / 1000,
        s["co2e_avoided_kg_high"] / 1000,
        lang,
    ),
)
ui.kpi(
    row1[3],
    "kpi.trees",
    fmt.compact_quantity(s["trees_planted"], "unit.trees", lang),
    help_text=ui.tr("help.exact", value=fmt.number(s["trees_planted"], lang)),
)
row2 = st.columns(4)
ui.kpi(
    row2[0],
    "kpi.trees_surviving",
    fmt.compact_quantity(s["trees_surviving_est"], "unit.trees", lang),
)
ui.kpi(row2[1], "kpi.area", fmt.quantity(s["area_planted_ha"], "unit.ha", lang))
ui.kpi(row2[2], "kpi.coastal", fmt.quantity(s["coastal_area_ha"], "unit.ha", lang, 1))
ui.kpi(row2[3], "kpi.species", fmt.quantity(s["species_protected"], "unit.species", lang))
