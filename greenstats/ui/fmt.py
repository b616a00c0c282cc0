"""Numbers as people read them: separators, compact forms (M in English, 万/亿 in Chinese), units,
carbon with its range, and counts of people under k shown as "< k". Pure functions."""

from __future__ import annotations

import math
import re

import numpy
import pandas as pd
from babel.numbers import format_compact_decimal, format_decimal

from greenstats.data.contract import K_ANONYMITY
from greenstats.metrics import units
from greenstats.ui.i18n import t

_LOCALES = {"en": "en", "zh": "zh_Hans_CN"}


def number(value: float | None, lang: str = "en", decimals: int = 0) -> str:
    """A number with thousands separators and a fixed count of decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_LOCALES.get(lang, "en"))


def compact(value: float | None, lang: str = "en") -> str:
    """A headline figure: 326.4M in English, 3.26亿 / 1,234.6万 in Chinese, plain below 10,000."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) < 10_000:
        return number(value, lang, 0 if abs(value) >= 100 or value == int(value) else 1)
    if lang == "zh":  # three significant figures, at least: 1.23亿, 12.3万, 6,369万 (never .0)
        scaled, suffix = (value / 1e8, "亿") if abs(value) >= 1e8 else (value / 1e4, "万")
        text = number(scaled, lang, max(0, 2 - math.floor(math.log10(abs(scaled)))))
        return (text.rstrip("0").rstrip(".") if "." in text else text) + suffix
    return format_compact_decimal(value, format_type="short", locale="en", fraction_digits=1)


def people(count: int | None, lang: str = "en", k: int = K_ANONYMITY) -> str:
    """A count of people, or "< k" when fewer than k (docs/CONTRACT.md, Privacy)."""
    if count is None:
        return "–"
    if 0 < count < k:
        return t("privacy.below_k", lang, k=k)
    return compact(count, lang)


def people_exact(count: int | None, lang: str = "en", k: int = K_ANONYMITY) -> str:
    """Like `people`, with separators instead of a compact form (tables and exports)."""
    if count is None:
        return "–"
    if 0 < count < k:
        return t("privacy.below_k", lang, k=k)
    return number(count, lang)


def is_suppressed(count: int | None, k: int = K_ANONYMITY) -> bool:
    """Whether a people-count must not be shown exactly."""
    return count is not None and 0 < count < k


_KG_IN_T = units.convert(1.0, "kg", "t")


def carbon_unit(tonnes: float, lang: str = "en") -> tuple[float, str]:
    """The unit to show a carbon value in tonnes with: (tonnes per unit, unit label)."""
    size = abs(tonnes)
    if lang == "zh":  # Chinese readers count in 万 and 亿, not thousands and millions
        if size >= 1e8:
            return 1e8, t("unit.yi_t_co2e", lang)
        if size >= 1e4:
            return 1e4, t("unit.wan_t_co2e", lang)
        return (1.0, t("unit.t_co2e", lang)) if size >= 1 else (_KG_IN_T, t("unit.kg_co2e", lang))
    if size >= 1e6:
        return 1e6, t("unit.mt_co2e", lang)
    if size >= 1e3:
        return 1e3, t("unit.kt_co2e", lang)
    if size >= 1:
        return 1.0, t("unit.t_co2e", lang)
    return _KG_IN_T, t("unit.kg_co2e", lang)


def in_unit(value: float, per_unit: float, unit: str, lang: str = "en") -> str:
    """A value in a unit chosen elsewhere (a chart axis's), three significant figures: the
    sentence above a chart then names the unit its axis does, e.g. '1.23 kt CO₂e'."""
    sep = "" if lang == "zh" else " "
    return f"{_sig(value / per_unit, lang)}{sep}{unit}"


