"""Methodology & data: where every number comes from (factors with their sources, each figure's
definition), how fresh the data are, what was loaded and what was rejected."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd

from greenstats.data import pseudonym
from greenstats.data.methodology import load_equivalents
from greenstats.data.paths import DEFAULT_REFERENCE
from greenstats.data.warehouse import Reader
from greenstats.metrics import catalog, units
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import base, intake
from greenstats.ui import fmt, words
from greenstats.ui.blocks import Markdown, Table
from greenstats.ui.i18n import t

CATALOG_FILE = "greenstats/metrics/catalog.py"
STATS_FILE = "greenstats/metrics/stats.py"
#: The page statistics, each defined in words (def.<name>), computed in STATS_FILE.
DEFINED_STATS = (
    "carbon_breakdown", "energy_vs_carbon_share", "survival_rates", "plantings_carbon",
    "funnel", "backlog", "cohort_survival", "sequestration_breakdown", "sequestration_by_year",
    "coverage", "protected_species", "threatened_share", "project_progress", "deltas",
    "equivalents",
)  # fmt: skip
CHINA_TIME = timezone(timedelta(hours=8), "CST")
#: A data contract's field name inside a definition (energy_g, survival_rate…): shown as code.
_FIELD = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")


@dataclass(frozen=True)
class MethodologyData:
    version: str  # markdown: methodology version, snapshot, when it was built
    actions: Table
    action_sources: list[str]  # markdown, one line per factor, data text escaped
    species: Table
    species_sources: list[str]
    equivalents: Table
    equivalent_sources: list[str]
    definitions_intro: str
    headline_definitions: list[str]  # markdown: '**name** — definition'
    stat_definitions: list[str]
    definitions_csv: pd.DataFrame
    events: str  # which days the action events cover, or that there are none yet
    freshness: Table
    rejects: Table
    loads: Table


def load(r: Reader, f: Filters, lang: str) -> MethodologyData:
    """Everything the Methodology page shows (the filters do not apply to it)."""
    info = base.snapshot_info(r)
    ref_actions, ref_species = base.reference_frames(r)
    equivalents = load_equivalents(DEFAULT_REFERENCE)
    first, last = base.event_days(r)
    loads = intake.loads(r, f)
    headline, stat, definitions_csv = definitions(lang)
    return MethodologyData(
        version=Markdown(
            t(
                "method.version_built",
                lang,
                version=fmt.escape_md(info.get("methodology_version", "")),
                snapshot=fmt.escape_md(info.get("snapshot", "")),
                built=built_words(info.get("built_at", ""), lang),
            )
        ),
        actions=action_factors(ref_actions, lang),
        action_sources=sources(ref_actions, "action", lang, basis="co2e_basis"),
        species=species_factors(ref_species, lang),
        species_sources=sources(ref_species, "species", lang),
        equivalents=equivalent_factors(equivalents, lang),
        equivalent_sources=sources(equivalents, "name_en", lang),
        definitions_intro=t("method.definitions_intro", lang),
        headline_definitions=headline,
        stat_definitions=stat,
        definitions_csv=definitions_csv,
        events=t(
            "method.events",
            lang,
            first=words.day_words(first, lang),
            last=words.day_words(last, lang),
        )
        if first and last
        else t("method.no_events", lang),
        freshness=freshness(intake.freshness(r, f), lang),
        rejects=rejects(
            intake.rejects_by_reason(r, f),
            lang,
            loaded=not loads.empty,
            staff_only=f.partner is not None,
        ),
        loads=loads_table(loads, lang, staff_only=f.partner is not None),
    )


def built_words(built_at: str, lang: str) -> str:
    """When the snapshot was built, in China Standard Time as a reader writes it:
    '30 Nov 2026 at 03:03 China Standard Time' / '2026年11月30日 03:03（北京时间）'."""
    try:
        when = datetime.fromisoformat(built_at)
    except ValueError:
        return fmt.escape_md(built_at) or "–"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(CHINA_TIME)
    return t("method.built_at", lang, day=words.day_words(when.date(), lang),
             time=f"{when:%H:%M}")  # fmt: skip


# --- factors and their sources ---------------------------------------------------------------


def _name_column(lang: str) -> str:
    return "name_zh" if lang == "zh" else "name_en"


def _names(ref: pd.DataFrame, code: str, lang: str) -> list[str]:
    """The reference's names in the reader's language, else English, else the code."""
    out = []
    for i in range(len(ref)):
        row = ref.iloc[i]
        choices = [row.get(_name_column(lang)), row.get("name_en"), row.get(code)]
        out.append(next((str(c) for c in choices if isinstance(c, str) and c.strip()), ""))
    return out


def _band(c: float, lo: float, hi: float, lang: str, decimals: int = 1) -> str:
    return (f"{fmt.number(c, lang, decimals)} ({fmt.number(lo, lang, decimals)}–"
            f"{fmt.number(hi, lang, decimals)})")  # fmt: skip


def _text(ref: pd.DataFrame, column: str) -> pd.Series:
    """An optional text column of a reference table ('' where absent)."""
    if column not in ref:
        return pd.Series([""] * len(ref), index=ref.index, dtype=object)
    return ref[column].fillna("").astype(str)


def _number(ref: pd.DataFrame, column: str) -> pd.Series:
    if column not in ref:
        return pd.Series([float("nan")] * len(ref), index=ref.index)
    return pd.to_numeric(ref[column], errors="coerce")


def _without_empty(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The frame without an optional column that no row fills (the CSV keeps it)."""
    values = frame[column]
    filled = values.notna() & (values.astype(str).str.strip() != "")
    return frame if filled.any() else frame.drop(columns=column)


