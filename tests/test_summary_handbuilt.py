"""Every `summary` key on the hand-built folder equals the value worked out by hand below.

The arithmetic is written out from the rows in tests/handbuilt.py and the factors in
tests/data/reference_min; nothing here calls greenstats to compute an expectation.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from greenstats.metrics.catalog import SUMMARY_KEYS
from tests.conftest import summary_json
from tests.handbuilt import AS_OF

AS_OF_ARG = ("--as-of", AS_OF.isoformat())


def age(planted: date) -> float:
    """Years from planting to AS_OF (never negative), as the contract defines age_years."""
    return max(0, (AS_OF - planted).days) / 365.25


# Survival by hand: P1 saxaul latest survey (two on 2025-04-10) = (70 + 240) / (100 + 300);
# P2 sand_willow has none → default 0.6; P3 eelgrass = 40 / 100.
SAXAUL_P1, WILLOW_P2, EELGRASS_P3 = 310 / 400, 0.6, 40 / 100
# Sequestration factors (kg CO2e per surviving unit per year): central, low, high.
SAXAUL, WILLOW, EELGRASS = (5, 2, 8), (2, 1, 3), (0.5, 0.1, 1)
PL1 = 1000 * SAXAUL_P1, age(date(2023, 4, 10))  # (surviving units, age)
PL2 = 500 * SAXAUL_P1, age(date(2024, 10, 20))
PL3 = 2000 * WILLOW_P2, age(date(2024, 4, 1))
PL4 = 3000 * EELGRASS_P3, age(date(2024, 5, 1))
PL5 = 400 * WILLOW_P2, age(date(2026, 10, 1))  # planted after AS_OF: age 0


def seq_t(band: int, *rows: tuple[tuple[float, float], tuple[float, ...]]) -> float:
    """Σ surviving × factor × age ÷ 1000 (t CO2e) for (planting, factors) pairs."""
    return sum(p[0] * f[band] * p[1] for p, f in rows) / 1000


ALL_PLANTINGS = ((PL1, SAXAUL), (PL2, SAXAUL), (PL3, WILLOW), (PL4, EELGRASS), (PL5, WILLOW))

NO_FILTER = {
    # Accepted actions: a01-a07 and a15 from the CSV, a20-a21 from the Parquet part.
    "actions": 10,
    "users_active": 7,  # u1 u2 u3 u4 u5 u7 u8
    "energy_issued_g": 200 + 52 + 52 + 5 + 150 + 52 + 296 + 100 + 52 + 5,
    # 4 walking × 100 g, 4 metro × 500 g, 2 e-invoices × 5 g.
    "co2e_avoided_kg": (4 * 100 + 4 * 500 + 2 * 5) / 1000,
    "co2e_avoided_kg_low": (4 * 50 + 4 * 400 + 2 * 2) / 1000,
    "co2e_avoided_kg_high": (4 * 150 + 4 * 600 + 2 * 10) / 1000,
    "energy_redeemed_g": 17900 + 35800 + 15000 + 2500,
    "units_adopted": 1 + 2 + 5 + 5,
    "trees_planted": 1000 + 500 + 2000 + 400,
    "trees_surviving_est": 1000 * SAXAUL_P1 + 500 * SAXAUL_P1 + 2000 * WILLOW_P2 + 400 * WILLOW_P2,
    "sequestration_tco2e": seq_t(0, *ALL_PLANTINGS),
    "sequestration_tco2e_low": seq_t(1, *ALL_PLANTINGS),
    "sequestration_tco2e_high": seq_t(2, *ALL_PLANTINGS),
    "area_planted_ha": 1.48 + 0.74 + 1.2 + 0.3 + 0.25,
    "coastal_area_ha": 0.3,
    "protected_areas": 2,
    "protected_area_ha": 1823 + 500.5,
    "species_protected": 5,  # panda, snub-nosed monkey, magpie, snow leopard, gazelle
    "species_threatened": 4,  # all but the magpie (LC)
    "projects": 4,
    "partners": 5,  # Desert Green, Oasis Trust, Blue Coast, Panda Friends, Highland Watch
    "brands": 2,  # brand-metro, brand-tax
}

# 31 Dec 2024 in China time: a01 (no offset, 23:30) and a02 ('Z', 15:30 UTC) but not a03
# (16:30 UTC = 00:30 on 1 Jan); r4 redeemed 23:59:59. No planting that day.
NEW_YEARS_EVE = {
    **dict.fromkeys(SUMMARY_KEYS, 0),
    "actions": 2,
    "users_active": 2,
    "energy_issued_g": 200 + 52,
    "co2e_avoided_kg": (100 + 500) / 1000,
    "co2e_avoided_kg_low": (50 + 400) / 1000,
    "co2e_avoided_kg_high": (150 + 600) / 1000,
    "energy_redeemed_g": 2500,
    "units_adopted": 5,
    # Projects and protected areas are not cut by period.
    "protected_areas": 2,
    "protected_area_ha": 1823 + 500.5,
    "species_protected": 5,
    "species_threatened": 4,
    "projects": 4,
    "partners": 5,
    "brands": 1,
}

# Guangdong in 2025: a03 (00:30 on 1 Jan) and a20; nothing else is in Guangdong.
GUANGDONG_2025 = {
    **dict.fromkeys(SUMMARY_KEYS, 0),
    "actions": 2,
    "users_active": 1,
    "energy_issued_g": 52 + 52,
    "co2e_avoided_kg": 2 * 500 / 1000,
    "co2e_avoided_kg_low": 2 * 400 / 1000,
    "co2e_avoided_kg_high": 2 * 600 / 1000,
    "brands": 1,
}

# Inner Mongolia, all time: a07; project P1 with r1, r2, PL1, PL2.
INNER_MONGOLIA = {
    **dict.fromkeys(SUMMARY_KEYS, 0),
    "actions": 1,
    "users_active": 1,
    "energy_issued_g": 296,
    "co2e_avoided_kg": 100 / 1000,
    "co2e_avoided_kg_low": 50 / 1000,
    "co2e_avoided_kg_high": 150 / 1000,
    "energy_redeemed_g": 17900 + 35800,
    "units_adopted": 1 + 2,
    "trees_planted": 1000 + 500,
    "trees_surviving_est": 1500 * SAXAUL_P1,
    "sequestration_tco2e": seq_t(0, (PL1, SAXAUL), (PL2, SAXAUL)),
    "sequestration_tco2e_low": seq_t(1, (PL1, SAXAUL), (PL2, SAXAUL)),
    "sequestration_tco2e_high": seq_t(2, (PL1, SAXAUL), (PL2, SAXAUL)),
    "area_planted_ha": 1.48 + 0.74,
    "projects": 1,
    "partners": 1,
}

# Sichuan and Gansu in 2025: no actions there; r4 (Sichuan) was on 31 Dec 2024; Gansu's
# plantings were in 2024 and 2026. Projects P2 and P4, areas A1 and A2 and their partners.
SICHUAN_GANSU_2025 = {
    **dict.fromkeys(SUMMARY_KEYS, 0),
    "protected_areas": 2,
    "protected_area_ha": 1823 + 500.5,
    "species_protected": 5,
    "species_threatened": 4,
    "projects": 2,
    "partners": 3,  # Oasis Trust, Panda Friends, Highland Watch
}

# 2026 everywhere: only PL5, planted after AS_OF, so age 0 and no sequestration yet.
YEAR_2026 = {
    **NEW_YEARS_EVE,
    **dict.fromkeys(
        ("actions", "users_active", "energy_issued_g", "co2e_avoided_kg", "co2e_avoided_kg_low",
         "co2e_avoided_kg_high", "energy_redeemed_g", "units_adopted", "brands"),
        0,
    ),
    "trees_planted": 400,
    "trees_surviving_est": 400 * WILLOW_P2,
    "area_planted_ha": 0.25,
}  # fmt: skip

CASES = {
    "no filter": ((), NO_FILTER),
    "31 Dec 2024 (CST)": (("--from", "2024-12-31", "--to", "2024-12-31"), NEW_YEARS_EVE),
    "Guangdong 2025": (("--from", "2025-01-01", "--to", "2025-12-31", "--region", "CN-GD"),
                       GUANGDONG_2025),
    "Inner Mongolia": (("--region", "CN-NM"), INNER_MONGOLIA),
    "Sichuan + Gansu 2025": (("--from", "2025-01-01", "--to", "2025-12-31", "--region", "CN-SC",
                              "--region", "CN-GS"), SICHUAN_GANSU_2025),
    "2026, planted after as_of": (("--from", "2026-01-01", "--to", "2026-12-31"), YEAR_2026),
}  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), CASES.values(), ids=CASES.keys())
def test_every_summary_key_equals_the_hand_computed_value(
    handbuilt_db: Path, args: tuple[str, ...], expected: dict
) -> None:
    got = summary_json(handbuilt_db, *args, *AS_OF_ARG)
    assert list(got) == list(SUMMARY_KEYS)
    for key in SUMMARY_KEYS:
        assert math.isclose(got[key], expected[key], rel_tol=1e-9, abs_tol=1e-12), (
            f"{key}: got {got[key]}, expected {expected[key]}"
        )


def test_summary_values_are_json_numbers(handbuilt_db: Path) -> None:
    got = summary_json(handbuilt_db, *AS_OF_ARG)
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in got.values())


def test_carbon_band_is_ordered(handbuilt_db: Path) -> None:
    got = summary_json(handbuilt_db, *AS_OF_ARG)
    for key in ("co2e_avoided_kg", "sequestration_tco2e"):
        assert got[f"{key}_low"] <= got[key] <= got[f"{key}_high"]
