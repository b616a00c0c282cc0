"""Overview (executives): how big is the impact, is it growing, are we on target: ten seconds."""

import streamlit as st

from greenstats import ui
from greenstats.screens import overview

f, applies = ui.page_filters()
data = ui.cached(overview.load, f, ui.lang())
ui.page_header("overview.heading", f, applies, note=data.compared)
ui.cards(data.cards)

left, right = st.columns([3, 2], gap="large")
with left:
    ui.chart(data.trend)
with right:
    st.subheader(ui.tr("overview.targets"))
    if not data.targets:
        st.info(data.targets_empty, icon=":material/info:")
    for target in data.targets:
        st.progress(target.share, text=target.text)
    st.subheader(ui.tr("overview.equivalents"))
    if data.equivalents:
        st.caption(ui.tr("overview.equivalents_of", carbon=data.carbon))
    else:
        st.info(ui.tr("empty.equivalents"), icon=":material/info:")
    for item in data.equivalents:
        st.markdown(f"**{item.text}**  \n:gray[{item.name} · {item.factor}]")
    st.page_link(
        "pages/methodology.py", label=ui.tr("overview.how_measured"), icon=":material/menu_book:"
    )
