"""The filters every figure takes (docs/CONTRACT.md, Filters), and the SQL they turn into.

Column names in a WHERE clause come only from `ALLOWED_COLUMNS`; values are always bound as
parameters, never spliced into SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from greenstats.data.contract import LOCAL_TZ


def today_cst() -> date:
    """Today's date in China Standard Time: the default `as_of`."""
    return datetime.now(ZoneInfo(LOCAL_TZ)).date()


#: The filter bar's period presets ("custom" takes its own dates).
PERIODS = ("30d", "this-year", "last-year", "all", "custom")


def period_bounds(period: str, latest: date) -> tuple[date | None, date | None]:
    """A preset's first and last day, counted back from the latest day with data."""
    if period == "30d":
        return latest - timedelta(days=29), latest
    if period == "this-year":
        return date(latest.year, 1, 1), latest
    if period == "last-year":
        return date(latest.year - 1, 1, 1), date(latest.year - 1, 12, 31)
    return None, None


def _year_earlier(d: date) -> date:
    return (
        d.replace(year=d.year - 1, day=28)
        if (d.month, d.day) == (2, 29)
        else d.replace(year=d.year - 1)
    )


@dataclass(frozen=True)
class Filters:
    """A period of whole CST days (both ends included), regions, and the page filters."""

    date_from: date | None = None
    date_to: date | None = None
    regions: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    species: tuple[str, ...] = ()
    as_of: date = field(default_factory=today_cst)
    #: A signed-in partner's name: every query of plantings, surveys, redemptions, projects and
    #: protected areas is cut to that partner's rows. Set by the viewer's role
    #: (metrics/access.py), never from a link.
    partner: str | None = None

    def previous_period(self) -> Filters | None:
        """The period of the same length just before this one (None when unbounded)."""
        if self.date_from is None or self.date_to is None:
            return None
        days = (self.date_to - self.date_from).days + 1
        return replace(
            self,
            date_from=self.date_from - timedelta(days=days),
            date_to=self.date_from - timedelta(days=1),
        )

    def year_before(self) -> Filters | None:
        """The same dates one year earlier (29 Feb becomes 28 Feb)."""
        if self.date_from is None or self.date_to is None:
            return None
        return replace(self, date_from=_year_earlier(self.date_from),
                       date_to=_year_earlier(self.date_to))  # fmt: skip

    def starts_a_year(self) -> bool:
        """Whether the period is a year to date or a whole year (starts on 1 January and ends
        within that year): planting and travel are seasonal, so it compares with last year."""
        return (
            self.date_from is not None
            and self.date_to is not None
            and (self.date_from.month, self.date_from.day) == (1, 1)
            and self.date_to.year == self.date_from.year
        )

    def all_time(self) -> Filters:
        """The same filters without the period (delivery against targets counts from the
        start; a list of names is not cut by period)."""
        return replace(self, date_from=None, date_to=None)

    def comparison_period(self) -> Filters | None:
        """What a change is measured against: the same dates last year for a year (to date),
        else the period of the same length just before; None for an unbounded period."""
        return self.year_before() if self.starts_a_year() else self.previous_period()

    def months(self) -> tuple[str, str] | None:
        """The first and last month ('YYYY-MM') the period touches, for partition pruning."""
        if self.date_from is None and self.date_to is None:
            return None
        lo = self.date_from.strftime("%Y-%m") if self.date_from else "0000-00"
        hi = self.date_to.strftime("%Y-%m") if self.date_to else "9999-99"
        return lo, hi


#: Every column a filter may name: the whitelist for identifiers in generated SQL.
ALLOWED_COLUMNS: frozenset[str] = frozenset(
    {
        "day", "month", "year", "region", "action", "brand_id", "project_id", "species",
        "planted_on", "surveyed_on", "redeemed_at", "partner", "kind", "area_id",
    }
)  # fmt: skip


