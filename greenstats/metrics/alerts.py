"""Alerts: what needs attention in a snapshot, as pure functions over frames.

Each check takes the frames `queries.alerting.alert_inputs` reads and the thresholds of the config
(`alerts.toml` beside this module, overridden by a file of the same shape) and returns a list
of `Alert`. The definitions are in docs/ALERTS.md; nothing here reads a database.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import tomllib
from dataclasses import dataclass, fields
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from greenstats.metrics import stats

#: The committed defaults: every key a config file may set.
DEFAULTS_FILE = Path(__file__).with_name("alerts.toml")

#: The kinds, in the order alerts are listed.
KINDS = (
    "behind_plan",
    "survival_below_default",
    "survival_falling",
    "data_late",
    "rejects_jump",
    "backlog_old",
)

#: The severities, the gravest first: the order alerts are listed in (`ordered`).
SEVERITIES = ("critical", "warning")


class ConfigError(ValueError):
    """A config file that cannot be used: the message is one sentence naming the key."""


@dataclass(frozen=True)
class Thresholds:
    """The thresholds every check takes (defaults: alerts.toml; docs/ALERTS.md)."""

    behind_critical_share: float
    behind_critical_within_days: int
    survival_below_default_by: float
    survival_drop: float
    survival_min_z: float
    survival_min_sampled: int
    freshness_factor: float
    freshness_min_gaps: int
    freshness_min_days: int
    freshness_critical_days: int
    rejects_jump: float
    rejects_min_rows: int
    backlog_max_age_days: int
    backlog_critical_units: float


#: The config's "section.key" → (Thresholds field, kind of value, lowest allowed, highest).
CONFIG_KEYS: dict[str, tuple[str, type, float, float]] = {
    "behind_plan.critical_share": ("behind_critical_share", float, 0.0, 1.0),
    "behind_plan.critical_within_days": ("behind_critical_within_days", int, 0, 36500),
    "survival.below_default_by": ("survival_below_default_by", float, 0.0, 1.0),
    "survival.drop": ("survival_drop", float, 0.0, 1.0),
    "survival.min_z": ("survival_min_z", float, 0.0, 10.0),
    "survival.min_sampled": ("survival_min_sampled", int, 1, 10**9),
    "freshness.factor": ("freshness_factor", float, 1.0, 100.0),
    "freshness.min_gaps": ("freshness_min_gaps", int, 1, 1000),
    "freshness.min_days": ("freshness_min_days", int, 0, 36500),
    "freshness.critical_days": ("freshness_critical_days", int, 0, 36500),
    "rejects.jump": ("rejects_jump", float, 0.0, 1.0),
    "rejects.min_rows": ("rejects_min_rows", int, 1, 10**12),
    "backlog.max_age_days": ("backlog_max_age_days", int, 1, 36500),
    "backlog.critical_units": ("backlog_critical_units", float, 0.0, 1e10),
}


def _flatten(table: dict[str, Any], source: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, values in table.items():
        if not isinstance(values, dict):
            raise ConfigError(
                f"{source}: {section!r} is not a section; the keys are {', '.join(CONFIG_KEYS)}."
            )
        for key, value in values.items():
            flat[f"{section}.{key}"] = value
    return flat


def read_config(text: str, source: str, base: Thresholds | None = None) -> Thresholds:
    """Thresholds from TOML text: each key it sets replaces the one of `base` (the defaults).
    An unknown key, a value of the wrong kind or out of range is a ConfigError."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML ({exc}).") from None
    values = {f.name: getattr(base, f.name) for f in fields(Thresholds)} if base else {}
    for key, value in _flatten(table, source).items():
        if key not in CONFIG_KEYS:
            raise ConfigError(
                f"{source}: unknown key {key!r}; the keys are {', '.join(CONFIG_KEYS)}."
            )
        name, kind, lo, hi = CONFIG_KEYS[key]
        ok_kind = (
            isinstance(value, int) and not isinstance(value, bool)
            if kind is int
            else isinstance(value, int | float) and not isinstance(value, bool)
        )
        if not ok_kind or not math.isfinite(value) or not lo <= value <= hi:
            what = "a whole number" if kind is int else "a number"
            raise ConfigError(
                f"{source}: {key} = {value!r} is not valid; it must be {what} from {lo} to {hi}."
            )
        values[name] = kind(value)
    missing = [k for k, (name, *_) in CONFIG_KEYS.items() if name not in values]
    if missing:  # only the defaults file is read without a base: it must set every key
        raise ConfigError(f"{source}: no value for {', '.join(missing)}.")
    return Thresholds(**values)


