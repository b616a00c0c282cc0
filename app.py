"""greenstats: the entry point. Page config, first-start demo build, navigation."""

import streamlit as st

from greenstats import ui

st.set_page_config(page_title="greenstats", page_icon=":material/forest:", layout="wide")

ui.ensure_warehouse()

overview = st.Page(
    "pages/overview.py", title=ui.tr("page.overview"), icon=":material/dashboard:", default=True
)
page = st.navigation([overview])
ui.demo_banner()
page.run()
