"""Projects (NGO partners): one project's truth for a donor report — or all of a partner's.

The page's two pickers (partner, project) are bound to the link; `partners` and
`project_labels` give their options, `load` everything shown for what they picked.

The parts: `listing` (all of a partner's projects), `project` (one project, as its NGO
reports it to a donor) and `pace` (targets and pace in words). Names with a leading
underscore are shared between the parts only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from greenstats.data.warehouse import Reader
from greenstats.metrics import alerts, stats
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import alerting, naming, program
from greenstats.screens.projects.listing import ProjectList, _listing
from greenstats.screens.projects.project import ProjectView, _project
from greenstats.ui import alert_words, words
from greenstats.ui.blocks import Attention
from greenstats.ui.i18n import t


@dataclass(frozen=True)
class ProjectsData:
    listing: ProjectList | None  # when no project is picked
    project: ProjectView | None  # when one is


# --- the pickers' options ---------------------------------------------------------------------


def partners(r: Reader, f: Filters, lang: str) -> dict[str, str]:
    """Every partner running a project or a protected area → its name as shown, by that name."""
    shown = _names(r, "partners", lang)
    codes = program.partners(r, f)
    return dict(sorted(((p, shown.get(p) or p) for p in codes), key=lambda kv: kv[1]))


def project_labels(r: Reader, f: Filters, lang: str, partner: str | None) -> dict[str, str]:
    """The partner's projects (everyone's without one) → 'name · id', as the picker shows them
    and the link carries them."""
    projects = program.projects(r, f.all_time())
    if partner:
        projects = projects[projects["partner"] == partner]
    names = naming.display_names(r, "projects", lang)
    return {p: f"{names.get(p) or n} · {p}"
            for p, n in zip(projects["project_id"], projects["name"], strict=True)}  # fmt: skip


def _report(r: Reader, f: Filters) -> dict[str, pd.DataFrame]:
    """Everything the page shows for the projects the filters select, from the start."""
    whole = f.all_time()
    projects = program.projects(r, whole)
    planted_rows = program.planted(r, whole)
    adopted = program.adoptions_total(r, whole)
    return {
        "projects": projects,
        "progress": stats.project_progress(projects, planted_rows, adopted, f.as_of),
        "planted": planted_rows,
        "surveys": program.surveys(r, whole),
        "adoptions": adopted,
    }


def _names(r: Reader, kind: str, lang: str) -> dict[str, str]:
    """Code → the name a reader sees; raw names until naming.display_names knows the kind."""
    try:
        return naming.display_names(r, kind, lang)
    except KeyError:  # until display_names has partners
        return {}


# --- load -------------------------------------------------------------------------------------


def load(r: Reader, f: Filters, lang: str, partner: str | None, project: str | None
         ) -> ProjectsData:  # fmt: skip
    """Everything the Projects page shows: one project when one is picked, else the list (a
    signed-in partner's own when none is picked)."""
    partner = f.partner or partner
    report = _report(r, f)
    names = {
        "projects": naming.display_names(r, "projects", lang),
        "partners": _names(r, "partners", lang),
        "species": naming.display_names(r, "species", lang),
    }
    projects = report["projects"].copy()
    pairs = zip(projects["project_id"], projects["name"], strict=True)
    projects["shown_name"] = [names["projects"].get(p) or n for p, n in pairs]
    projects["partner_name"] = [names["partners"].get(p) or p for p in projects["partner"]]
    if project and project in set(projects["project_id"]):
        view = _project(report, projects, project, names, f, lang)
        return ProjectsData(None, replace(view, attention=needs_attention(r, f, project, names,
                                                                          lang)))  # fmt: skip
    if partner:
        projects = projects[projects["partner"] == partner]
    partner_name = names["partners"].get(partner or "") or partner
    return ProjectsData(_listing(report, projects, partner_name, lang), None)


def needs_attention(r: Reader, f: Filters, project: str, names: dict[str, dict[str, str]],
                    lang: str) -> Attention:  # fmt: skip
    """The alerts about one project (the committed thresholds), as of the filters' day."""
    found = alerts.for_project(
        alerting.alerts_for(r, replace(f, projects=(project,)), alerts.load_config()), project
    )
    empty = t("attention.none_project", lang, day=words.day_words(f.as_of, lang))
    return alert_words.attention(found, names, empty, lang)