def _sig(value: float, lang: str) -> str:
    """Three significant figures, with separators."""
    if value == 0:
        return "0"
    digits = min(max(0, 2 - math.floor(math.log10(abs(value)))), 3)
    text = number(round(value, digits), lang, digits)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _carbon_texts(
    central_t: float, low_t: float, high_t: float, lang: str, unit: tuple[float, str] | None
) -> tuple[str, str, str]:
    """The three numbers in one unit, and the unit with its separator: ('12.3', '9.8–15.1',
    ' kt CO₂e')."""
    per_unit, label = unit or carbon_unit(max(abs(central_t), abs(high_t)), lang)
    c, lo, hi = (v / per_unit for v in (central_t, low_t, high_t))
    sep = "" if lang == "zh" else " "
    return _sig(c, lang), f"{_sig(lo, lang)}–{_sig(hi, lang)}", f"{sep}{label}"


def carbon_parts(
    central_t: float, low_t: float, high_t: float, lang: str = "en",
    unit: tuple[float, str] | None = None,
) -> tuple[str, str]:  # fmt: skip
    """Carbon and its range, each with the one unit: ('12.3 kt CO₂e', '9.8–15.1 kt CO₂e'); the
    unit suits the value unless given (tonnes per unit, label), e.g. the unit of the chart it
    describes."""
    value, band, label = _carbon_texts(central_t, low_t, high_t, lang, unit)
    return value + label, band + label


def carbon(
    central_t: float, low_t: float, high_t: float, lang: str = "en",
    unit: tuple[float, str] | None = None,
) -> str:  # fmt: skip
    """Carbon with its range in one unit, e.g. '12.3 kt CO₂e (9.8–15.1)'."""
    value, band, label = _carbon_texts(central_t, low_t, high_t, lang, unit)
    return f"{value}{label} ({band})"


def area_unit(largest_ha: float) -> tuple[float, str]:
    """The unit areas up to `largest_ha` read naturally in: m² below 1 ha, else ha, as
    (units per ha, unit key). One table column or chart axis uses one unit."""
    return (10_000.0, "unit.m2") if abs(largest_ha) < 1 else (1.0, "unit.ha")


def area_decimals(value: float, unit_key: str) -> int:
    """Decimals an area shows in its unit: whole m² (tenths below 10), ha to 3 figures."""
    size = abs(value)
    if unit_key == "unit.m2":
        return 0 if size >= 10 or size == 0 else 1
    return 0 if size >= 100 else (1 if size >= 10 else 2)


def area(ha: float, lang: str = "en") -> str:
    """An area as a reader reads it: m² below 1 ha ('289 m²'), else ha ('1.48 ha', '12.3 ha',
    '1,235 ha') — never '0.00 ha'."""
    per_ha, unit_key = area_unit(ha)
    value = ha * per_ha
    return quantity(value, unit_key, lang, area_decimals(value, unit_key))


_SINGULAR = {"unit.trees": "unit.tree", "unit.units": "unit.unit", "unit.actions": "unit.action",
             "unit.users": "unit.user", "unit.areas": "unit.area", "unit.partners": "unit.partner",
             "unit.batches": "unit.batch", "unit.projects": "unit.project",
             "unit.regions": "unit.region", "unit.survey_days": "unit.survey_day",
             "unit.places": "unit.place", "unit.sites": "unit.site", "unit.months": "unit.month",
             "unit.days": "unit.day", "unit.brands": "unit.brand",
             "unit.rows": "unit.row"}  # fmt: skip


def quantity(value: float, unit_key: str, lang: str = "en", decimals: int = 0) -> str:
    """A number with its unit, e.g. '5,500 trees' / '5,500 棵' ('1 tree', not '1 trees')."""
    sep = "" if lang == "zh" else " "
    if lang == "en" and value == 1 and unit_key in _SINGULAR:
        unit_key = _SINGULAR[unit_key]
    return f"{number(value, lang, decimals)}{sep}{t(unit_key, lang)}"


def compact_quantity(value: float, unit_key: str, lang: str = "en") -> str:
    """A compact number with its unit, e.g. '326.4M trees' / '3.26亿棵' ('1 action')."""
    sep = "" if lang == "zh" else " "
    if lang == "en" and value == 1 and unit_key in _SINGULAR:
        unit_key = _SINGULAR[unit_key]
    return f"{compact(value, lang)}{sep}{t(unit_key, lang)}"


