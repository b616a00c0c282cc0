"""greenstats' web server: Streamlit's own (`st.App`, served by `streamlit run app.py`) around
the dashboard's script, dashboard.py, with one middleware of greenstats' in front: no file
(`/media/…`) leaves without the signed-in session it was made for (greenstats/ui/server.py)."""

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from greenstats.ui.server import MediaGuard

# The pages are dashboard.py's st.navigation, from the first request on. Left to itself,
# Streamlit reads the pages/ folder alone until a script has called st.navigation once (its
# legacy mode), and answers a first link to no page with its own "Page not found" dialog.
PagesManager.uses_pages_directory = False

app = st.App("dashboard.py", middleware=[Middleware(MediaGuard)])