def action_factors(ref: pd.DataFrame, lang: str) -> Table:
    """The action factors: energy awarded and carbon avoided side by side, never mixed. The
    table shows the figures; the basis and the source are listed in full under it (and in
    the CSV)."""
    action, energy, co2e = (t(k, lang) for k in ("col.action", "col.energy_awarded",
                                                 "col.co2e_per_action"))  # fmt: skip
    shown = pd.DataFrame({
        action: _names(ref, "action", lang),
        t("col.category", lang): [words.vocab("category", c, lang) for c in _text(ref, "category")],
        energy: _number(ref, "energy_g").to_numpy(),
        co2e: [_band(c, lo, hi, lang) for c, lo, hi in
               zip(ref["co2e_g"], ref["co2e_g_low"], ref["co2e_g_high"], strict=True)],
    })  # fmt: skip
    csv = shown.assign(**{
        t("col.basis", lang): _text(ref, "co2e_basis").to_numpy(),
        t("col.source", lang): _text(ref, "source").to_numpy(),
    })  # fmt: skip
    shown = _without_empty(shown, energy)  # an optional column no factor fills
    return Table(
        name="methodology-actions", title=t("method.actions", lang),
        intro=t("method.actions_intro", lang), frame=shown, csv=csv,
        empty=t("empty.default", lang),
        kinds={action: "text", t("col.category", lang): "text", co2e: "text"}
        | ({energy: "int"} if energy in shown else {}),
        phone=(action, co2e),
    )  # fmt: skip


