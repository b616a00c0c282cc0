"""The methodology: reference tables (factors with ranges and sources), their version, checks.

A reference folder holds `actions.csv`, `species.csv` and `methodology.csv` (or a `version`
column in the others). Only the columns docs/CONTRACT.md names are required; names fall back to
codes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from greenstats.data.contract import HABITATS, REFERENCE_REQUIRED, SPECIES_UNITS

#: The largest value a factor may take (its low and high too). A factor above it is a slip
#: (a unit mixed up, a digit too many), and one that is not finite would make every figure
#: that uses it infinite. co2e_g: 10 t CO₂e for one credited action, about 40 times the
#: shipped high of the costliest action (254 kg, an efficient appliance).
#: seq_kg_per_unit_yr: a tonne of CO₂e a year for one tree or m², about 80 times the shipped
#: high (12 kg). energy_g_per_unit: 10⁹ g, the contract's ceiling for one redemption.
FACTOR_CEILINGS: dict[str, float] = {
    "co2e_g": 1e7,
    "seq_kg_per_unit_yr": 1e3,
    "default_survival": 1.0,
    "energy_g": 1e6,
    "energy_g_per_unit": 1e9,
}

#: Optional columns and what they fall back to when a reference folder lacks them.
_ACTION_DEFAULTS = {"name_en": None, "name_zh": None, "category": "other", "energy_g": None}
_SPECIES_DEFAULTS = {
    "name_en": None,
    "name_zh": None,
    "scientific_name": None,
    "energy_g_per_unit": None,
    "density_per_ha": None,
}


class MethodologyError(ValueError):
    """A reference folder that breaks a rule: names the file, row and rule."""


@dataclass(frozen=True)
class Reference:
    """A methodology in force: action factors, species factors, version and where it came from."""

    actions: pd.DataFrame
    species: pd.DataFrame
    version: str
    source: str
    fingerprint: str

    @property
    def action_codes(self) -> list[str]:
        return self.actions["action"].tolist()

    @property
    def species_codes(self) -> list[str]:
        return self.species["species"].tolist()


def load_reference(folder: str | Path) -> Reference:
    """Read and check a reference folder; raise MethodologyError naming file, row and rule."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MethodologyError(f"{folder}: reference folder not found")
    actions = _read(folder / "actions.csv", "actions")
    species = _read(folder / "species.csv", "species")
    _check_ranges(actions, folder / "actions.csv", "co2e_g")
    _check_ranges(species, folder / "species.csv", "seq_kg_per_unit_yr")
    _check_codes(species, folder / "species.csv", "unit", SPECIES_UNITS)
    _check_codes(species, folder / "species.csv", "habitat", HABITATS)
    bad = species[(species["default_survival"] < 0) | (species["default_survival"] > 1)]
    if len(bad):
        row = int(bad.index[0]) + 2
        raise MethodologyError(
            f"{folder / 'species.csv'} line {row}: default_survival must be between 0 and 1"
        )
    for col, default in _ACTION_DEFAULTS.items():
        if col not in actions:
            actions[col] = default
    for col, default in _SPECIES_DEFAULTS.items():
        if col not in species:
            species[col] = default
    for frame, code in ((actions, "action"), (species, "species")):
        for col in ("name_en", "name_zh"):
            frame[col] = frame[col].where(frame[col].notna() & (frame[col] != ""), frame[code])
    version = _version(folder, actions, species)
    digest = hashlib.sha256()
    for name in ("actions.csv", "species.csv", "methodology.csv"):
        path = folder / name
        if path.exists():
            digest.update(path.read_bytes())
    return Reference(actions, species, version, str(folder), digest.hexdigest()[:12])