@functools.cache
def _defaults() -> Thresholds:
    """The committed defaults (alerts.toml, the one place they are written), read once."""
    return read_config(DEFAULTS_FILE.read_text(encoding="utf-8"), DEFAULTS_FILE.name)


def load_config(path: Path | None = None) -> Thresholds:
    """The committed defaults, with the keys of `path` (if given) overriding them."""
    defaults = _defaults()
    if path is None:
        return defaults
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the config file {path} cannot be read ({exc}).") from None
    return read_config(text, str(path), defaults)


@dataclass(frozen=True)
class Number:
    """A figure of an alert with its unit ('%' and 'points' for shares, 'days', 'rows', …)."""

    value: float
    unit: str


@dataclass(frozen=True)
class Alert:
    """One condition that needs attention.

    kind: one of KINDS; subject: the ids it is about (project_id, species, partner, table,
    load_number); partner: whose data it is (None: the program's, e.g. a load); severity:
    'warning' or 'critical'; numbers: its figures with units; since: the day it began.
    """

    kind: str
    subject: dict[str, str]
    partner: str | None
    severity: str
    numbers: dict[str, Number]
    since: date | None

    def as_dict(self) -> dict[str, Any]:
        """As JSON prints it."""
        return {
            "kind": self.kind,
            "subject": dict(self.subject),
            "partner": self.partner,
            "severity": self.severity,
            "numbers": {k: {"value": n.value, "unit": n.unit} for k, n in self.numbers.items()},
            "since": self.since.isoformat() if self.since else None,
        }


@dataclass(frozen=True)
class AlertInputs:
    """What the checks read, for one set of filters (queries.alerting.alert_inputs)."""

    projects: pd.DataFrame  # project_id, partner, kind, started_on, target_*, …
    progress: pd.DataFrame  # stats.project_progress to as_of
    plantings: pd.DataFrame  # planting rows up to as_of
    redeemed: pd.DataFrame  # day, project_id, units (every project, up to as_of)
    adoptions: pd.DataFrame  # day, project_id, species, units (planting projects, to as_of)
    surveys: pd.DataFrame  # survey rows up to as_of
    ref_species: pd.DataFrame
    loads: pd.DataFrame  # load_number, loaded_at, table_name, rows_read, rejected (staff only)
    as_of: date


def _pct(share: float) -> Number:
    return Number(round(float(share) * 100, 2), "%")


def _points(share: float) -> Number:
    return Number(round(float(share) * 100, 2), "points")


def _severity(critical: bool) -> str:
    return "critical" if critical else "warning"


def _day(value: object) -> date:
    return pd.Timestamp(value).date()


def _unit_of(measure: str, kind: str) -> str:
    """The unit a project's target is counted in (as the Overview's targets say)."""
    if measure == "area_ha":
        return "ha"
    return "trees" if kind == "afforestation" else "m2"


def _status_days(started: date, due: date | None, as_of: date, deliveries: list[date]) -> list:
    """Every day up to as_of on which a project's pace can change: the day after each planting
    season ends (its expected share rises), the due date, each delivery (delivered rises)."""
    days = {started, *[d for d in deliveries if started <= d <= as_of]}
    for year in range(started.year, as_of.year + 1):
        for _, last_month in stats.PLANTING_SEASONS:
            day = date(year, last_month + 1, 1)
            if started <= day <= as_of:
                days.add(day)
    if due is not None and started <= due <= as_of:
        days.add(due)
    return sorted(days)


def behind_since(
    project: Any,
    target: float,
    measure: str,
    delivered: pd.DataFrame,
    as_of: date,
    tolerance: float = 0.05,
) -> date | None:
    """The first day of the run of days, ending at as_of, on which the project was behind plan
    (`stats.project_progress` evaluated on each day its pace can change, with what it had
    delivered by then); None when it is not behind on as_of."""
    started = _day(project.started_on)
    due = None if pd.isna(project.target_date) else _day(project.target_date)
    days_delivered = [_day(d) for d in delivered["day"]]
    amounts = delivered["amount"].to_numpy(dtype=float)
    order = np.argsort(np.array(days_delivered, dtype="datetime64[D]"), kind="stable")
    sorted_days = np.array(days_delivered, dtype="datetime64[D]")[order]
    cumulative = np.cumsum(amounts[order])
    since = None
    for day in _status_days(started, due, as_of, days_delivered):
        n = int(np.searchsorted(sorted_days, np.datetime64(day, "D"), side="right"))
        done = float(cumulative[n - 1]) if n else 0.0
        share = stats.expected_share(started, due, day)
        behind = done < target and share is not None and target * share - done > tolerance * target
        if behind and since is None:
            since = day
        elif not behind:
            since = None
    return since