def species_factors(ref: pd.DataFrame, lang: str) -> Table:
    """The species factors: sequestration per surviving unit and default survival, with
    their ranges; sources listed in full under the table (and in the CSV)."""

    def survival(row: pd.Series) -> str:
        if pd.notna(row.get("default_survival_low")) and pd.notna(row.get("default_survival_high")):
            return (f"{fmt.percent(float(row['default_survival']), lang)} "
                    f"({fmt.percent(float(row['default_survival_low']), lang)}–"
                    f"{fmt.percent(float(row['default_survival_high']), lang)})")  # fmt: skip
        return fmt.percent(float(row["default_survival"]), lang)

    name, seq, surv = (t(k, lang) for k in ("col.species", "col.seq_per_unit",
                                            "col.default_survival"))  # fmt: skip
    shown = pd.DataFrame({
        name: _names(ref, "species", lang),
        t("col.scientific_name", lang): _text(ref, "scientific_name").to_numpy(),
        t("col.unit", lang): [words.vocab("unit", u, lang) for u in ref["unit"]],
        t("col.habitat", lang): [words.vocab("habitat", h, lang) for h in ref["habitat"]],
        seq: [_band(c, lo, hi, lang, 3) for c, lo, hi in
              zip(ref["seq_kg_per_unit_yr"], ref["seq_kg_per_unit_yr_low"],
                  ref["seq_kg_per_unit_yr_high"], strict=True)],
        surv: [survival(row) for _, row in ref.iterrows()],
    })  # fmt: skip
    csv = shown.assign(**{t("col.source", lang): _text(ref, "source").to_numpy()})
    shown = _without_empty(shown, t("col.scientific_name", lang))
    return Table(
        name="methodology-species", title=t("method.species", lang),
        intro=t("method.species_intro", lang), frame=shown, csv=csv,
        empty=t("empty.default", lang), kinds=dict.fromkeys(shown.columns, "text"),
        phone=(name, seq, surv),
    )  # fmt: skip


def _significant(value: float, lang: str) -> str:
    """A factor to three significant figures, with separators: 2,554 · 168 · 0.0102."""
    if pd.isna(value):
        return "–"
    if value == 0 or abs(value) >= 100:
        return fmt.number(value, lang, 0)
    digits = 2 - int(f"{abs(value):e}".split("e")[1])
    text = fmt.number(round(value, digits), lang, min(digits, 6))
    return text.rstrip("0").rstrip(".") if "." in text else text


def equivalent_factors(table: pd.DataFrame, lang: str) -> Table:
    """The everyday equivalents and their factor; sources listed in full under the table."""
    name, kg = t("col.equivalent", lang), t("col.kg_per_unit", lang)
    names = _names(table, "name_en", lang)
    shown = pd.DataFrame(
        {name: names, kg: [_significant(v, lang) for v in table["kg_co2e_per_unit"]]}
    )
    csv = pd.DataFrame({
        name: names, kg: table["kg_co2e_per_unit"].to_numpy(),
        t("col.source", lang): _text(table, "source").to_numpy(),
    })  # fmt: skip
    return Table(
        name="methodology-equivalents", title=t("method.equivalents", lang), intro="",
        frame=shown, csv=csv, empty=t("empty.default", lang), kinds={name: "text", kg: "text"},
    )  # fmt: skip


def sources(ref: pd.DataFrame, code: str, lang: str, basis: str | None = None) -> list[Markdown]:
    """Every factor's full source (and how it is calculated) as markdown lines: the text comes
    from the reference files, so it is escaped — it shows as written, web addresses as links."""
    hows = _text(ref, basis) if basis else pd.Series([""] * len(ref), index=ref.index)
    lines = []
    for name, source, how in zip(_names(ref, code, lang), _text(ref, "source"), hows,
                                 strict=True):  # fmt: skip
        line = f"**{fmt.escape_md(name)}** — {fmt.escape_md(source, links=True) or '–'}"
        if how:
            line += f"  \n:gray[{fmt.escape_md(how, links=True)}]"
        lines.append(Markdown(line))
    return lines


# --- definitions ------------------------------------------------------------------------------


def _definition_md(text: str) -> str:
    """A definition as markdown: the data contract's field names as code, the rest escaped."""
    out, start = [], 0
    for match in _FIELD.finditer(text):
        out.append(fmt.escape_md(text[start : match.start()]))
        out.append(f"`{match.group(0)}`")
        start = match.end()
    out.append(fmt.escape_md(text[start:]))
    return "".join(out)


