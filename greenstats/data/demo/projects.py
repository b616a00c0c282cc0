"""Projects and plantings: the species users adopt, the partners and their afforestation and
coastal projects, the batches partners plant each spring and autumn from what was adopted, the
surveys that count survival after 1, 3 and 5 years, the targets partners plan by, and the few
things that went wrong (INCIDENTS)."""

from __future__ import annotations

import csv
import math
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
    survival: float  # survival once established: the reference's default_survival


# The one table of species numbers; data/reference/species.csv overrides unit, cost, density
# and survival (the values here are the reference's, for a reference without those columns).
SPECIES: dict[str, SpeciesSpec] = {
    "saxaul": SpeciesSpec("tree", 17_900, 675, "saxaul", 40, 0.70),
    "sand_willow": SpeciesSpec("tree", 19_680, 1_417, "sand willow", 14, 0.70),
    "hedysarum": SpeciesSpec("tree", 18_880, 1_417, "hedysarum", 4, 0.70),
    "caragana": SpeciesSpec("tree", 16_930, 1_417, "caragana", 5, 0.70),
    "populus_euphratica": SpeciesSpec("tree", 215_680, 833, "Euphrates poplar", 2, 0.70),
    "tamarix": SpeciesSpec("tree", 22_400, 1_417, "tamarisk", 4, 0.70),
    "mongolian_pine": SpeciesSpec("tree", 146_210, 775, "Mongolian pine", 2, 0.85),
    "sea_buckthorn": SpeciesSpec("tree", 18_000, 1_417, "sea buckthorn", 5, 0.70),
    "eelgrass": SpeciesSpec("m2", 15_000, 10_000, "eelgrass", 8, 0.37),
    "kelp": SpeciesSpec("m2", 10_000, 10_000, "kelp", 8, 0.50),
    "mangrove": SpeciesSpec("m2", 19_000, 10_000, "mangrove", 6, 0.60),
    "salt_marsh": SpeciesSpec("m2", 8_000, 10_000, "salt marsh", 6, 0.60),
    "protected_land": SpeciesSpec("m2", 3_600, 10_000, "protected land", 20, 1.0),
}
PROTECTED = "protected_land"
# An adoption is what the user adopted, at its price: one tree, SHARE_M2 m² of protected land
# or 1-10 m² of coast. So energy per unit adopted, and trees per user, are the real program's
# (docs/DEMO.md): the field is as large as the demo's users can pay for, about one tree for a
# thousand action events (a program of 12,000 users at the default 10 million), not the size of
# Ant Forest, whose 600 million users made trillions of events.
NEW_PAIR_BOOST = 20.0  # how much more often users pick a project nobody has adopted yet
SHARE_M2 = 5  # m² of protected land per redemption
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

# How partners work: a season plants everything adopted up to one or two months (per project
# and species) before it opens, so that no adoption waits much longer than half a year.
PLANTING_LAG_MONTHS = (1, 2)
TARGET_SHARE = 0.9  # share of projects with a target (the others have none yet)
TARGET_YEARS = (5, 10)  # a target is due 5-10 years after the project starts
# A partner plans a little below the pace it keeps: delivered is this share of plan or more ...
PLAN_MARGIN = (0.8, 0.97)
# ... but a project whose planting an incident stopped was planned in a good year, on all
# that its users adopt.
INCIDENT_PLAN = (1.0, 1.1)
# Survival surveyed: the species' default, per project and species within this (sd) ...
SURVIVAL_SPREAD = 0.015
# ... a little above it at one year, declining by this much a year (trees; coasts decline 0.02).
SURVIVAL_YOUNG, SURVIVAL_DECLINE = 0.03, 0.015


class Incident(NamedTuple):
    """Something that went wrong at one project (a real problem the alerts should show), and
    why: the demo's only departures from a healthy program (docs/DEMO.md)."""

    project: str  # the project's English name (the same for every seed)
    on: date  # when it happened
    survival: float  # survival surveyed from then on, as a share of what it would have been
    stops_planting: bool  # no planting season opens there after it
    reason: str