def percent(fraction: float | None, lang: str = "en", decimals: int = 0) -> str:
    """A share as a percentage, e.g. '12%'."""
    if fraction is None or math.isnan(fraction):
        return "–"
    return number(fraction * 100, lang, decimals) + "%"


def csv_safe(value: object) -> object:
    """Neutralise a text cell that a spreadsheet would run as a formula (= + - @ and friends)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def tidy_float(value: float) -> float:
    """A float without binary noise (10 significant digits), for exports."""
    return value if not math.isfinite(value) else float(f"{value:.10g}")


def column_digits(values: pd.Series) -> pd.Series:
    """A column of floats as an export writes it: every row to the decimals the column needs
    (its figure's precision, not each row's: 40.000 beside 39.990, never 40 beside 39.99),
    without float noise (0.2987000000000001 is 0.2987: 10 significant digits) and never in
    exponent form; empty where there is no value."""
    tidy = [plain(tidy_float(v)) if pd.notna(v) else "" for v in values]
    decimals = max((len(x.split(".")[1]) for x in tidy if "." in x), default=0)
    return pd.Series(
        [f"{float(v):.{decimals}f}" if x and math.isfinite(v) else x
         for v, x in zip(values, tidy, strict=True)],
        index=values.index, dtype=object,
    )  # fmt: skip


def plain(value: float) -> str:
    """A float as digits a spreadsheet and a reader both take: '128', '0.00009', never
    '128.0' or '9e-05' (for exports, after `tidy_float`)."""
    if not math.isfinite(value):
        return str(value)
    return numpy.format_float_positional(value, trim="-")


def percent_change(relative: float, lang: str = "en") -> str:
    """A relative change with its sign, e.g. '+12%' or '−3.5%'."""
    digits = 1 if abs(relative) < 0.1 else 0
    text = number(abs(relative) * 100, lang, digits) + "%"
    return ("+" if relative >= 0 else "-") + text  # ASCII minus: st.metric reads the sign


_URL = re.compile(r"https?://[^\s<>\"'`]+")
#: Characters that start markdown (or Streamlit's $math$, :colour[], :emoji: and ~strike~)
#: anywhere.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~$&:])")
#: What starts a block only at the beginning of a line: heading, list, quote, rule, setext.
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)](?=\s|$))", re.MULTILINE)


def escape_md(text: object, *, links: bool = False) -> str:
    """Text from the data or a link shown through st.markdown as the characters it holds: no
    emphasis, image, link, heading, list, HTML or math. A web address is not made a link (a
    zero-width space after its scheme stops markdown's autolinks) unless `links`: the
    methodology's sources, where it stays a plain link to its own text."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    value = str(text)
    if not links:
        plain = _escape_plain(value).replace("://", ":\u200b//").replace("www.", "www\u200b.")
        return _EMAIL_AT.sub("@\u200b", plain)  # nor an email address a mailto: link
    out, start = [], 0
    for match in _URL.finditer(value):
        url = match.group(0).rstrip(".,;:!?)]}'\"")
        end = match.start() + len(url)
        out.append(_escape_plain(value[start : match.start()]))
        out.append(f"<{url}>")  # an autolink: nothing inside it is read as markdown
        start = end
    out.append(_escape_plain(value[start:]))
    return "".join(out)


#: The '@' of an email address, which markdown would make a mailto: link.
_EMAIL_AT = re.compile(r"(?<=\w)@(?=\w)")


def _escape_plain(text: str) -> str:
    text = _MD_INLINE.sub(r"\\\1", text)
    # Streamlit reads :material/icon: even with its colons escaped: a zero-width space after
    # a colon that comes before a letter keeps it text.
    text = re.sub(r"\\:(?=[A-Za-z])", "\\:\u200b", text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)
