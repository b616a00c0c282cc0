"""Funnel (program managers): where energy goes after it is issued, and where it waits."""

import streamlit as st

from greenstats import ui
from greenstats.screens import funnel

f, applies = ui.page_filters()
data = ui.cached(funnel.load, f, ui.lang())
ui.page_header("page.funnel", f, applies)
if data.empty:
    st.info(data.empty, icon=":material/info:")
ui.cards(data.cards, per_row=len(data.cards))
st.caption(data.note)

st.subheader(data.backlog.title)
st.caption(data.backlog_as_of)
ui.chart(data.backlog, title=False)
ui.table(data.table)