def definitions(lang: str) -> tuple[list[Markdown], list[Markdown], pd.DataFrame]:
    """Every figure named and defined in words: the headline figures (the metrics table,
    greenstats/metrics/catalog.py, whose keys `greenstats summary --json` prints), then the
    page statistics; and their CSV, whose last column names each in the code."""
    headline = [(m.key, _named(m, lang), t(m.unit, lang), CATALOG_FILE) for m in catalog.METRICS]
    stat = [(key, t(f"metric.{key}", lang), "", STATS_FILE) for key in DEFINED_STATS]
    rows = headline + stat
    frame = pd.DataFrame({
        t("col.metric", lang): [name for _, name, _, _ in rows],
        t("col.unit", lang): [unit for _, _, unit, _ in rows],
        t("col.definition", lang): [t(f"def.{key}", lang) for key, _, _, _ in rows],
        t("col.defined_in", lang): [where for _, _, _, where in rows],
        t("col.code_name", lang): [key for key, _, _, _ in rows],
    })  # fmt: skip
    lines = [
        Markdown(f"**{fmt.escape_md(name)}** — {_definition_md(t(f'def.{key}', lang))}")
        for key, name, _, _ in rows
    ]
    return lines[: len(headline)], lines[len(headline) :], frame


def _named(metric: catalog.Metric, lang: str) -> str:
    """A metric's name, with its unit when it is a measure (kg CO₂e, ha), not a count:
    'Carbon avoided (kg CO₂e)', 'Trees planted'."""
    name = t(metric.name, lang)
    if metric.unit in units.MEASURES:
        return t("method.named_unit", lang, name=name, unit=t(metric.unit, lang))
    return name


# --- data: freshness, rejects, loads ------------------------------------------------------------


def freshness(frame: pd.DataFrame, lang: str) -> Table:
    """Latest planting and survey received per partner."""
    shown = freshness_table(frame, lang)
    partner, planting, survey = (t(k, lang) for k in ("col.partner", "col.latest_planting",
                                                      "col.latest_survey"))  # fmt: skip
    kinds = dict.fromkeys(shown.columns, "text") | {t("col.projects", lang): "int"}
    return Table(
        name="freshness", title=t("method.freshness", lang), intro="", frame=shown,
        empty=t("method.no_partners", lang), kinds=kinds, phone=(partner, planting, survey),
    )  # fmt: skip


def rejects(frame: pd.DataFrame, lang: str, *, loaded: bool, staff_only: bool = False) -> Table:
    """Rows not loaded, counted by table, column and reason, with an example of each."""
    shown = rejects_table(frame, lang)
    rows = t("col.rows", lang)
    kinds = dict.fromkeys(shown.columns, "text") | {rows: "int"}
    wanted = (t("col.column", lang), t("col.reason", lang), rows)
    return Table(
        name="rejects-by-reason", title=t("method.rejects", lang),
        intro=t("method.rejects_intro", lang, n=fmt.number(int(frame["rows"].sum()), lang))
        if len(frame) else "",
        frame=shown,
        empty=t("method.staff_only" if staff_only
                else "method.no_rejects" if loaded else "method.nothing_loaded", lang),
        kinds={c: k for c, k in kinds.items() if c in shown},
        phone=tuple(c for c in wanted if c in shown),
    )  # fmt: skip


