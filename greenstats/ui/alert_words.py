"""Alerts in words: one sentence per alert, every figure with its unit, in English or Chinese
(the "Needs attention" lists, the command line's table and the notifications), and the link of
the dashboard's page that shows each one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from greenstats.metrics.alert_digest import Digest
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


# --- links and notifications --------------------------------------------------------------------

#: `lang` in a link to the dashboard: the language switch carries its label (frame.LANGUAGE_LABELS),
#: and a link's other values are labels in that language.
LINK_LANG = "English"


def alert_page(a: Alert, labels: Mapping[str, Mapping[str, str]]) -> tuple[str, dict[str, str]]:
    """The page that shows an alert, and the link's values that select its subject there, as
    the page's own widgets carry them: `labels` maps 'projects' to the Projects picker's labels
    ('name · id', which the filter bar's Projects uses too), 'partners' and 'species' to the
    names the pickers show. Projects shows a project's pace and surveys, and a partner's
    projects; the Funnel a project's backlog by species; Methodology the loads and rejects."""
    project = labels.get("projects", {}).get(a.subject.get("project_id", ""))
    if a.kind == "backlog_old":
        species = labels.get("species", {}).get(a.subject.get("species", ""))
        return "funnel", {k: v for k, v in (("project", project), ("species", species)) if v}
    if a.kind == "data_late":
        partner = labels.get("partners", {}).get(a.subject.get("partner", ""))
        return "projects", {"partner": partner} if partner else {}
    if a.kind == "rejects_jump":
        return "methodology", {}
    return "projects", {"p": project} if project else {}


def alert_link(a: Alert, base: str, labels: Mapping[str, Mapping[str, str]]) -> str:
    """The address of the page that shows an alert on the dashboard served at `base`."""
    page, values = alert_page(a, labels)
    scheme, host, path, _, _ = urlsplit(base)
    query = urlencode({"lang": LINK_LANG, **values}, quote_via=quote)
    return urlunsplit((scheme, host, f"{path.rstrip('/')}/{page}", query, ""))


def _alerts(n: int) -> str:
    return f"{n} alert{'s' if n != 1 else ''}"


def notification(d: Digest, names: Mapping[str, Mapping[str, str]],
                 labels: Mapping[str, Mapping[str, str]], base: str, as_of: date,
                 full: bool = False) -> tuple[str, str, str]:  # fmt: skip
    """A notification's title, body and apprise type. The body has a line per new alert (per
    alert with `full`), `[severity] sentence link`, then how many others are still open and how
    many went since the last notification; the type is `failure` when any alert is critical,
    else `warning`."""
    found = d.found
    critical = sum(a.severity == "critical" for a in found)
    counts = _alerts(len(found)) + (f" ({critical} critical)" if critical else "")
    shown = found if full else d.new
    lines = [f"[{a.severity}] {alert_line(a, names, 'en')} {alert_link(a, base, labels)}"
             for a in shown]  # fmt: skip
    if d.previous is None:
        title = f"greenstats: {counts} as of {as_of.isoformat()}"
    else:
        last = f"the notification as of {d.previous.as_of.isoformat()}"
        title = f"greenstats: {len(d.new)} new of {counts} as of {as_of.isoformat()}"
        if d.still_open and not full:
            more = _alerts(len(d.still_open))
            lines.append(("And " if lines else "") + f"{more} already in {last}.")
        if d.resolved:
            title += f", {d.resolved} resolved"
            lines.append(f"{_alerts(d.resolved)} resolved since {last}.")
    return title, "\n".join(lines), "failure" if critical else "warning"
