"""The headline figures: every metric of docs/CONTRACT.md (Metric definitions) for one set of
filters, as `greenstats summary` prints them (exact users) and as pages show them (users from the
sketches, rounded)."""

from __future__ import annotations

from greenstats.data.methodology import Reference
from greenstats.data.warehouse import Reader
from greenstats.metrics import catalog, privacy, sketch, stats
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries.activity import actions_by_action, brands_count
from greenstats.metrics.queries.base import once, reference_frames
from greenstats.metrics.queries.people import (
    users_active_exact,
    users_active_sketch,
    users_histogram,
)
from greenstats.metrics.queries.program import (
    area_species,
    plantings,
    projects,
    protected_areas,
    redemptions_by_species,
    surveys,
)


def summary_inputs(
    r: Reader,
    f: Filters,
    *,
    exact_users: bool = False,
    reference: Reference | None = None,
    users: int | None = None,
) -> stats.SummaryInputs:
    """Everything `stats.summary` needs for one set of filters (`users`: the distinct users
    when the caller has counted them already)."""
    if reference is None:
        ref_actions, ref_species = reference_frames(r)
    else:
        ref_actions, ref_species = reference.actions, reference.species
    if users is None:
        users = users_active_exact(r, f) if exact_users else users_active_sketch(r, f)
    return stats.SummaryInputs(
        actions_by_action=actions_by_action(r, f),
        users_active=users,
        brands=brands_count(r, f),
        redemptions=redemptions_by_species(r, f),
        plantings=plantings(r, f),
        surveys=surveys(r, f),
        projects=projects(r, f),
        protected_areas=protected_areas(r, f),
        area_species=area_species(r, f),
        ref_actions=ref_actions,
        ref_species=ref_species,
        as_of=f.as_of,
    )


def summary(
    r: Reader, f: Filters, *, exact_users: bool = True, reference: Reference | None = None
) -> dict[str, float | int]:
    """The metrics of docs/CONTRACT.md (Metric definitions) for the filters (exact user count
    unless asked otherwise)."""
    return catalog.summary(summary_inputs(r, f, exact_users=exact_users, reference=reference))


def page_summary(r: Reader, f: Filters) -> dict[str, float | int]:
    """The summary as pages show it: distinct users from the sketches, never from raw events,
    and rounded as every count of people a page shows (`privacy.rounded`; once per reader and
    filters: the Overview and Actions pages both show it)."""

    def compute() -> dict[str, float | int]:
        histogram = users_histogram(r, f)
        users = round(sketch.estimate_from_histogram(histogram))
        s = catalog.summary(summary_inputs(r, f, users=users))
        cell = privacy.sketch_cell("users_active", histogram)
        return s | {"users_active": privacy.rounded(users, cell, privacy.seed(r.warehouse))}

    return dict(once(r, ("page_summary", f), compute))