class Where:
    """A WHERE clause built from whitelisted columns and bound parameters."""

    def __init__(self, alias: str | None = None) -> None:
        self.parts: list[str] = []
        self.params: list[Any] = []
        self.prefix = f"{alias}." if alias else ""
        if alias is not None and not alias.isidentifier():
            raise ValueError(f"bad table alias {alias!r}")

    def _col(self, column: str) -> str:
        if column not in ALLOWED_COLUMNS:
            raise ValueError(f"column {column!r} is not filterable")
        return self.prefix + column

    def between(self, column: str, lo: Any | None, hi: Any | None) -> Where:
        """lo ≤ column ≤ hi, either end optional."""
        col = self._col(column)
        if lo is not None:
            self.parts.append(f"{col} >= ?")
            self.params.append(lo)
        if hi is not None:
            self.parts.append(f"{col} <= ?")
            self.params.append(hi)
        return self

    def isin(self, column: str, values: Iterable[Any]) -> Where:
        """column is one of values (no condition when values is empty)."""
        col, values = self._col(column), list(values)  # refused even with no values
        if values:
            # One placeholder per value: DuckDB pushes a constant IN list into the table scan
            # (a filter on each row group), where IN (SELECT unnest(?)) would be a join.
            marks = ", ".join("?" * len(values))
            self.parts.append(f"{col} IN ({marks})")
            self.params.extend(values)
        return self

    def scope(self, partner: str | None, via: str) -> Where:
        """Only one partner's rows (None: everyone's): by the table's own `partner` column
        (via "self"), or by its project or protected area (via "project", "area")."""
        if partner is not None:
            self.parts.append(_SCOPE[via].format(p=self.prefix))
            self.params.append(partner)
        return self

    def period(self, f: Filters, column: str = "day") -> Where:
        return self.between(column, f.date_from, f.date_to)

    @property
    def sql(self) -> str:
        return ("WHERE " + " AND ".join(self.parts)) if self.parts else ""

    def and_(self) -> str:
        """The conditions for appending to an existing WHERE."""
        return (" AND " + " AND ".join(self.parts)) if self.parts else ""


#: How a table is cut to one partner's rows: fixed SQL, the partner's name bound as a parameter.
_SCOPE = {
    "self": "{p}partner = ?",
    "project": "{p}project_id IN (SELECT project_id FROM stg_projects WHERE partner = ?)",
    "area": "{p}area_id IN (SELECT area_id FROM stg_protected_areas WHERE partner = ?)",
}


def where_actions(f: Filters, alias: str | None = None) -> Where:
    """Action events: by day, region, action, brand."""
    return (
        Where(alias)
        .period(f)
        .isin("region", f.regions)
        .isin("action", f.actions)
        .isin("brand_id", f.brands)
    )


def where_redemptions(f: Filters, alias: str | None = None) -> Where:
    """Redemptions: by day, their project's region, project, species."""
    return (
        Where(alias)
        .period(f)
        .isin("region", f.regions)
        .isin("project_id", f.projects)
        .isin("species", f.species)
        .scope(f.partner, "project")
    )


def where_plantings(f: Filters, alias: str | None = None) -> Where:
    """Plantings: by planted_on, their project's region, project, species."""
    return (
        Where(alias)
        .period(f, "planted_on")
        .isin("region", f.regions)
        .isin("project_id", f.projects)
        .isin("species", f.species)
        .scope(f.partner, "project")
    )


def where_surveys(f: Filters) -> Where:
    """Surveys: not cut by period; up to as_of; by their project's region, project, species."""
    return (
        Where()
        .between("surveyed_on", None, f.as_of)
        .isin("region", f.regions)
        .isin("project_id", f.projects)
        .isin("species", f.species)
        .scope(f.partner, "project")
    )


def where_projects(f: Filters, alias: str | None = None) -> Where:
    """Projects: not cut by period; by their own region and the project filter."""
    return (
        Where(alias)
        .isin("region", f.regions)
        .isin("project_id", f.projects)
        .scope(f.partner, "self")
    )


def where_areas(f: Filters) -> Where:
    """Protected areas and their species: by the area's region."""
    return Where().isin("region", f.regions).scope(f.partner, "area")


def parse_regions(values: Sequence[str]) -> tuple[str, ...]:
    """Region codes from a CLI or URL, upper-cased, in the order given, without repeats."""
    seen: dict[str, None] = {}
    for v in values:
        for part in v.split(","):
            if part.strip():
                seen[part.strip().upper()] = None
    return tuple(seen)
