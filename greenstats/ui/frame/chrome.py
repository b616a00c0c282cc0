"""What stands around every page: the first start's build progress (until the demo warehouse
is published), the app's small stylesheet, and the banner of the synthetic demo data."""

from __future__ import annotations

from typing import Any

import streamlit as st

from greenstats.data.warehouse import Warehouse, WarehouseError
from greenstats.ui import fmt
from greenstats.ui.frame.door import broken, info
from greenstats.ui.frame.text import lang, md, tr


def ensure_warehouse() -> None:
    """On first start, until the demo warehouse is published: its build's progress in plain
    words, and nothing else (no page list, no filter). The build is the one the server started
    (app.py), or, when none did (a script run without app.py), one started here: never two."""
    from greenstats.data.bootstrap import start_demo_build

    warehouse = Warehouse()
    try:
        if warehouse.current() is not None:
            return
        build = start_demo_build(warehouse.root)
    except WarehouseError as exc:
        broken(exc)
    if build is None:  # published between the two looks
        return
    if build.error:
        st.error(md(tr("app.build_failed", message=build.error)), icon=":material/error:")
        st.stop()
    st.info(tr("app.first_start", events=fmt.number(build.events, lang())))
    _build_progress(build)
    st.stop()


@st.fragment(run_every=1.0)
def _build_progress(build: Any) -> None:
    """The build's bar, redrawn every second; the whole page runs again once it is done."""
    from greenstats.ui.words import build_progress

    try:
        published = Warehouse(build.warehouse.root).current() is not None
    except WarehouseError:
        published = False
    if published or (build.finished and not build.elsewhere):
        st.rerun(scope="app")
    if build.elsewhere:
        st.info(tr("app.building_elsewhere"))
        return
    progress = build.progress
    st.progress(min(progress.share, 1.0), text=build_progress(progress, lang()))


STYLE = """
<style>
/* greenstats: tighter top of page, headline figures that fit their cards. */
.block-container { padding-top: 4.2rem; }
h1 { font-size: 2.1rem !important; padding-top: 0.2rem !important; }
[data-testid="stMetricValue"] { font-size: 1.85rem; }
.st-key-demo-banner, .st-key-access-banner { margin-bottom: -0.6rem; }
[class*="st-key-phone-"] { display: none; }
/* Cards of one row share a height; long labels wrap instead of being cut. */
.st-key-kpis [data-testid="stColumn"] > [data-testid="stVerticalBlock"]
  > [data-testid="stLayoutWrapper"],
.st-key-kpis [data-testid="stLayoutWrapper"] > [data-testid="stVerticalBlock"] { flex: 1 1 auto; }
[data-testid="stMetricLabel"] p { white-space: normal; overflow: visible; text-overflow: clip; }
@media (max-width: 640px) {
  h1 { font-size: 1.6rem !important; }
  [data-testid="stMetricValue"] { font-size: 1.35rem; }
  /* Tables with a phone layout: the wide one on a desktop, the short one on a phone. */
  [class*="st-key-wide-"] { display: none; }
  [class*="st-key-phone-"] { display: block; }
  /* Headline cards two to a row on a phone. */
  .st-key-kpis [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  .st-key-kpis [data-testid="stColumn"] {
    min-width: calc(50% - 0.25rem) !important; flex: 1 1 calc(50% - 0.25rem) !important;
  }
}
</style>
"""


def style() -> None:
    """The app's small stylesheet (static: no data ever goes into it)."""
    st.html(STYLE)


def demo_banner() -> None:
    """Say plainly when the figures come from the synthetic demo data set."""
    if info().get("demo") == "true":
        with st.container(key="demo-banner"):
            st.markdown(f":orange-badge[:material/science: {tr('app.demo_badge')}] "
                        f":small[{tr('app.demo_banner')}]")  # fmt: skip
