"""Funnel (program managers): where energy goes after it is issued, and where it waits."""

from greenstats.screens import funnel
from greenstats.ui import frame as ui

f, applies = ui.page_filters()
data = ui.cached(funnel.load, f, ui.lang())
ui.page_header("page.funnel", f, applies)
if data.empty:
    ui.notice(data.empty)
ui.cards(data.cards, per_row=len(data.cards))
ui.note(data.note)

ui.heading(data.backlog.title)
ui.note(data.backlog_as_of)
ui.chart(data.backlog, title=False)
ui.table(data.table)
