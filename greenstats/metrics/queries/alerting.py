"""What the alert checks (`greenstats.metrics.alerts`) read for a set of filters, and the alerts
they find, once per reader."""

from __future__ import annotations

from dataclasses import replace

from greenstats.data.warehouse import Reader
from greenstats.metrics import alerts
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries.base import once, reference_frames
from greenstats.metrics.queries.intake import loads_by_table
from greenstats.metrics.queries.program import (
    adoptions,
    plantings,
    progress,
    projects,
    redeemed_by_day,
    surveys,
)


def alert_inputs(r: Reader, f: Filters) -> alerts.AlertInputs:
    """What the alert checks read for the filters (not cut by period; up to as_of): the
    filters' regions, projects, species and partner narrow every part."""
    whole = f.all_time()
    to_as_of = replace(whole, date_to=f.as_of)
    _, ref_species = reference_frames(r)
    return alerts.AlertInputs(
        projects=projects(r, whole),
        progress=progress(r, whole),
        plantings=plantings(r, to_as_of),
        redeemed=redeemed_by_day(r, to_as_of),
        adoptions=adoptions(r, to_as_of),
        surveys=surveys(r, whole),
        ref_species=ref_species,
        loads=loads_by_table(r, f),
        as_of=f.as_of,
    )


def alerts_for(
    r: Reader, f: Filters, thresholds: alerts.Thresholds | None = None
) -> list[alerts.Alert]:
    """Every alert for the filters, under these thresholds (the committed defaults if none).
    The alerts do not depend on the period (alert_inputs), so changing it reads them again
    from this reader, not the snapshot."""
    thresholds = thresholds or alerts.load_config()

    def compute() -> list[alerts.Alert]:
        return alerts.check_all(alert_inputs(r, f), thresholds)

    return list(once(r, ("alerts_for", f.all_time(), thresholds), compute))
