"""Projects (NGO partners): one project's truth for a donor report — or all of a partner's."""

import streamlit as st

from greenstats.reports import documents, render
from greenstats.screens import projects
from greenstats.ui import frame as ui

f, applies = ui.page_filters()
lang = ui.lang()
ui.page_header("page.projects", f, applies)

partners = ui.cached(projects.partners, f, lang)
ui.check_choice("partner", ui.tr("projects.partner"), partners.values())
pick_partner, pick_project = st.columns(2)
own = f.partner in partners  # a signed-in partner: their own name, the only choice
partner = pick_partner.selectbox(
    ui.tr("projects.partner"), list(partners), index=0 if own else None, key="partner",
    bind="query-params", format_func=partners.get,
    placeholder=ui.tr("projects.all_partners"),
)  # fmt: skip
labels = ui.cached(projects.project_labels, f, lang, partner)
ui.check_choice("p", ui.tr("projects.project"), labels.values())
project = pick_project.selectbox(
    ui.tr("projects.project"), list(labels), index=None, key="p", bind="query-params",
    format_func=labels.get, placeholder=ui.tr("projects.all_of_partner"),
)  # fmt: skip
data = ui.cached(projects.load, f, lang, partner, project)

listing = data.listing
if listing is not None:
    ui.heading(listing.title)
    if not listing.rows:
        ui.notice(listing.empty)
        st.stop()
    ui.say(listing.intro)
    with st.container(key="wide-project-list"):  # a table on a desktop …
        ui.table(listing.table, title=False)
    with st.container(key="phone-project-list"):  # … a bar per project on a phone
        for row in listing.rows:
            ui.bar(row.share, text=row.text)
    ui.chart(listing.sites)
    st.stop()

view = data.project
ui.heading(view.name)
ui.note(view.about)
ui.cards(view.cards)
if view.attention is not None:
    ui.attention(view.attention)
left, right = st.columns(2, gap="large")
with left:
    ui.chart(view.plantings)
with right:
    ui.chart(view.surveys)
ui.chart(view.batches)
ui.heading(ui.tr("projects.download"))
ui.download(view.figures, view.figures_name, label=ui.tr("projects.download_button"))
ui.download_pdf(documents.project, f, lang, project, name=f"project-{project}-{lang}",
                label=ui.tr("report.download_project"),
                unavailable=render.unavailable())  # fmt: skip