def loads_table(frame: pd.DataFrame, lang: str, *, staff_only: bool = False) -> Table:
    """Every file loaded: rows accepted, already loaded and rejected, or why it was refused."""
    load, file, accepted, already, rejected = (
        t(k, lang) for k in ("col.load", "col.file", "col.accepted", "col.already",
                             "col.rejected")
    )  # fmt: skip
    shown = pd.DataFrame({
        load: frame["load_number"],
        file: frame["file"],
        t("col.table", lang): frame["table_name"],
        accepted: frame["accepted"],
        already: frame["already_loaded"],
        rejected: frame["rejected"],
        t("col.refused", lang): frame["refused"].fillna(""),
    })  # fmt: skip
    kinds = dict.fromkeys((load, accepted, already, rejected), "int")
    kinds |= {file: "text", t("col.table", lang): "text", t("col.refused", lang): "text"}
    return Table(
        name="loads", title=t("method.loads", lang), intro="", frame=shown,
        empty=t("method.staff_only" if staff_only else "method.no_loads", lang), kinds=kinds,
        phone=(file, accepted, rejected),
        height=300 if len(shown) > 8 else None,
    )  # fmt: skip


def freshness_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Latest planting and survey received per partner of planting projects, as days a
    reader reads ('none received' for one that has sent none yet)."""

    def day(value: object) -> str:
        if pd.isna(value):
            return t("method.none_received", lang)
        return words.period_label(value, "day", lang)

    return pd.DataFrame({
        t("col.partner", lang): frame["partner"],
        t("col.projects", lang): frame["projects"],
        t("col.latest_planting", lang): [day(v) for v in frame["latest_planting"]],
        t("col.latest_survey", lang): [day(v) for v in frame["latest_survey"]],
    })  # fmt: skip


#: Tables whose rows carry a user id: a raw line of theirs is never shown on a page.
TABLES_WITH_USERS = pseudonym.TABLES_WITH_USERS


def _shown_value(table: str, column: object, value: object, lang: str, rule: object = None) -> str:
    """A rejected value as a page may show it: never one that is or may hold a user id, nor
    the hash ingest stored in its place (greenstats/data/pseudonym.py). In a table with user
    ids only a value that broke a bound is shown (a snapshot built before ingest hid the
    others may still hold them raw: a user id shifted into another column)."""
    if pseudonym.is_hidden(value) or (
        table in TABLES_WITH_USERS
        and (
            not isinstance(column, str) or column == "user_id" or rule not in pseudonym.SHOWN_RULES
        )
    ):
        return t("method.value_hidden", lang)
    return "" if value is None or pd.isna(value) else str(value)


def reject_reason(rule: object, detail: object, reason: str, lang: str) -> str:
    """Why a row was rejected, in `lang`: the text of its rule (`reject.<rule>`) with its
    parameters; the stored English `reason` when the reject has no rule (a snapshot built
    before rules were stored) or the rule has no text."""
    if not isinstance(rule, str) or not rule:
        return reason
    try:
        values = json.loads(detail) if isinstance(detail, str) and detail else {}
        return t(f"reject.{rule}", lang, **values)
    except (KeyError, ValueError, TypeError, IndexError):
        return reason


def rejects_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Rejected rows counted by table, column and reason (in `lang`), with an example of each
    (user ids never shown: docs/CONTRACT.md, Privacy)."""
    rules = frame["rule"] if "rule" in frame else [None] * len(frame)
    details = frame["detail"] if "detail" in frame else [None] * len(frame)
    reasons = [
        reject_reason(rule, detail, reason, lang)
        for rule, detail, reason in zip(rules, details, frame["reason"], strict=True)
    ]
    values = [
        _shown_value(tb, c, v, lang, rule)
        for tb, c, v, rule in zip(frame["table_name"], frame["column_name"],
                                  frame["example_value"], rules, strict=True)
    ]  # fmt: skip
    return pd.DataFrame({
        t("col.table", lang): frame["table_name"],
        t("col.column", lang): frame["column_name"].fillna("—"),
        t("col.reason", lang): reasons,
        t("col.rows", lang): frame["rows"],
        t("col.example", lang): [f"{f} · {t('col.line', lang)} {n}: {v}" for f, n, v in
                                 zip(frame["example_file"], frame["example_line"], values,
                                     strict=True)],
    })  # fmt: skip
