"""greenstats' web server: Streamlit's own (`st.App`, served by `streamlit run app.py`) around
the dashboard's script, dashboard.py, with one middleware of greenstats' in front: no file
(`/media/…`) leaves without the signed-in session it was made for (greenstats/ui/server.py).

On first start (no warehouse yet), the server starts building the demo data set as it starts,
not when the first page is opened, and says so in the terminal (greenstats/data/bootstrap.py);
a page opened meanwhile shows that build's progress."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from greenstats.data import bootstrap
from greenstats.data.warehouse import WarehouseError
from greenstats.ui.server import MediaGuard

# The pages are dashboard.py's st.navigation, from the first request on. Left to itself,
# Streamlit reads the pages/ folder alone until a script has called st.navigation once (its
# legacy mode), and answers a first link to no page with its own "Page not found" dialog.
PagesManager.uses_pages_directory = False


def _terminal(line: str) -> None:
    print(line, flush=True)


def _url() -> str:
    """The address the server answers at, as Streamlit's own start message gives it."""
    from streamlit import config
    from streamlit.web.server.server_util import get_url

    address = config.get_option("server.address")
    return get_url(address if address and address not in {"0.0.0.0", "::"} else "localhost")


@asynccontextmanager
async def first_start(_app: st.App) -> AsyncIterator[None]:
    """With no warehouse yet, the demo build starts with the server; it stops with it."""
    try:
        bootstrap.start_demo_build(say=_terminal, url=_url())
    except WarehouseError as exc:  # the pages say it too, in the reader's language
        _terminal(f"greenstats: {exc}")
    try:
        yield
    finally:
        bootstrap.stop_demo_builds()


app = st.App("dashboard.py", middleware=[Middleware(MediaGuard)], lifespan=first_start)
