"""Coastal restoration: eelgrass, kelp, mangrove and salt marsh — area, survival, blue carbon."""

import streamlit as st

from greenstats.screens import ecosystem
from greenstats.ui import frame as ui

f, applies = ui.page_filters()
data = ui.cached(ecosystem.load, f, ui.lang(), "coastal")
ui.page_header("page.coastal", f, applies)
ui.cards(data.cards)

left, right = st.columns(2, gap="large")
with left:
    ui.chart(data.by_species)
with right:
    ui.chart(data.carbon)

left, right = st.columns(2, gap="large")
with left:
    ui.chart(data.sites)
with right:
    ui.chart(data.by_region)

# The whole width, so every column of the table fits beside the project's name.
ui.table(data.survival)
