"""Overview (executives): how big is the impact, is it growing, are we on target: ten seconds."""

import streamlit as st

from greenstats.reports import documents, render
from greenstats.screens import overview
from greenstats.ui import frame as ui

f, applies = ui.page_filters()
data = ui.cached(overview.load, f, ui.lang())
ui.page_header("overview.heading", f, applies, note=data.compared)
ui.cards(data.cards)
ui.attention(data.attention)

left, right = st.columns([3, 2], gap="large")
with left:
    ui.chart(data.trend)
with right:
    ui.heading(ui.tr("overview.targets"))
    if not data.targets:
        ui.notice(data.targets_empty)
    for target in data.targets:
        ui.bar(target.share, text=target.text)
    ui.heading(ui.tr("overview.equivalents"))
    if data.equivalents:
        ui.note(ui.tr("overview.equivalents_of", carbon=data.carbon))
    else:
        ui.notice(ui.tr("empty.equivalents"))
    for item in data.equivalents:
        ui.say(item.line)
    st.page_link(
        "pages/methodology.py", label=ui.tr("overview.how_measured"), icon=":material/menu_book:"
    )
    ui.download_pdf(documents.brief, f, ui.lang(), name=f"brief-{ui.lang()}",
                    label=ui.tr("report.download_brief"),
                    unavailable=render.unavailable())  # fmt: skip
