"""greenstats: the entry point. Page config, first-start demo build, language, the one filter
bar (bound to the URL), navigation. Each page says which filters apply to it."""

import streamlit as st

from greenstats import ui

st.set_page_config(page_title="greenstats", page_icon="🌳", layout="wide")
ui.style()
ui.language_switch()
ui.ensure_warehouse()
ui.pin_snapshot()

# (file, title key, icon, filters that apply), in navigation order, by section.
SECTIONS = {
    "nav.impact": [("overview", "page.overview", ":material/dashboard:", {"period", "region"})],
    "nav.program": [
        ("actions", "page.actions", ":material/directions_walk:",
         {"period", "region", "action", "brand"}),
        ("funnel", "page.funnel", ":material/filter_alt:",
         {"period", "region", "project", "species"}),
    ],
    "nav.ecosystems": [
        ("trees", "page.trees", ":material/park:", {"period", "region", "project", "species"}),
        ("species", "page.species", ":material/pets:", {"region"}),
        ("coastal", "page.coastal", ":material/waves:", {"period", "region", "project", "species"}),
    ],
    "nav.partners": [("projects", "page.projects", ":material/handshake:", set())],
    "nav.method": [("methodology", "page.methodology", ":material/menu_book:", set())],
}  # fmt: skip

pages, applies = {}, {}
for section, entries in SECTIONS.items():
    pages[ui.tr(section)] = []
    for name, title, icon, filters in entries:
        page = st.Page(f"pages/{name}.py", title=ui.tr(title), icon=icon, url_path=name,
                       default=name == "overview")  # fmt: skip
        pages[ui.tr(section)].append(page)
        applies[page.url_path] = filters

current = st.navigation(pages, position="top")
page_applies = applies.get(current.url_path, set())
st.session_state["filters"] = ui.filter_bar(page_applies)
st.session_state["applies"] = page_applies
ui.demo_banner()
current.run()