def behind_is_critical(
    behind_by: float, target: float, due: date, as_of: date, th: Thresholds
) -> bool:
    """Far behind (`behind_plan.critical_share` of the target) with the due date near
    (`behind_plan.critical_within_days`, or past): the target is about to be missed. Far
    behind with years to go is a plan to revise: a warning."""
    far = behind_by >= th.behind_critical_share * target
    return far and (due - as_of).days <= th.behind_critical_within_days


def check_behind_plan(inputs: AlertInputs, th: Thresholds) -> list[Alert]:
    """Projects behind plan on as_of (the Projects page's pace), by how much and since when."""
    out = []
    projects = inputs.projects.set_index("project_id")
    behind = inputs.progress[inputs.progress["status"] == "behind plan"]
    for row in behind.itertuples(index=False):
        p = projects.loc[row.project_id]
        if row.measure == "area_ha":
            rows = inputs.plantings[inputs.plantings["project_id"] == row.project_id]
            delivered = pd.DataFrame({"day": rows["planted_on"], "amount": rows["area_ha"]})
        elif p.kind == "conservation":
            rows = inputs.redeemed[inputs.redeemed["project_id"] == row.project_id]
            delivered = pd.DataFrame({"day": rows["day"], "amount": rows["units"]})
        else:
            rows = inputs.plantings[inputs.plantings["project_id"] == row.project_id]
            delivered = pd.DataFrame({"day": rows["planted_on"], "amount": rows["units_planted"]})
        target = float(row.target)
        unit = _unit_of(row.measure, p.kind)
        out.append(
            Alert(
                kind="behind_plan",
                subject={"project_id": str(row.project_id)},
                partner=str(p.partner),
                severity=_severity(
                    behind_is_critical(
                        float(row.behind_by), target, _day(p.target_date), inputs.as_of, th
                    )
                ),
                numbers={
                    "behind_by": Number(round(float(row.behind_by), 3), unit),
                    "behind_share": _pct(float(row.behind_by) / target),
                    "delivered": Number(round(float(row.delivered), 3), unit),
                    "expected_by_now": Number(round(float(row.expected_by_now), 3), unit),
                    "target": Number(target, unit),
                },
                since=behind_since(p, target, row.measure, delivered, inputs.as_of),
            )
        )
    return out


def _z(gap: float, variance: float) -> float:
    """A gap in standard errors (infinite when the samples leave no doubt: variance 0)."""
    if variance <= 0:
        return math.inf if gap > 0 else 0.0
    return gap / math.sqrt(variance)


def below_default_z(rate: float, sampled: float, default: float) -> float:
    """How many standard errors of a sample of `sampled` units survival `rate` is below the
    species' `default` (binomial, as if survival were the default)."""
    return _z(default - rate, default * (1 - default) / sampled)


def fall_z(before: float, n_before: float, after: float, n_after: float) -> float:
    """How many standard errors of the two samples survival fell from `before` to `after`
    (the two-proportion test: the two samples pooled for the spread)."""
    pooled = (before * n_before + after * n_after) / (n_before + n_after)
    return _z(before - after, pooled * (1 - pooled) * (1 / n_before + 1 / n_after))