def _read(path: Path, kind: str) -> pd.DataFrame:
    if not path.exists():
        raise MethodologyError(f"{path}: missing (a reference folder needs {kind}.csv)")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise MethodologyError(f"{path}: cannot be read as UTF-8 CSV ({exc})") from exc
    code = REFERENCE_REQUIRED[kind][0]
    for col in REFERENCE_REQUIRED[kind]:
        if col not in frame.columns:
            raise MethodologyError(f"{path}: required column {col!r} is missing")
    for col in REFERENCE_REQUIRED[kind][1:]:
        if col in ("unit", "habitat"):
            continue
        frame[col] = _numbers(frame[col], path, col, required=True)
    for col in ("energy_g", "energy_g_per_unit", "density_per_ha"):
        if col in frame.columns:
            frame[col] = _numbers(frame[col], path, col, required=False)
    empty = frame[code] == ""
    if empty.any():
        raise MethodologyError(
            f"{path} line {int(empty.to_numpy().nonzero()[0][0]) + 2}: empty {code}"
        )
    dupes = frame[code].duplicated()
    if dupes.any():
        row = int(dupes.to_numpy().nonzero()[0][0]) + 2
        raise MethodologyError(f"{path} line {row}: {code} {frame[code][dupes].iloc[0]!r} repeats")
    return frame


def _numbers(values: pd.Series, path: Path, col: str, *, required: bool) -> pd.Series:
    """A column of factors as numbers: finite, ≥ 0 and at most its ceiling (FACTOR_CEILINGS);
    an optional column may be blank. Anything else refuses the folder, naming file, line and
    rule."""
    text = values.astype(str).str.strip()
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
    blank = text == ""
    finite = np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    ceiling = FACTOR_CEILINGS.get(col.removesuffix("_low").removesuffix("_high"), np.inf)
    bad = ~finite | (numbers < 0) | (numbers > ceiling)
    if not required:
        bad &= ~blank
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        limit = f" and ≤ {ceiling:,.0f}" if np.isfinite(ceiling) else ""
        raise MethodologyError(
            f"{path} line {row}: {col} must be a finite number ≥ 0{limit} "
            f"(not {values.iloc[row - 2]!r})"
        )
    return numbers.astype(float)


def _check_ranges(frame: pd.DataFrame, path: Path, col: str) -> None:
    low, high = frame[f"{col}_low"], frame[f"{col}_high"]
    bad = (low > frame[col]) | (frame[col] > high)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise MethodologyError(f"{path} line {row}: needs {col}_low ≤ {col} ≤ {col}_high")


def _check_codes(frame: pd.DataFrame, path: Path, col: str, allowed: tuple[str, ...]) -> None:
    bad = ~frame[col].isin(allowed)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise MethodologyError(
            f"{path} line {row}: {col} {frame[col][bad].iloc[0]!r} "
            f"is not one of {', '.join(allowed)}"
        )


def _version(folder: Path, actions: pd.DataFrame, species: pd.DataFrame) -> str:
    meta = folder / "methodology.csv"
    if meta.exists():
        frame = pd.read_csv(meta, dtype=str, keep_default_na=False)
        if "version" in frame.columns and len(frame) and frame["version"].iloc[0]:
            return frame["version"].iloc[0]
    for frame in (actions, species):
        if "version" in frame.columns and frame["version"].iloc[0]:
            return str(frame["version"].iloc[0])
    raise MethodologyError(
        f"{folder}: no methodology version (methodology.csv with a `version` column, "
        "or a `version` column in actions.csv)"
    )


def load_equivalents(folder: str | Path) -> pd.DataFrame:
    """Everyday equivalents (kg CO2e per unit, names, source); empty when the folder has none."""
    path = Path(folder) / "equivalents.csv"
    if not path.exists():
        return pd.DataFrame(
            columns=[
                "key",
                "name_en",
                "name_zh",
                "kg_co2e_per_unit",
                "unit_en",
                "unit_zh",
                "source",
            ]
        )
    frame = pd.read_csv(path, dtype={"key": str}, keep_default_na=False)
    frame["kg_co2e_per_unit"] = pd.to_numeric(frame["kg_co2e_per_unit"])
    return frame
