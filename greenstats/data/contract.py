"""The data contract of docs/CONTRACT.md (v1) in one place: tables, columns, types, rules.

Ingest compiles these definitions into SQL, the tests build their fixtures from them and the
methodology page renders them; nothing else restates them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NamedTuple

CONTRACT_VERSION = "1"

#: A timestamp without an offset is China Standard Time; periods are CST calendar days.
LOCAL_TZ = "Asia/Shanghai"

ColumnType = Literal["text", "int", "number", "timestamp", "date"]

# --- bounds every value must meet (docs/CONTRACT.md, Bounds) ---------------------------------

#: The earliest instant of a program event (an action, a redemption). The program runs in a
#: phone app; an earlier time is a device clock or a default value (1970-01-01, 0001-01-01),
#: never a real action, and it would stretch every chart back to it.
EVENT_FLOOR = date(2000, 1, 1)
#: The earliest date of a field record (a project's start, a planting, a survey, a protected
#: area's establishment, an observation). China's first nature reserve (Dinghushan) dates from
#: 1956; 1900 leaves room for older records and keeps out years 0000-0099 and other slips.
FIELD_FLOOR = date(1900, 1, 1)
#: The latest date a plan (a project's target date) may name: a target beyond it is a slip.
PLAN_CEILING = date(2100, 12, 31)
#: `latest="load"`: no later than the start of the load plus this many days. A record of
#: something done cannot be in the future; one day allows for clocks that run fast and for
#: partners whose day begins before China's (UTC+14:00 is 6 hours ahead of it).
FUTURE_SLACK_DAYS = 1
#: A timestamp's UTC offset lies within ±14:00 (the offsets in use run from −12:00 to +14:00).
MAX_OFFSET_MINUTES = 14 * 60
#: Text values (ids, names, codes) are at most this many characters long; a longer one is a
#: column slip or a runaway quote, and it would be copied into every page that shows it.
TEXT_MAX_CHARS = 1000


#: What an identifier is trimmed of at either end: Unicode's White_Space characters (the ASCII
#: ones, NEL, NO-BREAK SPACE, the typographic spaces, IDEOGRAPHIC SPACE…) and the byte order
#: mark, which is also removed wherever it stands (a file appended to another keeps its BOM
#: in the middle of the text).
KEY_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
BOM = "\ufeff"
#: An integral number written with a decimal point (`9002.0`, `-5.`): pandas writes integer ids
#: so when their column has a missing value. Its canonical form is the integer (`9002`).
INTEGRAL_DECIMAL = r"[+-]?\d+\.0*"


def canonical_key(value: str) -> str:
    """An identifier's canonical form (docs/CONTRACT.md, Keys): every BOM removed, Unicode
    white space trimmed at either end, NFC, an integral decimal written as its integer. Two
    values with one canonical form are one key. Ingest computes the same in SQL on both
    engines (greenstats.data.ingest.rules.canonical); tests hold the two to each other."""
    text = unicodedata.normalize("NFC", value.replace(BOM, "").strip(KEY_SPACE))
    if "." in text and re.fullmatch(INTEGRAL_DECIMAL, text, flags=re.ASCII):
        return text[: text.index(".")]
    return text


def bound_text(bound: float) -> str:
    """A numeric bound as reasons and docs write it: 90, -180, 0.5, 1,000,000."""
    return format(bound, ",.15g")


@dataclass(frozen=True)
class Column:
    """One column of an input table and the rules a value must meet."""

    name: str
    type: ColumnType
    required: bool = True
    min_value: float | None = None  # inclusive lower bound
    above: float | None = None  # exclusive lower bound
    max_value: float | None = None  # inclusive upper bound
    allowed: str | None = None  # name of a code list in CODE_LISTS, or "reference:actions" etc.
    references: str | None = None  # "table.column" that must already exist
    description: str = ""
    # Dates and timestamps: the earliest day allowed, and the latest: a day, or "load" (no
    # later than the load's start plus FUTURE_SLACK_DAYS).
    earliest: date | None = None
    latest: date | Literal["load"] | None = None
    #: An identifier (a key, a reference to one, a user or brand id): compared and stored as
    #: its canonical form (`canonical_key`), so a re-sent value is the same value.
    identifier: bool = False

    @property
    def is_identifier(self) -> bool:
        return self.identifier or self.references is not None


class RowRule(NamedTuple):
    """A rule over several columns of a row: the column a reject names, the predicate that must
    hold ({col} stands for a column's typed value) and the rule's code in REJECT_RULES."""

    column: str
    predicate: str
    rule: str


@dataclass(frozen=True)
class Table:
    """One operational input table: its grain, unique key and columns."""

    name: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    row_rules: tuple[RowRule, ...] = field(default=())
    # Date or timestamp column that the lake partitions this table by (month), if any.
    partition_by: str | None = None

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


#: The 34 ISO 3166-2:CN codes: part of the contract, not of the replaceable methodology.
REGION_CODES: tuple[str, ...] = (
    "CN-AH", "CN-BJ", "CN-CQ", "CN-FJ", "CN-GD", "CN-GS", "CN-GX", "CN-GZ", "CN-HA",
    "CN-HB", "CN-HE", "CN-HI", "CN-HK", "CN-HL", "CN-HN", "CN-JL", "CN-JS", "CN-JX",
    "CN-LN", "CN-MO", "CN-NM", "CN-NX", "CN-QH", "CN-SC", "CN-SD", "CN-SH", "CN-SN",
    "CN-SX", "CN-TJ", "CN-TW", "CN-XJ", "CN-XZ", "CN-YN", "CN-ZJ",
)  # fmt: skip

IUCN_CATEGORIES: tuple[str, ...] = ("EX", "EW", "CR", "EN", "VU", "NT", "LC", "DD", "NE")
THREATENED_CATEGORIES: tuple[str, ...] = ("CR", "EN", "VU")
PROJECT_KINDS: tuple[str, ...] = ("afforestation", "conservation", "coastal")
SPECIES_UNITS: tuple[str, ...] = ("tree", "m2")
HABITATS: tuple[str, ...] = ("desert", "forest", "grassland", "coastal")

#: Closed code lists that a column may be checked against (reference codes come from the
#: methodology in force and are added at ingest time).
CODE_LISTS: dict[str, tuple[str, ...]] = {
    "regions": REGION_CODES,
    "iucn_categories": IUCN_CATEGORIES,
    "project_kinds": PROJECT_KINDS,
}


def _id(name: str, desc: str = "", required: bool = True) -> Column:
    return Column(name, "text", required, description=desc, identifier=True)


def _event_time(name: str) -> Column:
    """When a program event happened: from EVENT_FLOOR to the load's day + 1."""
    return Column(name, "timestamp", earliest=EVENT_FLOOR, latest="load")


def _field_date(name: str, required: bool = True) -> Column:
    """The day something was done in the field: from FIELD_FLOOR to the load's day + 1."""
    return Column(name, "date", required, earliest=FIELD_FLOOR, latest="load")


def _lat(required: bool = False) -> Column:
    return Column("lat", "number", required, min_value=-90, max_value=90)


def _lon(required: bool = False) -> Column:
    return Column("lon", "number", required, min_value=-180, max_value=180)


ACTIONS = Table(
    name="actions",
    grain="one low-carbon action credited to a user",
    key=("event_id",),
    columns=(
        _id("event_id"),
        _id("user_id"),
        _event_time("occurred_at"),
        Column("action", "text", allowed="reference:actions"),
        Column("region", "text", allowed="regions"),
        Column(
            "energy_g", "int", min_value=0, max_value=1e6, description="green energy awarded, g"
        ),
        _id("brand_id", "partner brand that credited it", required=False),
    ),
    partition_by="occurred_at",
)

REDEMPTIONS = Table(
    name="redemptions",
    grain="one conversion of a user's energy into a planting or protection unit",
    key=("redemption_id",),
    columns=(
        _id("redemption_id"),
        _id("user_id"),
        _event_time("redeemed_at"),
        Column("project_id", "text", references="projects.project_id"),
        Column("species", "text", allowed="reference:species"),
        Column(
            "units", "number", above=0, max_value=1e6, description="trees, or m² for area species"
        ),
        Column("energy_g", "int", above=0, max_value=1e9),
    ),
    partition_by="redeemed_at",
)

PROJECTS = Table(
    name="projects",
    grain="one restoration or conservation project run by a partner",
    key=("project_id",),
    columns=(
        _id("project_id"),
        Column("name", "text"),
        Column("name_zh", "text", required=False, description="the name in Chinese"),
        Column("partner", "text"),
        Column("partner_zh", "text", required=False, description="the partner's Chinese name"),
        Column("kind", "text", allowed="project_kinds"),
        Column("region", "text", allowed="regions"),
        _lat(required=True),
        _lon(required=True),
        _field_date("started_on"),
        Column("target_units", "number", required=False, above=0, max_value=1e10),
        Column("target_area_ha", "number", required=False, above=0, max_value=1e8),
        Column("target_date", "date", required=False, earliest=FIELD_FLOOR, latest=PLAN_CEILING),
    ),
)

PLANTINGS = Table(
    name="plantings",
    grain="one batch planted in the field",
    key=("planting_id",),
    columns=(
        _id("planting_id"),
        Column("project_id", "text", references="projects.project_id"),
        Column("species", "text", allowed="reference:species"),
        _field_date("planted_on"),
        Column("units_planted", "number", above=0, max_value=1e9),
        Column("area_ha", "number", min_value=0, max_value=1e6),
        _lat(),
        _lon(),
    ),
)

SURVEYS = Table(
    name="surveys",
    grain="one survival count of a project's planted species",
    key=("survey_id",),
    columns=(
        _id("survey_id"),
        Column("project_id", "text", references="projects.project_id"),
        Column("species", "text", allowed="reference:species"),
        _field_date("surveyed_on"),
        Column("units_sampled", "int", above=0, max_value=1e9),
        Column("units_alive", "int", min_value=0, max_value=1e9),
    ),
    row_rules=(
        RowRule("units_alive", "{units_alive} <= {units_sampled}", "alive_exceeds_sampled"),
    ),
)

PROTECTED_AREAS = Table(
    name="protected_areas",
    grain="one protected area",
    key=("area_id",),
    columns=(
        _id("area_id"),
        Column("name", "text"),
        Column("name_zh", "text", required=False, description="the name in Chinese"),
        Column("partner", "text"),
        Column("partner_zh", "text", required=False, description="the partner's Chinese name"),
        Column("region", "text", allowed="regions"),
        Column("area_ha", "number", above=0, max_value=1e8),
        _field_date("established_on"),
        _lat(),
        _lon(),
        Column("project_id", "text", required=False, references="projects.project_id"),
    ),
)

AREA_SPECIES = Table(
    name="area_species",
    grain="one species recorded in a protected area",
    key=("area_id", "scientific_name"),
    columns=(
        Column("area_id", "text", references="protected_areas.area_id"),
        Column("scientific_name", "text", identifier=True),
        Column("iucn_category", "text", allowed="iucn_categories"),
        Column("common_name", "text", required=False),
        Column("common_name_zh", "text", required=False, description="common name in Chinese"),
        Column("taxon_group", "text", required=False),
        _field_date("last_observed_on", required=False),
    ),
)

#: Optional: names for the `brand_id`s of actions. A folder without it loads as before, and a
#: brand with no row here is shown by its id.
BRANDS = Table(
    name="brands",
    grain="one partner brand that credits actions",
    key=("brand_id",),
    columns=(
        _id("brand_id"),
        Column("name", "text"),
        Column("name_zh", "text", required=False, description="the name in Chinese"),
    ),
)

#: In load order: a table is loaded after every table it references.
TABLES: tuple[Table, ...] = (
    PROJECTS,
    PROTECTED_AREAS,
    AREA_SPECIES,
    BRANDS,
    ACTIONS,
    REDEMPTIONS,
    PLANTINGS,
    SURVEYS,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# --- why a row is rejected ----------------------------------------------------------------

#: Every reason a row can be rejected for: a stable code and its English text, whose {fields}
#: come from the reject's `detail` (a JSON object). The rejects table stores the code, the
#: detail and this text; pages show the text of `reject.<code>` in greenstats/ui/i18n/strings.csv
#: in the reader's language.
REJECT_RULES: dict[str, str] = {
    "missing": "missing required value",
    "not_int": "is not a whole number",
    "not_number": "is not a number",
    "not_timestamp": "is not an ISO 8601 timestamp",
    "not_date": "is not a YYYY-MM-DD date",
    "not_text": "is not text",
    "below_min": "must be ≥ {bound}",
    "not_above": "must be > {bound}",
    "above_max": "must be ≤ {bound}",
    "unknown_regions": "unknown code (not one of the contract's regions)",
    "unknown_iucn_categories": "unknown code (not one of the contract's iucn categories)",
    "unknown_project_kinds": "unknown code (not one of the contract's project kinds)",
    "unknown_actions": "unknown code (not in the methodology's actions.csv)",
    "unknown_species": "unknown code (not in the methodology's species.csv)",
    "unknown_projects": "no such project_id in projects",
    "unknown_protected_areas": "no such area_id in protected_areas",
    "alive_exceeds_sampled": "units_alive exceeds units_sampled",
    "duplicate_key": "duplicate {id} within the file (first at line {first_line})",
    "too_many_fields": "row has more fields than the header",
    "too_few_fields": "row has fewer fields than the header",
    "bad_encoding": "row is neither UTF-8 nor GB18030 text",
    "bad_quoting": "badly quoted value",
    "unreadable_row": "{error}",
    # Appended with the bounds (docs/CONTRACT.md, Bounds); strings.csv has them in this order.
    "too_early": "must be on or after {bound}",
    "too_late": "must be on or before {bound}",
    "bad_offset": "UTC offset must be within ±14:00",
    "too_long": "is longer than {bound} characters",
    "control_char": "contains a control character (a line break, tab or other)",
    "unclosed_quote": "a quote opened on this line is never closed",
}

#: The rule a column's type check breaks.
TYPE_RULES: dict[str, str] = {
    "int": "not_int",
    "number": "not_number",
    "timestamp": "not_timestamp",
    "date": "not_date",
    "text": "not_text",
}


def code_rule(allowed: str) -> str:
    """The rule a value outside a code list breaks: `unknown_<list>`."""
    return "unknown_" + allowed.removeprefix("reference:")


def reference_rule(references: str) -> str:
    """The rule a value breaks that names no row of the table it refers to: `unknown_<table>`."""
    return "unknown_" + references.split(".", maxsplit=1)[0]


# --- reference tables (the methodology) -------------------------------------------------

REFERENCE_REQUIRED: dict[str, tuple[str, ...]] = {
    "actions": ("action", "co2e_g", "co2e_g_low", "co2e_g_high"),
    "species": (
        "species",
        "unit",
        "habitat",
        "seq_kg_per_unit_yr",
        "seq_kg_per_unit_yr_low",
        "seq_kg_per_unit_yr_high",
        "default_survival",
    ),
}

# --- privacy (docs/CONTRACT.md, Privacy) ------------------------------------------------------

#: A count of fewer people than this is shown as "< K" (the metrics that count people are
#: marked in greenstats/metrics/catalog.py).
K_ANONYMITY = 10