def _survey_days(surveys: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Survival per project, species and survey day up to as_of (same-day surveys summed)."""
    s = surveys[pd.to_datetime(surveys["surveyed_on"]) <= pd.Timestamp(as_of)]
    keys = ["project_id", "species", "surveyed_on"]
    days = s.groupby(keys, as_index=False)[["units_sampled", "units_alive"]].sum()
    days["rate"] = days["units_alive"] / days["units_sampled"]
    return days.sort_values(keys).reset_index(drop=True)


def _partner_of(inputs: AlertInputs) -> dict[str, str]:
    return dict(zip(inputs.projects["project_id"], inputs.projects["partner"], strict=True))


def check_survival(inputs: AlertInputs, th: Thresholds) -> list[Alert]:
    """Per project and species: the latest survey day's survival below the species' default
    by more than `survival.below_default_by`, and survival that fell by at least
    `survival.drop` from the survey day before; either only when it is at least
    `survival.min_z` standard errors of the samples, of at least `survival.min_sampled` units
    each (a survey of a few units is noise)."""
    defaults = inputs.ref_species.set_index("species")["default_survival"]
    partner_of = _partner_of(inputs)
    below, falling = [], []
    for (project, species), g in _survey_days(inputs.surveys, inputs.as_of).groupby(
        ["project_id", "species"], sort=True
    ):
        rates = g["rate"].to_numpy(dtype=float)
        sampled = g["units_sampled"].to_numpy(dtype=float)
        days = [_day(d) for d in g["surveyed_on"]]
        subject = {"project_id": str(project), "species": str(species)}
        default = float(defaults.get(species, np.nan))
        limit = default - th.survival_below_default_by
        if (
            not math.isnan(default)
            and rates[-1] < limit - 1e-12
            and sampled[-1] >= th.survival_min_sampled
            and below_default_z(rates[-1], sampled[-1], default) >= th.survival_min_z - 1e-9
        ):
            first = len(rates) - 1  # the first survey day of the last run below the limit
            while first > 0 and rates[first - 1] < limit - 1e-12:
                first -= 1
            gap = default - rates[-1]
            below.append(
                Alert(
                    kind="survival_below_default",
                    subject=subject,
                    partner=partner_of.get(project),
                    since=days[first],
                    severity=_severity(gap >= 2 * th.survival_below_default_by - 1e-12),
                    numbers={
                        "survival": _pct(rates[-1]),
                        "default_survival": _pct(default),
                        "below_by": _points(gap),
                    },
                )
            )
        if (
            len(rates) >= 2
            and rates[-2] - rates[-1] >= th.survival_drop - 1e-12
            and min(sampled[-2:]) >= th.survival_min_sampled
            and fall_z(rates[-2], sampled[-2], rates[-1], sampled[-1]) >= th.survival_min_z - 1e-9
        ):
            drop = rates[-2] - rates[-1]
            falling.append(
                Alert(
                    kind="survival_falling",
                    subject=subject,
                    partner=partner_of.get(project),
                    since=days[-1],
                    severity=_severity(drop >= 2 * th.survival_drop - 1e-12),
                    numbers={
                        "survival": _pct(rates[-1]),
                        "previous_survival": _pct(rates[-2]),
                        "fell_by": _points(drop),
                        "days_between": Number((days[-1] - days[-2]).days, "days"),
                    },
                )
            )
    return below + falling


def check_data_late(inputs: AlertInputs, th: Thresholds) -> list[Alert]:
    """Partners whose latest planting or survey (up to as_of) is older than `freshness.factor`
    × their usual interval (and than `freshness.min_days`): the usual interval is the median
    gap between the distinct days on which they planted or surveyed (at least
    `freshness.min_gaps` gaps, else it is unknown and nothing is said). Critical from twice
    the allowance and `freshness.critical_days`: a season's data missing."""
    partner_of = _partner_of(inputs)
    dated = pd.concat(
        [
            pd.DataFrame(
                {
                    "project_id": inputs.plantings["project_id"],
                    "day": pd.to_datetime(inputs.plantings["planted_on"]),
                }
            ),
            pd.DataFrame(
                {
                    "project_id": inputs.surveys["project_id"],
                    "day": pd.to_datetime(inputs.surveys["surveyed_on"]),
                }
            ),
        ]
    )
    dated = dated[dated["day"] <= pd.Timestamp(inputs.as_of)]
    dated["partner"] = dated["project_id"].map(partner_of)
    out = []
    for partner, g in dated.dropna(subset=["partner"]).groupby("partner", sort=True):
        days = sorted({_day(d) for d in g["day"]})
        gaps = [(b - a).days for a, b in itertools.pairwise(days)]
        if len(gaps) < th.freshness_min_gaps:
            continue
        usual = float(np.median(gaps))
        allowed = max(th.freshness_factor * usual, float(th.freshness_min_days))
        waited = (inputs.as_of - days[-1]).days
        if waited <= allowed:
            continue
        out.append(
            Alert(
                kind="data_late",
                subject={"partner": str(partner)},
                partner=str(partner),
                severity=_severity(waited >= max(2 * allowed, th.freshness_critical_days)),
                numbers={
                    "days_since_latest": Number(waited, "days"),
                    "usual_interval": Number(usual, "days"),
                    "allowed": Number(round(allowed, 1), "days"),
                },
                since=days[-1] + timedelta(days=math.floor(allowed) + 1),
            )
        )
    return out


def check_rejects_jump(inputs: AlertInputs, th: Thresholds) -> list[Alert]:
    """Per table, its latest load (of at least `rejects.min_rows` rows read) whose rejected
    share is at least `rejects.jump` above that of all the table's earlier loads together.
    Program-wide: no partner."""
    out = []
    loads = inputs.loads[inputs.loads["rows_read"].fillna(0) > 0]
    for table, g in loads.sort_values("load_number").groupby("table_name", sort=True):
        if len(g) < 2:
            continue
        last, earlier = g.iloc[-1], g.iloc[:-1]
        read = int(last["rows_read"])
        if read < th.rejects_min_rows:
            continue
        share = int(last["rejected"]) / read
        before = float(earlier["rejected"].sum()) / float(earlier["rows_read"].sum())
        rise = share - before
        if rise < th.rejects_jump - 1e-12:
            continue
        out.append(
            Alert(
                kind="rejects_jump",
                subject={"table": str(table), "load_number": str(int(last["load_number"]))},
                partner=None,
                severity=_severity(rise >= 2 * th.rejects_jump - 1e-12),
                numbers={
                    "rejected_share": _pct(share),
                    "earlier_share": _pct(before),
                    "rise": _points(rise),
                    "rows_rejected": Number(int(last["rejected"]), "rows"),
                    "rows_read": Number(read, "rows"),
                },
                since=_day(last["loaded_at"]),
            )
        )
    return out


def check_backlog(inputs: AlertInputs, th: Thresholds) -> list[Alert]:
    """Per planting project and species: units adopted and not yet planted whose oldest wait
    (first in, first out, as the Funnel's backlog) exceeds `backlog.max_age_days`. Critical
    when both old (twice that) and large (`backlog.critical_units`): a few units held for the
    next season are a warning."""
    partner_of = _partner_of(inputs)
    rows = stats.backlog(inputs.adoptions, inputs.plantings, inputs.as_of)
    rows = rows[(rows["backlog_units"] > 0) & (rows["backlog_age_days"] > th.backlog_max_age_days)]
    out = []
    for r in rows.sort_values(["project_id", "species"]).itertuples(index=False):
        out.append(
            Alert(
                kind="backlog_old",
                subject={"project_id": str(r.project_id), "species": str(r.species)},
                partner=partner_of.get(r.project_id),
                severity=_severity(
                    r.backlog_age_days >= 2 * th.backlog_max_age_days
                    and r.backlog_units >= th.backlog_critical_units
                ),
                numbers={
                    "backlog": Number(float(r.backlog_units), "units"),
                    "oldest_wait": Number(int(r.backlog_age_days), "days"),
                    "max_age": Number(th.backlog_max_age_days, "days"),
                },
                since=r.oldest_unplanted_day,
            )
        )
    return out


CHECKS = (check_behind_plan, check_survival, check_data_late, check_rejects_jump, check_backlog)


def _natural(text: str) -> tuple:
    """A sort key that reads the digits in a text as a number: P2 before P10, load 9 before 10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text) if part)  # fmt: skip


def ordered(found: list[Alert]) -> list[Alert]:
    """The order every list of alerts is shown in (the command line's table, its JSON, the
    notification, "Needs attention"): critical first, then warnings; each by kind (KINDS'
    order), then by subject (its ids by name, numbers in them as numbers)."""

    def key(a: Alert) -> tuple:
        subject = tuple((k, _natural(v)) for k, v in sorted(a.subject.items()))
        return SEVERITIES.index(a.severity), KINDS.index(a.kind), subject

    return sorted(found, key=key)


def check_all(inputs: AlertInputs, th: Thresholds) -> list[Alert]:
    """Every alert, in the order they are shown (`ordered`)."""
    return ordered([a for check in CHECKS for a in check(inputs, th)])


def for_project(found: list[Alert], project_id: str) -> list[Alert]:
    """The alerts about one project."""
    return [a for a in found if a.subject.get("project_id") == project_id]
