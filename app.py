"""greenstats' web server: Streamlit's own (`st.App`, served by `streamlit run app.py`) around
the dashboard's script, dashboard.py, with one middleware of greenstats' in front: no file
(`/media/…`) leaves without the signed-in session it was made for (greenstats/ui/server.py)."""

import streamlit as st
from starlette.middleware import Middleware

from greenstats.ui.server import MediaGuard

app = st.App("dashboard.py", middleware=[Middleware(MediaGuard)])
