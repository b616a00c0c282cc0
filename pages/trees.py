"""Trees (managers, NGOs): what was planted where and when, what survives, what it stores."""

import streamlit as st

from greenstats.screens import ecosystem
from greenstats.ui import frame as ui

f, applies = ui.page_filters()
data = ui.cached(ecosystem.load, f, ui.lang(), "trees")
ui.page_header("page.trees", f, applies)
ui.cards(data.cards)

left, right = st.columns(2, gap="large")
with left:
    ui.chart(data.by_species)
with right:
    ui.chart(data.by_region)

ui.note(data.history)
left, right = st.columns(2, gap="large")
with left:
    ui.chart(data.seasons)
with right:
    ui.chart(data.cohorts)

left, right = st.columns(2, gap="large")
with left:
    ui.chart(data.years)
with right:
    ui.chart(data.sites)
