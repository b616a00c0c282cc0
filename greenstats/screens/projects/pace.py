"""A project's target and pace in words ('5,000 trees', 'Behind plan', 'Behind by 7 trees'),
each figure with its unit and rounded as its measure is."""

from __future__ import annotations

import pandas as pd

from greenstats.ui import fmt
from greenstats.ui.i18n import t

#: What each pace status is called on a card (short, so it fits) and in a table.
PACE_KEYS = {
    "behind plan": "pace.behind_plan",
    "on plan": "pace.on_plan",
    "target met": "pace.target_met",
    "no target date": "pace.no_target_date",
    "no target": "pace.no_target",
}


def _unit_for(measure: str, kind: str) -> str:
    if measure == "area_ha":
        return "unit.ha"
    return "unit.trees" if kind == "afforestation" else "unit.m2"


def _decimals(measure: object) -> int:
    return 1 if measure == "area_ha" else 0


def _rounded(value: object, measure: object) -> float:
    return round(float(value), _decimals(measure))


def target_text(measure: object, value: object, kind: str, lang: str) -> str:
    """'5,000 trees', '10.0 ha', or 'No target'."""
    if not isinstance(measure, str) or pd.isna(value):
        return t("pace.no_target", lang)
    return fmt.quantity(_rounded(value, measure), _unit_for(measure, kind), lang,
                        _decimals(measure))  # fmt: skip


def pace_word(status: object, lang: str) -> str:
    """The pace in two or three words ('Behind plan', 'On plan', 'Target met', 'No target')."""
    return t(PACE_KEYS.get(status, "pace.no_target") if isinstance(status, str)
             else "pace.no_target", lang)  # fmt: skip


def behind_text(status: object, behind_by: object, measure: object, kind: str, lang: str) -> str:
    """How far behind plan, with its unit ('2,900 trees', '1 tree'); '' when not behind."""
    if status != "behind plan" or behind_by is None or pd.isna(behind_by):
        return ""
    return fmt.quantity(_rounded(behind_by, measure), _unit_for(str(measure), kind), lang,
                        _decimals(measure))  # fmt: skip