INCIDENTS: tuple[Incident, ...] = (
    Incident(
        "Gulang Desert Shelterbelt", date(2025, 7, 20), 0.7, True,
        "A drought in the summer of 2025 killed many young saxaul at Gulang, and the partner "
        "has planted nothing there since, until water returns: its survival is far below the "
        "species' default, its adopted trees wait, and the project has fallen behind plan.",
    ),
    Incident(
        "Dongchu Island Seaweed Bed Restoration", date(2026, 9, 8), 0.7, False,
        "A storm surge in September 2026 tore kelp from its lines off Dongchu Island: the "
        "survey the partner made after it counts far fewer alive than the ones before.",
    ),
)  # fmt: skip


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
    """SPECIES, with unit, energy cost, density and survival from the reference file when it
    has them."""
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
                if (row.get("default_survival") or "").strip():
                    table[row["species"]] = table[row["species"]]._replace(
                        survival=float(row["default_survival"])
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


def _incident(project: _Project) -> Incident | None:
    return next((i for i in INCIDENTS if i.project == project.name), None)


def _plantings(cat: _Catalog, adopted: np.ndarray, rng: np.random.Generator) -> list[dict]:
    """Batches planted per project and species each season: everything adopted up to one or two
    months before the season opens (none after an incident that stops planting)."""
    rows: list[dict] = []
    for pair in range(cat.pair_project.size):
        code = cat.species_codes[cat.pair_species[pair]]
        if code == PROTECTED:
            continue
        project = cat.projects[cat.pair_project[pair]]
        incident = _incident(project)
        adopted_by = np.cumsum(adopted[pair])
        lag, planted = int(rng.choice(PLANTING_LAG_MONTHS)), 0
        for lo, hi in _seasons():
            if incident and incident.stops_planting and lo > incident.on:
                break
            cutoff = min(_month_index(lo) - lag, adopted_by.size) - 1
            units = int(adopted_by[cutoff]) - planted if cutoff >= 0 else 0
            if units < 1:
                continue
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
    n = min(units, max(-(-units // _MAX_BATCH_SPLIT), int(rng.integers(1, 4))))
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
    """Survival counts 1, 3 and 5 years after each batch, near the species' default (some sites
    are surveyed by two teams). After an incident the partner surveys the whole site instead:
    four weeks after it, then once a year."""
    incidents = {p.project_id: i for p in cat.projects if (i := _incident(p))}
    quality: dict[tuple[str, str], float] = {}
    rows: list[dict] = []
    for batch in plantings:
        spec = cat.species[batch["species"]]
        key = (batch["project_id"], batch["species"])
        base = quality.setdefault(key, spec.survival + rng.normal(0, SURVIVAL_SPREAD))
        incident = incidents.get(key[0])
        decline = SURVIVAL_DECLINE if spec.unit == "tree" else 0.02
        for years in (1, 3, 5):
            on = batch["planted_on"] + timedelta(365 * years + int(rng.integers(-20, 46)))
            if on > DEMO_END:
                break
            if incident and on >= incident.on:
                continue  # the site surveys below replace it
            p = base + SURVIVAL_YOUNG - decline * (years - 1) + rng.normal(0, 0.01)
            for _ in range(2 if rng.random() < 0.06 else 1):
                rows.append(_survey(key, on, batch["units_planted"], p, rng))
    for (project_id, species), base in quality.items():
        incident = incidents.get(project_id)
        on = incident.on + timedelta(28) if incident else DEMO_END
        while incident and on <= DEMO_END:
            planted = sum(b["units_planted"] for b in plantings if b["project_id"] == project_id
                          and b["species"] == species and b["planted_on"] < on)  # fmt: skip
            if planted:
                p = base * incident.survival + rng.normal(0, 0.01)
                rows.append(_survey((project_id, species), on, planted, p, rng, 2_000))
            on += timedelta(365)
    rows.sort(key=lambda r: (r["surveyed_on"], r["project_id"], r["species"]))
    for i, row in enumerate(rows, 1):
        row["survey_id"] = f"SV{i:06d}"
    return rows


def _survey(
    key: tuple[str, str], on: date, planted: int, p: float, rng: np.random.Generator,
    most: int = 0,
) -> dict:  # fmt: skip
    """One survey: up to 100-2,000 (or `most`) of the units planted sampled, each alive with
    probability p."""
    sampled = int(min(most or rng.integers(100, 2_001), planted))
    alive = int(rng.binomial(sampled, float(np.clip(p, 0.02, 0.99))))
    return {"survey_id": "", "project_id": key[0], "species": key[1], "surveyed_on": on,
            "units_sampled": sampled, "units_alive": alive}  # fmt: skip


# --- projects.csv ------------------------------------------------------------------------------

#: The day partners' plans are judged on: the day after the demo's last planting season ends.
PLAN_AS_OF = date(DEMO_END.year, 12, 1)
#: The planting seasons the Projects page counts a plan by (metrics.stats.PLANTING_SEASONS).
PLAN_SEASONS = ((3, 5), (9, 11))


def _seasons_over(start: date, end: date) -> int:
    """Planting seasons that start on or after `start` and are over by `end`."""
    return sum(
        date(year, first, 1) >= start and date(year, last + 1, 1) <= end
        for year in range(start.year, end.year + 1)
        for first, last in PLAN_SEASONS
    )


def _plan_share(start: date, due: date, as_of: date) -> float:
    """The share of its target a project should have delivered by as_of, as the Projects page
    reckons it (metrics.stats.expected_share, which the data layer may not import): planting
    seasons over since it started ÷ those up to its due date."""
    if as_of >= due:
        return 1.0
    return min(_seasons_over(start, as_of) / max(_seasons_over(start, due + timedelta(1)), 1), 1.0)


def _floor_2g(x: float) -> float:
    """x rounded down to two significant figures (a planned round number), at least 1."""
    if x < 1:
        return 1.0
    step = 10 ** max(math.floor(math.log10(x)) - 1, 0)
    return float(math.floor(x / step) * step)


def _before(cumulative: np.ndarray, day: date, lag: int = 0) -> float:
    """Of a cumulative monthly series, its value at the end of the month `lag` months before
    the month of `day`."""
    k = min(_month_index(day) - lag, cumulative.size)
    return float(cumulative[k - 1]) if k > 0 else 0.0


def _project_rows(
    cat: _Catalog, adopted: np.ndarray, plantings: list[dict], rng: np.random.Generator
) -> list[dict]:
    """projects.csv: nine projects in ten have a target, due 5-10 years after they start, which
    their partner set a little below the pace it keeps: on plan, or met once due. A project
    whose planting an incident stopped has a target, planned on what its users adopt, due
    after the demo: it is behind.
    A project nobody has adopted from has no target yet."""
    by_month = np.zeros((len(cat.projects), adopted.shape[1]))
    np.add.at(by_month, cat.pair_project, adopted)
    adopted_by = np.cumsum(by_month, axis=1)
    planted: dict[str, list[tuple[date, int]]] = {}
    for b in plantings:
        planted.setdefault(b["project_id"], []).append((b["planted_on"], b["units_planted"]))
    rows = []
    for i, p in enumerate(cat.projects):
        row = {"project_id": p.project_id, "name": p.name, "name_zh": p.name_zh,
               "partner": p.partner, "partner_zh": PARTNER_ZH[p.partner], "kind": p.kind,
               "region": p.region, "lat": p.lat, "lon": p.lon, "started_on": p.started_on,
               "target_units": None, "target_area_ha": None, "target_date": None}  # fmt: skip
        incident = _incident(p)
        stopped = incident is not None and incident.stops_planting
        if rng.random() >= TARGET_SHARE and not stopped:
            rows.append(row)
            continue
        years = int(rng.integers(TARGET_YEARS[0], TARGET_YEARS[1] + 1))
        if stopped:  # its plan runs beyond the demo, so that it can be behind it
            years = max(years, math.ceil((PLAN_AS_OF - p.started_on).days / 365.25) + 2)
        due = p.started_on + timedelta(round(365.25 * years))
        on = min(due, PLAN_AS_OF)

        if p.kind == "conservation":  # delivered is what users adopted
            delivered = _before(adopted_by[i], on)
        elif stopped:  # planned on what would have been planted without it
            delivered = _before(adopted_by[i], on, max(PLANTING_LAG_MONTHS))
        else:
            delivered = float(sum(u for d, u in planted.get(p.project_id, []) if d <= on))
        share = _plan_share(p.started_on, due, PLAN_AS_OF)
        if share == 0:  # no season over yet: planned on the pace of its adoptions so far
            elapsed = max((DEMO_END - p.started_on).days / 365.25, 0.25)
            delivered, share = _before(adopted_by[i], PLAN_AS_OF) * years / elapsed, 1.0
        if delivered <= 0:
            rows.append(row)
            continue
        target = _floor_2g(
            delivered / share * rng.uniform(*(INCIDENT_PLAN if stopped else PLAN_MARGIN))
        )
        density = np.mean([cat.species[s].density_per_ha for s in p.species])
        row["target_units"] = target
        row["target_area_ha"] = float(f"{target / density:.3g}")
        row["target_date"] = due
        rows.append(row)
    return rows
