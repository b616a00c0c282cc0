"""Projects and plantings: the species users adopt and what one adoption stands for in the
field, the partners and their afforestation and coastal projects, the batches partners plant
each spring and autumn from what was adopted, and the surveys that count survival after 1, 3
and 5 years."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from greenstats.data.demo.people import DEMO_END, DEMO_START, _random_day
from greenstats.data.paths import DEFAULT_REFERENCE

if TYPE_CHECKING:
    from greenstats.data.demo.redemptions import _Catalog


SPECIES_REFERENCE = DEFAULT_REFERENCE / "species.csv"


class SpeciesSpec(NamedTuple):
    """A species users can adopt: its unit and cost, planting density and field behaviour."""

    unit: str  # "tree" or "m2"
    energy_g_per_unit: int
    density_per_ha: float
    name: str  # as in project names
    popularity: float  # relative choice among open species when a user redeems
    survival: tuple[float, float]  # range of surveyed survival


# The one table of species numbers; data/reference/species.csv overrides unit, cost and density.
SPECIES: dict[str, SpeciesSpec] = {
    "saxaul": SpeciesSpec("tree", 17_900, 675, "saxaul", 40, (0.6, 0.9)),
    "sand_willow": SpeciesSpec("tree", 19_680, 1_650, "sand willow", 14, (0.62, 0.9)),
    "hedysarum": SpeciesSpec("tree", 18_880, 1_650, "hedysarum", 4, (0.58, 0.88)),
    "caragana": SpeciesSpec("tree", 16_930, 1_650, "caragana", 5, (0.65, 0.9)),
    "populus_euphratica": SpeciesSpec("tree", 215_680, 400, "Euphrates poplar", 2, (0.55, 0.85)),
    "tamarix": SpeciesSpec("tree", 22_400, 1_100, "tamarisk", 4, (0.6, 0.88)),
    "mongolian_pine": SpeciesSpec("tree", 146_210, 775, "Mongolian pine", 2, (0.55, 0.85)),
    "sea_buckthorn": SpeciesSpec("tree", 18_000, 1_650, "sea buckthorn", 5, (0.6, 0.9)),
    "eelgrass": SpeciesSpec("m2", 3_000, 10_000, "eelgrass", 8, (0.4, 0.8)),
    "kelp": SpeciesSpec("m2", 2_000, 10_000, "kelp", 8, (0.45, 0.8)),
    "mangrove": SpeciesSpec("m2", 6_000, 10_000, "mangrove", 6, (0.6, 0.85)),
    "salt_marsh": SpeciesSpec("m2", 2_500, 10_000, "salt marsh", 6, (0.6, 0.85)),
    "protected_land": SpeciesSpec("m2", 500, 10_000, "protected land", 20, (1.0, 1.0)),
}
PROTECTED = "protected_land"
# One adoption by a demo user stands for FIELD_SCALE units in the field. The demo writes a
# small sample of a program's users (a few thousand for a million events), and at the real
# prices (17,900 g a saxaul) their energy would pay for a few hundred trees: projects of 15
# trees and coasts of a few m². Scaled, a project plants thousands of trees and a coastal site
# hectares, as real ones do, while each redemption keeps its real price in energy; at 1e9
# events the program has about a billion trees, the size of the real one. Planted, backlog
# and targets all follow the scaled units.
FIELD_SCALE = 1_000
FIELD_SPREAD = 0.4  # lognormal sigma of the units one adoption stands for, around FIELD_SCALE
MIN_TARGET_UNITS = 2 * FIELD_SCALE  # a project's target is at least 1–3 times this many units
NEW_PAIR_BOOST = 20.0  # how much more often users pick a project nobody has adopted yet
MIN_BATCH_UNITS = 50  # a partner plants no batch smaller than this
SHARE_M2 = 5  # m² of protected land per redemption (before FIELD_SCALE)
COASTAL_M2 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)  # m² of coastal habitat per redemption ...
COASTAL_M2_P = (0.55, 0.15, 0.07, 0.04, 0.08, 0.02, 0.02, 0.02, 0.01, 0.04)  # ... and how often

PARTNERS: tuple[str, ...] = (
    "Dryland Roots Foundation", "Northwest Sand Control Cooperative",
    "Yellow River Greening Trust", "Gobi Edge Ecology Centre",
    "Loess Highlands Restoration Network", "Blue Shore Marine Conservancy",
    "Tidal Commons Institute", "Mountain Refuge Conservation Fund",
    "Highland Wildlife Guardians", "Forest Commons Community Alliance",
)  # fmt: skip
#: The partners' Chinese names (fictional organisations, like their English names).
PARTNER_ZH: dict[str, str] = {
    "Dryland Roots Foundation": "旱地根脉基金会",
    "Northwest Sand Control Cooperative": "西北治沙合作社",
    "Yellow River Greening Trust": "黄河绿化公益信托",
    "Gobi Edge Ecology Centre": "戈壁边缘生态中心",
    "Loess Highlands Restoration Network": "黄土高原生态修复网络",
    "Blue Shore Marine Conservancy": "蓝岸海洋保护协会",
    "Tidal Commons Institute": "潮汐公益研究院",
    "Mountain Refuge Conservation Fund": "山地庇护保育基金",
    "Highland Wildlife Guardians": "高原野生动物守护者协会",
    "Forest Commons Community Alliance": "森林社区共管联盟",
}
REGION_PARTNERS: dict[str, tuple[int, ...]] = {
    "CN-NM": (0, 1), "CN-GS": (1, 3), "CN-NX": (0, 2), "CN-XJ": (3,), "CN-SN": (2, 4),
    "CN-SX": (4, 2), "CN-QH": (4,), "CN-HE": (0, 4),
}  # fmt: skip
COASTAL_PARTNERS = (5, 6)
CONSERVATION_PARTNERS = (7, 8, 9)

# Afforestation sites: region, place, lat, lon, species (the first one names the project).
AFFORESTATION_SITES: tuple[tuple[str, str, float, float, tuple[str, ...]], ...] = (
    ("CN-NM", "Alxa Left Banner", 38.85, 105.67, ("saxaul",)),
    ("CN-NM", "Alxa Right Banner", 39.21, 101.67, ("saxaul", "hedysarum")),
    ("CN-NM", "Ejin Banner", 41.95, 101.07, ("saxaul",)),
    ("CN-NM", "Ulan Buh", 40.10, 106.80, ("sand_willow", "saxaul")),
    ("CN-NM", "Hangjin Banner", 39.83, 108.73, ("sand_willow", "caragana")),
    ("CN-NM", "Horqin Left Wing", 43.60, 122.40, ("mongolian_pine", "caragana")),
    ("CN-NM", "Duolun", 42.20, 116.48, ("mongolian_pine", "caragana")),
    ("CN-GS", "Minqin", 38.62, 103.08, ("saxaul", "sand_willow")),
    ("CN-GS", "Gulang", 37.47, 102.90, ("saxaul",)),
    ("CN-GS", "Jinta", 39.98, 98.90, ("populus_euphratica", "tamarix")),
    ("CN-GS", "Dunhuang", 40.14, 94.66, ("tamarix",)),
    ("CN-GS", "Jingtai", 37.18, 104.06, ("hedysarum", "caragana")),
    ("CN-GS", "Linze", 39.15, 100.16, ("sand_willow",)),
    ("CN-NX", "Lingwu", 38.10, 106.34, ("caragana", "sand_willow")),
    ("CN-NX", "Yanchi", 37.78, 107.40, ("hedysarum",)),
    ("CN-NX", "Shapotou", 37.46, 104.98, ("saxaul",)),
    ("CN-XJ", "Hotan", 37.11, 79.92, ("populus_euphratica", "tamarix")),
    ("CN-XJ", "Ruoqiang", 39.02, 88.17, ("tamarix", "populus_euphratica")),
    ("CN-XJ", "Yutian", 36.86, 81.67, ("tamarix",)),
    ("CN-XJ", "Aksu", 41.17, 80.26, ("populus_euphratica", "tamarix")),
    ("CN-SN", "Yulin Yuyang", 38.28, 109.73, ("sea_buckthorn",)),
    ("CN-SN", "Dingbian", 37.59, 107.60, ("sea_buckthorn",)),
    ("CN-SX", "Youyu", 40.00, 112.47, ("sea_buckthorn",)),
    ("CN-SX", "Lin County", 37.95, 110.99, ("sea_buckthorn",)),
    ("CN-QH", "Gonghe", 36.28, 100.62, ("sea_buckthorn",)),
    ("CN-HE", "Zhangbei", 41.16, 114.72, ("mongolian_pine", "sea_buckthorn")),
    ("CN-HE", "Weichang", 41.94, 117.75, ("mongolian_pine", "caragana")),
)
SECOND_PHASES = 13  # sites with a phase II project (40 afforestation projects in all)

#: Each site's Chinese name and what its project plants, in English and Chinese: a project is
#: named after its place and its kind of forest ("Minqin Oasis Belt", 民勤绿洲林带), never
#: after a species.
SITE_NAMES: dict[str, tuple[str, str, str]] = {
    "Alxa Left Banner": ("阿拉善左旗", "Desert Shelterbelt", "荒漠防护林"),
    "Alxa Right Banner": ("阿拉善右旗", "Sand-Fixing Forest", "固沙林"),
    "Ejin Banner": ("额济纳旗", "Oasis Belt", "绿洲林带"),
    "Ulan Buh": ("乌兰布和", "Windbreak Forest", "防风固沙林"),
    "Hangjin Banner": ("杭锦旗", "Sand-Fixing Forest", "固沙林"),
    "Horqin Left Wing": ("科尔沁左翼", "Ecological Forest", "生态林"),
    "Duolun": ("多伦", "Shelter Forest", "防护林"),
    "Minqin": ("民勤", "Oasis Belt", "绿洲林带"),
    "Gulang": ("古浪", "Desert Shelterbelt", "荒漠防护林"),
    "Jinta": ("金塔", "Oasis Belt", "绿洲林带"),
    "Dunhuang": ("敦煌", "Windbreak Forest", "防风固沙林"),
    "Jingtai": ("景泰", "Sand-Fixing Forest", "固沙林"),
    "Linze": ("临泽", "Oasis Belt", "绿洲林带"),
    "Lingwu": ("灵武", "Sand-Fixing Forest", "固沙林"),
    "Yanchi": ("盐池", "Ecological Forest", "生态林"),
    "Shapotou": ("沙坡头", "Desert Shelterbelt", "荒漠防护林"),
    "Hotan": ("和田", "Oasis Belt", "绿洲林带"),
    "Ruoqiang": ("若羌", "Desert Shelterbelt", "荒漠防护林"),
    "Yutian": ("于田", "Windbreak Forest", "防风固沙林"),
    "Aksu": ("阿克苏", "Ecological Forest", "生态林"),
    "Yulin Yuyang": ("榆林榆阳", "Soil Conservation Forest", "水土保持林"),
    "Dingbian": ("定边", "Shelter Forest", "防护林"),
    "Youyu": ("右玉", "Ecological Forest", "生态林"),
    "Lin County": ("临县", "Soil Conservation Forest", "水土保持林"),
    "Gonghe": ("共和", "Sand-Fixing Forest", "固沙林"),
    "Zhangbei": ("张北", "Shelter Forest", "防护林"),
    "Weichang": ("围场", "Ecological Forest", "生态林"),
}

# Coastal sites: region, place, lat, lon, species, earliest start (the option opened 2022-06-09).
COASTAL_SITES: tuple[tuple[str, str, float, float, str, date], ...] = (
    ("CN-SD", "Dongchu Island", 37.02, 122.55, "eelgrass", date(2022, 6, 9)),
    ("CN-SD", "Dongchu Island", 37.03, 122.57, "kelp", date(2022, 6, 9)),
    ("CN-LN", "Changhai Islands", 39.27, 122.59, "eelgrass", date(2022, 9, 1)),
    ("CN-HE", "Laoting coast", 39.20, 118.95, "eelgrass", date(2023, 3, 1)),
    ("CN-FJ", "Lianjiang Bay", 26.20, 119.60, "kelp", date(2022, 10, 1)),
    ("CN-ZJ", "Gouqi Island", 30.72, 122.77, "kelp", date(2022, 9, 1)),
    ("CN-GD", "Leizhou Bay", 20.85, 110.20, "mangrove", date(2022, 8, 1)),
    ("CN-GX", "Tieshan Harbour", 21.60, 109.50, "mangrove", date(2023, 1, 1)),
    ("CN-HI", "Bamen Bay", 19.62, 110.83, "mangrove", date(2023, 6, 1)),
    ("CN-LN", "Liaohe estuary", 40.90, 121.80, "salt_marsh", date(2022, 10, 1)),
    ("CN-TJ", "Hangu coast", 39.20, 117.80, "salt_marsh", date(2023, 4, 1)),
    ("CN-JS", "Dafeng coast", 33.20, 120.80, "salt_marsh", date(2024, 3, 1)),
)
#: What a coastal project restores, in English and Chinese, by species.
COASTAL_FEATURES: dict[str, tuple[str, str]] = {
    "eelgrass": ("Seagrass Meadow Restoration", "海草床修复"),
    "kelp": ("Seaweed Bed Restoration", "海藻场修复"),
    "mangrove": ("Mangrove Restoration", "红树林修复"),
    "salt_marsh": ("Tidal Wetland Restoration", "滨海湿地修复"),
}
#: Coastal places in English (as project names use them) and Chinese.
COASTAL_PLACES: dict[str, tuple[str, str]] = {
    "Dongchu Island": ("Dongchu Island", "东楮岛"),
    "Changhai Islands": ("Changhai Islands", "长海群岛"),
    "Laoting coast": ("Laoting Coast", "乐亭海岸"),
    "Lianjiang Bay": ("Lianjiang Bay", "连江湾"),
    "Gouqi Island": ("Gouqi Island", "枸杞岛"),
    "Leizhou Bay": ("Leizhou Bay", "雷州湾"),
    "Tieshan Harbour": ("Tieshan Harbour", "铁山港"),
    "Bamen Bay": ("Bamen Bay", "八门湾"),
    "Liaohe estuary": ("Liaohe Estuary", "辽河口"),
    "Hangu coast": ("Hangu Coast", "汉沽海岸"),
    "Dafeng coast": ("Dafeng Coast", "大丰海岸"),
}


_MAX_BATCH_SPLIT = 25_000  # planting batches split so that none exceeds ~50,000 units


# --- the projects ------------------------------------------------------------------------------


class _Project(NamedTuple):
    project_id: str
    name: str
    name_zh: str
    partner: str
    kind: str
    region: str
    lat: float
    lon: float
    started_on: date
    species: tuple[str, ...]


def _species_table(path: Path = SPECIES_REFERENCE) -> dict[str, SpeciesSpec]:
    """SPECIES, with unit, energy cost and density from the reference file when it has them."""
    table = dict(SPECIES)
    if not path.is_file():
        return table
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        needed = {"species", "unit", "energy_g_per_unit", "density_per_ha"}
        if not needed <= set(reader.fieldnames or ()):
            return table
        for row in reader:
            if row["species"] in table:
                table[row["species"]] = table[row["species"]]._replace(
                    unit=row["unit"],
                    energy_g_per_unit=max(1, int(float(row["energy_g_per_unit"]))),
                    density_per_ha=float(row["density_per_ha"]),
                )
    return table


def _afforestation(rng: np.random.Generator) -> list[_Project]:
    """About 40 projects in the arid north-west; the first one opens on launch day."""
    second = set(rng.choice(len(AFFORESTATION_SITES), SECOND_PHASES, replace=False).tolist())
    out: list[_Project] = []
    for i, (region, place, lat, lon, species) in enumerate(AFFORESTATION_SITES):
        partner = PARTNERS[int(rng.choice(REGION_PARTNERS[region]))]
        place_zh, feature, feature_zh = SITE_NAMES[place]
        name, name_zh = f"{place} {feature}", f"{place_zh}{feature_zh}"
        span = (date(2021, 12, 31) - date(2016, 9, 1)).days
        start = DEMO_START if i == 0 else date(2016, 9, 1) + timedelta(int(span * rng.beta(1.2, 2)))
        out.append(
            _Project("", name, name_zh, partner, "afforestation", region, lat, lon, start, species)
        )
        if i in second:
            start2 = _random_day(
                rng, max(start + timedelta(730), date(2019, 1, 1)), date(2025, 10, 1)
            )
            out.append(
                _Project("", f"{name} Phase II", f"{name_zh}二期", partner, "afforestation",
                         region, round(lat + 0.07, 2), round(lon + 0.09, 2), start2, species)
            )  # fmt: skip
    return out


def _coastal(rng: np.random.Generator) -> list[_Project]:
    """About 12 coastal projects, none before the option opened in June 2022."""
    out = []
    for region, place, lat, lon, species, earliest in COASTAL_SITES:
        start = (
            earliest
            if earliest == date(2022, 6, 9)
            else _random_day(rng, earliest, earliest + timedelta(240))
        )
        (place_en, place_zh), (feature, feature_zh) = (
            COASTAL_PLACES[place],
            COASTAL_FEATURES[species],
        )
        partner = PARTNERS[int(rng.choice(COASTAL_PARTNERS))]
        out.append(
            _Project("", f"{place_en} {feature}", f"{place_zh}{feature_zh}", partner, "coastal",
                     region, lat, lon, start, (species,))
        )  # fmt: skip
    return out


def _with_ids(projects: list[_Project], prefix: str) -> list[_Project]:
    """Number projects per region in order of start: AF-NM-01, AF-NM-02, …"""
    numbers: dict[str, int] = {}
    out = []
    for p in sorted(projects, key=lambda p: (p.region, p.started_on, p.name)):
        numbers[p.region] = numbers.get(p.region, 0) + 1
        out.append(p._replace(project_id=f"{prefix}-{p.region[3:]}-{numbers[p.region]:02d}"))
    return out


# --- plantings and surveys ---------------------------------------------------------------------


def _month_index(d: date) -> int:
    return (d.year - DEMO_START.year) * 12 + d.month - DEMO_START.month


def _seasons() -> list[tuple[date, date]]:
    """Planting windows up to DEMO_END: spring (Mar–May) and autumn (Oct–Nov)."""
    out = []
    for year in range(DEMO_START.year, DEMO_END.year + 1):
        for lo, hi in (
            (date(year, 3, 1), date(year, 5, 31)),
            (date(year, 10, 1), date(year, 11, 30)),
        ):
            if lo <= DEMO_END:
                out.append((lo, min(hi, DEMO_END)))
    return out


def _backlog_months(year: int) -> int:
    """How many months of adoptions wait for a later season; it grew as the program did."""
    return 4 if year <= 2019 else 6 if year <= 2022 else 9


def _plantings(cat: _Catalog, adopted: np.ndarray, rng: np.random.Generator) -> list[dict]:
    """Batches planted per project and species each season, from adoptions a season or two old."""
    rows: list[dict] = []
    for pair in range(cat.pair_project.size):
        code = cat.species_codes[cat.pair_species[pair]]
        if code == PROTECTED:
            continue
        project = cat.projects[cat.pair_project[pair]]
        adopted_by = np.cumsum(adopted[pair])
        slower, planted = int(rng.integers(0, 4)), 0
        for lo, hi in _seasons():
            cutoff = min(_month_index(lo) - _backlog_months(lo.year) - slower, adopted_by.size - 1)
            due = int(adopted_by[cutoff]) - planted if cutoff >= 0 else 0
            if due < MIN_BATCH_UNITS:  # a partner waits for enough to plant
                continue
            units = due if due < 4 * MIN_BATCH_UNITS else int(due * rng.uniform(0.85, 1.0))
            planted += units
            rows += _batches(project, code, cat.species[code], units, (lo, hi), rng)
    rows.sort(key=lambda r: (r["planted_on"], r["project_id"], r["species"]))
    for i, row in enumerate(rows, 1):
        row["planting_id"] = f"PL{i:06d}"
    return rows


def _batches(
    project: _Project, code: str, spec: SpeciesSpec, units: int, window: tuple[date, date],
    rng: np.random.Generator,
) -> list[dict]:  # fmt: skip
    """A season's units split into 1–3 (or more, for big seasons) batches on different days."""
    most = max(1, units // MIN_BATCH_UNITS)
    n = min(most, max(-(-units // _MAX_BATCH_SPLIT), int(rng.integers(1, 4))))
    w = rng.uniform(0.7, 1.3, n)
    sizes = np.floor(units * w / w.sum()).astype(np.int64)
    sizes[0] += units - sizes.sum()
    lo, hi = window
    offsets = np.sort(rng.integers(0, (hi - lo).days + 1, n))
    return [
        {"planting_id": "", "project_id": project.project_id, "species": code,
         "planted_on": lo + timedelta(int(day)), "units_planted": int(size),
         "area_ha": round(size / spec.density_per_ha, 4),
         "lat": round(project.lat + rng.normal(0, 0.03), 5),
         "lon": round(project.lon + rng.normal(0, 0.03), 5)}
        for size, day in zip(sizes, offsets, strict=True) if size > 0
    ]  # fmt: skip


def _surveys(plantings: list[dict], cat: _Catalog, rng: np.random.Generator) -> list[dict]:
    """Survival counts 1, 3 and 5 years after each batch; some sites are surveyed by two teams."""
    quality: dict[tuple[str, str], float] = {}
    rows = []
    for batch in plantings:
        lo, hi = cat.species[batch["species"]].survival
        key = (batch["project_id"], batch["species"])
        base = quality.setdefault(key, rng.uniform(lo, hi))  # some projects do worse
        decline = 0.03 if cat.species[batch["species"]].unit == "m2" else 0.02
        for years in (1, 3, 5):
            on = batch["planted_on"] + timedelta(365 * years + int(rng.integers(-20, 46)))
            if on > DEMO_END:
                break
            p = float(np.clip(base - decline * (years - 1) + rng.normal(0, 0.02), lo, hi))
            for _ in range(2 if rng.random() < 0.06 else 1):
                sampled = int(min(rng.integers(100, 2_001), batch["units_planted"]))
                rows.append({"survey_id": "", "project_id": key[0], "species": key[1],
                             "surveyed_on": on, "units_sampled": sampled,
                             "units_alive": int(rng.binomial(sampled, p))})  # fmt: skip
    rows.sort(key=lambda r: (r["surveyed_on"], r["project_id"], r["species"]))
    for i, row in enumerate(rows, 1):
        row["survey_id"] = f"SV{i:06d}"
    return rows


# --- projects.csv ------------------------------------------------------------------------------


def _project_rows(cat: _Catalog, adopted: np.ndarray, rng: np.random.Generator) -> list[dict]:
    """projects.csv: most projects have a target, some are behind it and some ahead."""
    units = np.bincount(cat.pair_project, adopted.sum(axis=1), len(cat.projects))
    rows = []
    for i, p in enumerate(cat.projects):
        row = {"project_id": p.project_id, "name": p.name, "name_zh": p.name_zh,
               "partner": p.partner, "partner_zh": PARTNER_ZH[p.partner], "kind": p.kind,
               "region": p.region, "lat": p.lat, "lon": p.lon, "started_on": p.started_on,
               "target_units": None, "target_area_ha": None, "target_date": None}  # fmt: skip
        if rng.random() < 0.85:
            years = int(rng.integers(5, 11))
            elapsed = max((DEMO_END - p.started_on).days / 365.25, 0.5)
            pace = units[i] / elapsed * years * rng.uniform(0.7, 1.5)
            floor = MIN_TARGET_UNITS * rng.uniform(1.0, 3.0)
            target = float(f"{max(pace, floor):.2g}")
            density = np.mean([cat.species[s].density_per_ha for s in p.species])
            row["target_units"] = target
            row["target_area_ha"] = float(f"{target / density:.3g}")
            row["target_date"] = p.started_on + timedelta(round(365.25 * years))
        rows.append(row)
    return rows
