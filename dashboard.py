"""greenstats' dashboard script, which `streamlit run app.py` serves (app.py adds the guard in
front of the files). Page config, sign-in and role, first-start demo build, language, the one
filter bar (bound to the URL), navigation. Each page says which filters apply to it; a role
says which pages exist for the viewer."""

import streamlit as st

from greenstats.screens import SCREENS
from greenstats.ui import frame as ui

st.set_page_config(page_title="greenstats", page_icon="🌳", layout="wide")
ui.style()
ui.language_switch()
viewer = ui.viewer()  # not signed in, no role, or a broken access file: the run stops here
ui.ensure_warehouse()
ui.pin_snapshot()
ui.check_partners(viewer)  # an access file naming no partner of the warehouse closes it

pages: dict[str, list] = {}
applies: dict[str, frozenset[str]] = {}
for screen in SCREENS:  # one list of pages: the tests and the benchmark read the same
    if not viewer.role.may_open(screen.name):
        continue
    default = screen.name == "overview"  # at `/`; `/overview` leads there (elsewhere_pages)
    page = st.Page(f"pages/{screen.name}.py", title=ui.tr(screen.title_key), icon=screen.icon,
                   url_path="" if default else screen.name, default=default)  # fmt: skip
    pages.setdefault(ui.tr(screen.section), []).append(page)
    applies[page.url_path] = screen.applies
# Every other link gets the app's own words (a page not the role's, /overview, no such page),
# never Streamlit's "page not found" dialog; hidden from the menu.
overview = next(p for section in pages.values() for p in section if p.url_path == "")
names = [s.name for s in SCREENS]
hidden = ui.elsewhere_pages(viewer, names, "pages/overview.py", overview.title)
next(iter(pages.values())).extend(hidden)

current = st.navigation(pages, position="top")
ui.audit_page_refused(viewer, [s.name for s in SCREENS])  # a link to a page not theirs
page_applies = applies.get(current.url_path, frozenset())
st.session_state["_page"] = current.url_path or "overview"
ui.account(viewer)
st.session_state["filters"] = ui.filter_bar(page_applies)
st.session_state["applies"] = page_applies
ui.demo_banner()
ui.access_banner(viewer)
current.run()
