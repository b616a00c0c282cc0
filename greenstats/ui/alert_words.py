"""Alerts in words: one sentence per alert, every figure with its unit, in English or Chinese
(the "Needs attention" lists, the command line's table and the notifications)."""

from __future__ import annotations

from collections.abc import Mapping

from greenstats.metrics.alerts import Alert, Number, ordered
from greenstats.ui import fmt, words
from greenstats.ui.blocks import Attention, AttentionItem
from greenstats.ui.i18n import t

#: An alert's unit → the UI unit it is written with.
UNIT_KEYS = {"trees": "unit.trees", "m2": "unit.m2", "ha": "unit.ha", "units": "unit.units",
             "days": "unit.days", "rows": "unit.rows", "points": "unit.points"}  # fmt: skip


#: Units of things counted whole.
COUNTED = frozenset({"trees", "units", "rows", "days"})


def figure(n: Number, lang: str) -> str:
    """A figure with its unit: '29.1%', '1,455 trees', '12.5 percentage points', '446 days'."""
    if n.unit == "%":
        return fmt.percent(n.value / 100, lang, 1 if n.value % 1 else 0)
    if n.unit in COUNTED:  # a tree, a row or a day is counted whole
        return fmt.quantity(round(n.value), UNIT_KEYS[n.unit], lang, 0)
    decimals = 0 if float(n.value).is_integer() else 1
    return fmt.quantity(n.value, UNIT_KEYS[n.unit], lang, decimals)


def alert_line(a: Alert, names: Mapping[str, Mapping[str, str]], lang: str) -> str:
    """The sentence of one alert (its template names each figure by its key in `numbers`);
    `names` maps 'projects', 'species' and 'partners' codes to
    the names a reader sees (a code without one shows as it is)."""
    n = {k: figure(v, lang) for k, v in a.numbers.items()}
    project = names.get("projects", {}).get(a.subject.get("project_id", ""))
    project = project or a.subject.get("project_id", "")
    species = names.get("species", {}).get(a.subject.get("species", ""))
    species = species or a.subject.get("species", "")
    partner = a.partner or ""
    partner = names.get("partners", {}).get(partner) or partner
    since = words.day_words(a.since, lang) if a.since else "–"
    values = {
        "project": project,
        "species": species,
        "partner": partner,
        "since": since,
        "table": a.subject.get("table", ""),
        "load": a.subject.get("load_number", ""),
        **n,
    }
    return t(f"alert.{a.kind}", lang, **values)


def severity_word(a: Alert, lang: str) -> str:
    return t(f"attention.{a.severity}", lang)


def attention(found: list[Alert], names: Mapping[str, Mapping[str, str]], empty: str,
              lang: str) -> Attention:  # fmt: skip
    """The "Needs attention" block: critical alerts first, then warnings (`ordered`), each in
    words."""
    critical = sum(a.severity == "critical" for a in found)
    return Attention(
        title=t("attention.heading", lang),
        items=[AttentionItem(a.severity, alert_line(a, names, lang)) for a in ordered(found)],
        empty=empty,
        summary=t("attention.summary", lang, n=fmt.number(len(found), lang),
                  critical=fmt.number(critical, lang)) if len(found) > 1 else "",
    )  # fmt: skip
