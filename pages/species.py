"""Species protected: the protected areas, the species they shelter, and which are threatened."""

import streamlit as st

from greenstats.screens import species
from greenstats.ui import frame as ui

f, applies = ui.page_filters()
data = ui.cached(species.load, f, ui.lang())
ui.page_header("page.species", f, applies)
if data.nothing:
    ui.notice(data.nothing)
    st.stop()
ui.cards(data.cards)

left, right = st.columns([3, 2], gap="large")
with left:
    ui.chart(data.areas_map)
with right:
    ui.chart(data.by_category)
    ui.chart(data.by_group)
ui.table(data.threatened)
