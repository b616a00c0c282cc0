"""Actions (program managers): which actions, regions and partner brands drive energy and carbon."""

import streamlit as st

from greenstats.screens import actions
from greenstats.ui import frame as ui

f, applies = ui.page_filters()
ui.page_header("page.actions", f, applies)
cards = st.container()
ui.check_choice("grain", ui.tr("actions.grain"), [ui.tr(f"grain.by_{g}") for g in actions.GRAINS])
grain = st.segmented_control(
    ui.tr("actions.grain"),
    actions.GRAINS,
    default=ui.cached(actions.default_grain, f),
    key="grain",
    bind="query-params",
    format_func=lambda g: ui.tr(f"grain.by_{g}"),
    required=True,
)
data = ui.cached(actions.load, f, ui.lang(), grain)
with cards:
    ui.cards(data.cards)

left, right = st.columns(2, gap="large")
with left:
    ui.chart(data.carbon)
with right:
    ui.chart(data.energy)
ui.chart(data.shares)
left, right = st.columns(2, gap="large")
with left:
    ui.chart(data.regions)
with right:
    ui.chart(data.brands)
ui.chart(data.users)
ui.note(data.users_note)
