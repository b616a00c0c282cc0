"""Region names and positions, and the country outlines the offline maps draw under sites."""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

import pandas as pd

from greenstats.data.paths import GEO_DIR


@cache
def regions() -> pd.DataFrame:
    """The 34 region codes with English and Chinese names and their capital's position."""
    return pd.read_csv(GEO_DIR / "regions.csv", dtype={"region": str})


def region_name(code: str, lang: str = "en") -> str:
    """A region's name as a reader writes it (short form in Chinese), or the code itself."""
    table = regions().set_index("region")
    if code not in table.index:
        return code
    return str(table.loc[code, "short_zh" if lang == "zh" else "name_en"])


@cache
def outlines() -> dict[str, Any]:
    """Natural Earth country outlines (GeoJSON) around China, shipped with the project."""
    return json.loads((GEO_DIR / "outlines.geojson").read_text(encoding="utf-8"))


@cache
def provinces() -> dict[str, Any]:
    """The lines between China's province-level regions (GeoJSON), drawn under sites so a
    point reads as 'in Gansu, near Inner Mongolia'; the coast and borders are `outlines`."""
    return json.loads((GEO_DIR / "provinces.geojson").read_text(encoding="utf-8"))


def fit(
    lat: pd.Series, lon: pd.Series, width_px: int = 420, *, min_span: float = 2.0
) -> tuple[dict[str, float], float]:
    """Map centre and zoom that show every point, with a margin; a view at least `min_span`
    degrees wide, so a single site still shows the provinces around it. Points without a
    position are left out; none at all shows China."""
    known = pd.DataFrame({"lat": lat, "lon": lon}).dropna()
    if known.empty:
        return {"lat": 35.0, "lon": 104.0}, 2.6
    lat_lo, lat_hi = float(known["lat"].min()), float(known["lat"].max())
    lon_lo, lon_hi = float(known["lon"].min()), float(known["lon"].max())
    span = max(lon_hi - lon_lo, (lat_hi - lat_lo) * 1.4, min_span) * 1.3
    zoom = math.log2(360 / span * width_px / 512)
    return {"lat": (lat_lo + lat_hi) / 2, "lon": (lon_lo + lon_hi) / 2}, max(min(zoom, 8.0), 1.5)
