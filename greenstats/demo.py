"""Seeded synthetic input data for greenstats, at any scale.

`generate(out_dir, events, seed)` writes the eight input tables of CONTRACT.md for a program in
the mould of Alipay Ant Forest, with events from DEMO_START to DEMO_END: `actions/YYYY-MM.parquet`
and `redemptions/YYYY-MM.parquet` (one part per China-time month, rows in time order) and
`projects.csv`, `plantings.csv`, `surveys.csv`, `protected_areas.csv`, `area_species.csv` and
`brands.csv`, with English and Chinese names (projects, partners, protected areas, species,
brands; all fictional but the real species and places). The same seed and arguments give
byte-identical files.

How: a population of users (join dates on an adoption S-curve with newcomers every week,
heavy-tailed activity, a fixed home region) gives an expected activity per day; `events` are
dealt out to the days with the program's rhythms (weekends, Spring Festival, Covid in 2020,
Double-11) and generated a chunk (a month, or part of one) at a time with vectorised
numpy/pyarrow. A per-user balance carried from chunk to chunk decides redemptions, so nobody
spends energy before earning it; each adoption stands for FIELD_SCALE units in the field, so
that projects and coasts have the size of real ones. Partners plant adopted units in spring and
autumn batches with a backlog; surveys count survival 1, 3 and 5 years later. With `bad_rows`,
about 0.01% extra rows per table (at least 2) break the contract in realistic ways; their
energy is never counted as earned or spent.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from greenstats import contract

DEMO_START = date(2016, 8, 27)  # Ant Forest's launch
DEMO_END = date(2026, 11, 27)  # last day with events, inclusive

EVENTS_PER_USER = 150  # action events per distinct user, on average
MIN_USERS = 200
CHUNK_ROWS = 2_000_000  # at most about this many events in memory at once
BAD_ROW_RATE = 1e-4  # share of each table's rows that break the contract (bad_rows=True) ...
MIN_BAD_ROWS = 2  # ... but at least this many
ROW_GROUP_SIZE = 262_144
DEMO_MARKER = "SYNTHETIC_DEMO_DATA.txt"  # marks the folder as synthetic (greenstats.pipeline)
SPECIES_REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "species.csv"

# Users: the share of all users who have joined by a date (200M by Oct 2017, 500M by Apr 2019,
# 600M by Aug 2021, slowing after), and how they behave.
ADOPTION_CURVE: tuple[tuple[date, float], ...] = (
    (DEMO_START, 0.0), (date(2016, 12, 31), 0.10), (date(2017, 10, 15), 0.29),
    (date(2018, 6, 30), 0.50), (date(2019, 4, 15), 0.71), (date(2020, 6, 30), 0.80),
    (date(2021, 8, 25), 0.86), (date(2023, 6, 30), 0.93), (DEMO_END, 1.0),
)  # fmt: skip
POPULATION_PER_ACTIVE_USER = 1.14  # users generated per user seen with ≥ 1 event
MEAN_LIFETIME_DAYS = 6_000  # a user stays active this long on average (about 6% leave a year)
ACTIVITY_SIGMA = 2.0  # lognormal spread of per-user activity: a few users do much of it ...
ACTIVITY_CAP_Z = 3.7  # ... capped at this many sigmas (about 1 user in 10,000): no bots
HOME_SHARE = 0.93  # share of a user's actions in their home region
COMMUTER_SHARE = 0.45
PLANTER_SHARE = 0.75  # users who ever spend energy; the rest only collect it
REDEEM_DELAY_H = 3.0  # mean hours from enough energy to the redemption


class Region(NamedTuple):
    """How many people live in a region, how much they use Alipay, how big its metro is."""

    population_m: float
    alipay: float
    metro: float


REGIONS: dict[str, Region] = {
    "CN-AH": Region(61.0, 1.0, 1.0), "CN-BJ": Region(21.9, 1.4, 3.0),
    "CN-CQ": Region(32.1, 1.0, 2.0), "CN-FJ": Region(41.5, 1.2, 1.0),
    "CN-GD": Region(126.0, 1.3, 3.0), "CN-GS": Region(25.0, 0.75, 0.3),
    "CN-GX": Region(50.1, 0.9, 0.8), "CN-GZ": Region(38.6, 0.8, 0.6),
    "CN-HA": Region(99.4, 0.9, 1.0), "CN-HB": Region(57.8, 1.0, 2.0),
    "CN-HE": Region(74.6, 0.9, 0.6), "CN-HI": Region(10.1, 1.0, 0.05),
    "CN-HK": Region(7.5, 0.3, 2.0), "CN-HL": Region(31.9, 0.8, 0.6),
    "CN-HN": Region(66.4, 0.95, 1.0), "CN-JL": Region(24.1, 0.8, 0.6),
    "CN-JS": Region(84.7, 1.3, 2.0), "CN-JX": Region(45.2, 0.9, 0.6),
    "CN-LN": Region(42.6, 0.9, 1.0), "CN-MO": Region(0.7, 0.3, 0.3),
    "CN-NM": Region(24.0, 0.8, 0.3), "CN-NX": Region(7.2, 0.8, 0.05),
    "CN-QH": Region(5.9, 0.75, 0.05), "CN-SC": Region(83.7, 1.0, 2.0),
    "CN-SD": Region(101.5, 1.0, 1.0), "CN-SH": Region(24.9, 1.5, 3.0),
    "CN-SN": Region(39.5, 0.95, 2.0), "CN-SX": Region(34.9, 0.85, 0.6),
    "CN-TJ": Region(13.9, 1.1, 2.0), "CN-TW": Region(23.6, 0.01, 0.0),
    "CN-XJ": Region(25.9, 0.7, 0.3), "CN-XZ": Region(3.6, 0.7, 0.0),
    "CN-YN": Region(47.2, 0.9, 0.6), "CN-ZJ": Region(64.6, 1.6, 2.0),
}  # fmt: skip


class ActionSpec(NamedTuple):
    """How often an action happens, what it earns, when, and which brands credit it."""

    share: float  # share of events by count, before regional and daily modifiers
    energy_g: int  # fixed award; 0 = drawn per event (see _energy)
    launched: date  # first day it earns energy
    weekend: float  # intensity on Saturday and Sunday relative to a weekday
    hours: str  # time-of-day profile, a key of HOURS
    brand_group: str  # partner brands that credit it, a key of BRAND_GROUPS ("" = none)
    brand_share: float  # share of its events that carry a brand
    cap: tuple[str, int] | None  # at most n per user per "day" or "month"


# Excess events over a cap become offline payments, so offline_payment comes first.
ACTIONS: dict[str, ActionSpec] = {
    "offline_payment": ActionSpec(0.34, 5, DEMO_START, 1.10, "meals", "merchant", 0.30, None),
    "walking": ActionSpec(0.27, 0, DEMO_START, 1.30, "steps", "", 0.0, ("day", 1)),
    "metro_ride": ActionSpec(0.10, 52, date(2017, 1, 10), 0.55, "commute", "", 0.0, None),
    "bus_ride": ActionSpec(0.08, 80, date(2017, 6, 1), 0.65, "commute", "", 0.0, None),
    "e_invoice": ActionSpec(0.064, 5, date(2017, 4, 1), 0.50, "office", "", 0.0, None),
    "delivery_no_cutlery": ActionSpec(
        0.046, 16, date(2017, 9, 1), 1.20, "meals", "delivery", 1.0, None
    ),
    "bike_share": ActionSpec(0.035, 0, date(2017, 5, 15), 0.90, "commute", "bikeshare", 1.0, None),
    "utility_bill_online": ActionSpec(0.02, 262, DEMO_START, 1.0, "office", "", 0.0, ("month", 3)),
    "no_plastic_packaging": ActionSpec(
        0.02, 0, date(2019, 6, 1), 1.15, "evening", "retail", 1.0, None
    ),
    "e_ticket": ActionSpec(0.012, 180, DEMO_START, 1.6, "evening", "ticketing", 1.0, ("month", 10)),
    "hospital_online": ActionSpec(
        0.006, 277, date(2018, 3, 1), 0.6, "office", "", 0.0, ("month", 2)
    ),
    "efficient_appliance": ActionSpec(
        0.0015, 0, date(2020, 6, 1), 1.3, "evening", "appliance", 1.0, ("month", 2)
    ),
}
TRANSIT_ACTIONS = ("metro_ride", "bus_ride", "bike_share")
SHOPPING_ACTIONS = ("no_plastic_packaging", "efficient_appliance")

# Relative intensity by hour of day (China time), 0 h … 23 h.
HOURS: dict[str, tuple[int, ...]] = {
    "steps": (1, 0, 0, 0, 1, 3, 8, 12, 12, 8, 5, 3, 3, 2, 2, 2, 2, 2, 3, 4, 5, 6, 5, 3),
    "commute": (0, 0, 0, 0, 0, 1, 4, 12, 14, 6, 3, 3, 3, 3, 3, 3, 4, 9, 12, 7, 4, 3, 2, 1),
    "meals": (1, 1, 0, 0, 0, 1, 2, 5, 6, 4, 4, 7, 9, 6, 4, 3, 4, 6, 9, 8, 6, 4, 3, 2),
    "office": (0, 0, 0, 0, 0, 0, 1, 2, 5, 8, 9, 8, 5, 6, 8, 8, 7, 5, 3, 3, 2, 2, 1, 0),
    "evening": (2, 1, 1, 0, 0, 0, 0, 1, 2, 3, 4, 4, 5, 4, 4, 4, 5, 6, 8, 10, 11, 10, 8, 5),
}

# Lunar new year's days; activity dips from the eve to the sixth day.
SPRING_FESTIVALS: tuple[date, ...] = (
    date(2017, 1, 28), date(2018, 2, 16), date(2019, 2, 5), date(2020, 1, 25),
    date(2021, 2, 12), date(2022, 2, 1), date(2023, 1, 22), date(2024, 2, 10),
    date(2025, 1, 29), date(2026, 2, 17),
)  # fmt: skip
FESTIVAL_DIP: dict[int, float] = {-1: 0.72, 0: 0.48, 1: 0.5, 2: 0.55, 3: 0.6, 4: 0.67, 5: 0.75,
                                  6: 0.85}  # fmt: skip
# (date, factor) knots of the 2020 Covid lockdowns, for all actions and for public transport.
COVID_ALL = ((date(2020, 1, 20), 1.0), (date(2020, 1, 24), 0.8), (date(2020, 2, 29), 0.85),
             (date(2020, 4, 15), 1.0))  # fmt: skip
COVID_TRANSIT = ((date(2020, 1, 20), 1.0), (date(2020, 1, 24), 0.15), (date(2020, 2, 29), 0.2),
                 (date(2020, 3, 31), 0.55), (date(2020, 4, 30), 0.8),
                 (date(2020, 6, 30), 1.0))  # fmt: skip


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

# Exactly 18 protected areas: region, name, lat, lon.
PROTECTED_AREAS: tuple[tuple[str, str, float, float], ...] = (
    ("CN-SC", "Upper Min River Panda Corridor", 31.48, 103.59),
    ("CN-SC", "Pingwu Mountain Forest Reserve", 32.41, 104.53),
    ("CN-SC", "Daxiangling Cloud Forest Reserve", 29.60, 102.60),
    ("CN-SN", "Qinling South Slope Reserve", 33.60, 107.80),
    ("CN-SN", "Hanzhong Ibis Wetland", 33.22, 107.55),
    ("CN-GS", "Wenxian Baishui Valley Reserve", 32.90, 104.80),
    ("CN-GS", "Qilian North Slope Grassland", 38.50, 100.00),
    ("CN-YN", "Gaoligong Ridge Forest", 25.80, 98.80),
    ("CN-YN", "Deqin Snow Mountain Monkey Forest", 28.30, 99.20),
    ("CN-QH", "Upper Yangtze Headwaters Grassland", 34.50, 97.00),
    ("CN-SX", "Luliang Mountains Pheasant Forest", 38.00, 111.50),
    ("CN-NM", "Hulunbuir Steppe Wetland", 49.20, 119.70),
    ("CN-JL", "Hunchun Tiger Corridor", 42.90, 130.40),
    ("CN-HB", "Western Hubei Mountain Forest", 31.60, 110.40),
    ("CN-GZ", "Fanjing Foothills Forest", 27.90, 108.70),
    ("CN-XZ", "Nyingchi Valley Forest", 29.65, 94.36),
    ("CN-HN", "Wuling Mountains Forest", 29.30, 110.40),
    ("CN-JX", "Poyang Lake Crane Wetland", 29.10, 116.30),
)
#: The protected areas' Chinese names.
AREA_ZH: dict[str, str] = {
    "Upper Min River Panda Corridor": "岷江上游大熊猫廊道",
    "Pingwu Mountain Forest Reserve": "平武山地森林保护小区",
    "Daxiangling Cloud Forest Reserve": "大相岭云雾林保护小区",
    "Qinling South Slope Reserve": "秦岭南坡保护小区",
    "Hanzhong Ibis Wetland": "汉中朱鹮湿地",
    "Wenxian Baishui Valley Reserve": "文县白水江河谷保护小区",
    "Qilian North Slope Grassland": "祁连山北坡草原",
    "Gaoligong Ridge Forest": "高黎贡山脊森林",
    "Deqin Snow Mountain Monkey Forest": "德钦雪山滇金丝猴森林",
    "Upper Yangtze Headwaters Grassland": "长江源草原",
    "Luliang Mountains Pheasant Forest": "吕梁山褐马鸡森林",
    "Hulunbuir Steppe Wetland": "呼伦贝尔草原湿地",
    "Hunchun Tiger Corridor": "珲春东北虎廊道",
    "Western Hubei Mountain Forest": "鄂西山地森林",
    "Fanjing Foothills Forest": "梵净山麓森林",
    "Nyingchi Valley Forest": "林芝河谷森林",
    "Wuling Mountains Forest": "武陵山森林",
    "Poyang Lake Crane Wetland": "鄱阳湖白鹤湿地",
}
SPECIES_PER_AREA_SET = 1_500  # distinct species recorded across all areas

# Real flagship species (IUCN category as published): name, common name, category, group,
# regions of the areas they are recorded in.
FLAGSHIP_SPECIES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("Ailuropoda melanoleuca", "giant panda", "VU", "mammals", ("CN-SC", "CN-SN", "CN-GS")),
    (
        "Rhinopithecus roxellana",
        "golden snub-nosed monkey",
        "EN",
        "mammals",
        ("CN-SC", "CN-SN", "CN-GS", "CN-HB"),
    ),
    ("Rhinopithecus bieti", "black snub-nosed monkey", "EN", "mammals", ("CN-YN", "CN-XZ")),
    ("Rhinopithecus brelichi", "Guizhou snub-nosed monkey", "EN", "mammals", ("CN-GZ",)),
    ("Panthera uncia", "snow leopard", "VU", "mammals", ("CN-QH", "CN-GS", "CN-XZ")),
    ("Panthera tigris", "tiger", "EN", "mammals", ("CN-JL",)),
    ("Panthera pardus", "leopard", "VU", "mammals", ("CN-JL", "CN-SX", "CN-SC")),
    ("Ailurus fulgens", "red panda", "EN", "mammals", ("CN-SC", "CN-YN", "CN-XZ")),
    ("Budorcas taxicolor", "takin", "VU", "mammals", ("CN-SC", "CN-SN", "CN-GS")),
    ("Moschus berezovskii", "forest musk deer", "EN", "mammals", ("CN-SC", "CN-SN", "CN-HB")),
    ("Moschus chrysogaster", "alpine musk deer", "EN", "mammals", ("CN-QH", "CN-XZ")),
    ("Ursus thibetanus", "Asiatic black bear", "VU", "mammals", ("CN-SC", "CN-SN", "CN-YN")),
    ("Cuon alpinus", "dhole", "EN", "mammals", ("CN-GS", "CN-QH")),
    ("Procapra przewalskii", "Przewalski's gazelle", "EN", "mammals", ("CN-QH",)),
    ("Pantholops hodgsonii", "Tibetan antelope", "NT", "mammals", ("CN-QH", "CN-XZ")),
    ("Bos mutus", "wild yak", "VU", "mammals", ("CN-QH",)),
    ("Cervus albirostris", "white-lipped deer", "VU", "mammals", ("CN-QH", "CN-GS")),
    ("Naemorhedus griseus", "Chinese goral", "VU", "mammals", ("CN-SC", "CN-SN")),
    ("Capricornis milneedwardsii", "Chinese serow", "NT", "mammals", ("CN-SC", "CN-HN", "CN-GZ")),
    ("Macaca thibetana", "Tibetan macaque", "NT", "mammals", ("CN-SC", "CN-GZ")),
    ("Felis bieti", "Chinese mountain cat", "VU", "mammals", ("CN-QH", "CN-GS")),
    ("Nomascus concolor", "western black crested gibbon", "CR", "mammals", ("CN-YN",)),
    ("Elephas maximus", "Asian elephant", "EN", "mammals", ("CN-YN",)),
    ("Nipponia nippon", "crested ibis", "EN", "birds", ("CN-SN",)),
    ("Grus japonensis", "red-crowned crane", "VU", "birds", ("CN-NM", "CN-JL")),
    ("Grus nigricollis", "black-necked crane", "NT", "birds", ("CN-QH", "CN-YN", "CN-XZ")),
    ("Grus monacha", "hooded crane", "VU", "birds", ("CN-JX", "CN-NM")),
    ("Leucogeranus leucogeranus", "Siberian crane", "CR", "birds", ("CN-JX",)),
    ("Ciconia boyciana", "Oriental stork", "EN", "birds", ("CN-JX", "CN-NM")),
    ("Anser cygnoid", "swan goose", "VU", "birds", ("CN-JX", "CN-NM")),
    ("Otis tarda", "great bustard", "VU", "birds", ("CN-NM", "CN-GS")),
    ("Mergus squamatus", "scaly-sided merganser", "EN", "birds", ("CN-JX", "CN-JL")),
    ("Emberiza aureola", "yellow-breasted bunting", "CR", "birds", ("CN-NM", "CN-JX")),
    ("Lophophorus lhuysii", "Chinese monal", "VU", "birds", ("CN-SC",)),
    ("Crossoptilon mantchuricum", "brown eared pheasant", "VU", "birds", ("CN-SX",)),
    ("Crossoptilon crossoptilon", "white eared pheasant", "NT", "birds", ("CN-SC", "CN-QH")),
    ("Gypaetus barbatus", "bearded vulture", "NT", "birds", ("CN-QH", "CN-XZ")),
    ("Chrysolophus pictus", "golden pheasant", "LC", "birds", ("CN-SN", "CN-SC", "CN-GS")),
    ("Tragopan temminckii", "Temminck's tragopan", "LC", "birds", ("CN-SC", "CN-YN")),
    ("Aquila chrysaetos", "golden eagle", "LC", "birds", ("CN-QH", "CN-GS", "CN-NM")),
    (
        "Andrias davidianus",
        "Chinese giant salamander",
        "CR",
        "amphibians",
        ("CN-SN", "CN-HN", "CN-GZ"),
    ),
    ("Acipenser sinensis", "Chinese sturgeon", "CR", "fish", ("CN-HB",)),
    ("Ginkgo biloba", "ginkgo", "EN", "plants", ("CN-GZ", "CN-HB")),
    ("Metasequoia glyptostroboides", "dawn redwood", "EN", "plants", ("CN-HB",)),
)

#: The flagship species' Chinese common names, by scientific name.
FLAGSHIP_ZH: dict[str, str] = {
    "Ailuropoda melanoleuca": "大熊猫", "Rhinopithecus roxellana": "川金丝猴",
    "Rhinopithecus bieti": "滇金丝猴", "Rhinopithecus brelichi": "黔金丝猴",
    "Panthera uncia": "雪豹", "Panthera tigris": "虎", "Panthera pardus": "豹",
    "Ailurus fulgens": "小熊猫", "Budorcas taxicolor": "羚牛", "Moschus berezovskii": "林麝",
    "Moschus chrysogaster": "马麝", "Ursus thibetanus": "亚洲黑熊", "Cuon alpinus": "豺",
    "Procapra przewalskii": "普氏原羚", "Pantholops hodgsonii": "藏羚", "Bos mutus": "野牦牛",
    "Cervus albirostris": "白唇鹿", "Naemorhedus griseus": "中华斑羚",
    "Capricornis milneedwardsii": "中华鬣羚", "Macaca thibetana": "藏酋猴",
    "Felis bieti": "荒漠猫", "Nomascus concolor": "西黑冠长臂猿", "Elephas maximus": "亚洲象",
    "Nipponia nippon": "朱鹮", "Grus japonensis": "丹顶鹤", "Grus nigricollis": "黑颈鹤",
    "Grus monacha": "白头鹤", "Leucogeranus leucogeranus": "白鹤", "Ciconia boyciana": "东方白鹳",
    "Anser cygnoid": "鸿雁", "Otis tarda": "大鸨", "Mergus squamatus": "中华秋沙鸭",
    "Emberiza aureola": "黄胸鹀", "Lophophorus lhuysii": "绿尾虹雉",
    "Crossoptilon mantchuricum": "褐马鸡", "Crossoptilon crossoptilon": "白马鸡",
    "Gypaetus barbatus": "胡兀鹫", "Chrysolophus pictus": "红腹锦鸡",
    "Tragopan temminckii": "红腹角雉", "Aquila chrysaetos": "金雕", "Andrias davidianus": "大鲵",
    "Acipenser sinensis": "中华鲟", "Ginkgo biloba": "银杏", "Metasequoia glyptostroboides": "水杉",
}  # fmt: skip

# Generated species: genera (with a common-name stem, "" = none) and epithets (with the word a
# common name uses), per taxon group, and each group's share of the species.
TAXON_GROUPS: dict[str, tuple[float, tuple[tuple[str, str], ...]]] = {
    "plants": (0.46, (
        ("Rhododendron", "rhododendron"), ("Primula", "primrose"), ("Pedicularis", "lousewort"),
        ("Saussurea", "saw-wort"), ("Gentiana", "gentian"), ("Carex", "sedge"),
        ("Salix", "willow"), ("Acer", "maple"), ("Quercus", "oak"), ("Abies", "fir"),
        ("Picea", "spruce"), ("Betula", "birch"), ("Sorbus", "rowan"), ("Clematis", "clematis"),
        ("Impatiens", "balsam"), ("Corydalis", "corydalis"), ("Astragalus", "milkvetch"),
        ("Artemisia", "wormwood"), ("Aconitum", "monkshood"), ("Saxifraga", "saxifrage"),
        ("Berberis", "barberry"), ("Lonicera", "honeysuckle"), ("Viburnum", "viburnum"),
        ("Cotoneaster", "cotoneaster"), ("Rubus", "bramble"), ("Ligularia", ""),
        ("Meconopsis", "blue poppy"), ("Allium", "onion"), ("Polygonatum", "Solomon's seal"),
        ("Swertia", ""), ("Epimedium", "barrenwort"), ("Cypripedium", "lady's slipper orchid"),
        ("Dendrobium", ""), ("Paris", ""), ("Ilex", "holly"), ("Magnolia", "magnolia"),
    )),
    "birds": (0.22, (
        ("Garrulax", "laughingthrush"), ("Phylloscopus", "leaf warbler"),
        ("Emberiza", "bunting"), ("Carpodacus", "rosefinch"), ("Turdus", "thrush"),
        ("Ficedula", "flycatcher"), ("Dendrocopos", "woodpecker"), ("Prunella", "accentor"),
        ("Alcippe", "fulvetta"), ("Pnoepyga", "wren-babbler"), ("Sitta", "nuthatch"),
        ("Anthus", "pipit"), ("Lanius", "shrike"), ("Accipiter", "hawk"), ("Strix", "owl"),
        ("Tarsiger", "bush robin"), ("Pycnonotus", "bulbul"), ("Aegithalos", "bushtit"),
        ("Zosterops", "white-eye"), ("Heterophasia", "sibia"), ("Yuhina", "yuhina"),
        ("Columba", "pigeon"),
    )),
    "insects": (0.13, (
        ("Carabus", "ground beetle"), ("Papilio", "swallowtail"), ("Parnassius", "apollo"),
        ("Lucanus", "stag beetle"), ("Bombus", "bumblebee"), ("Cicindela", "tiger beetle"),
        ("Coenonympha", "heath"), ("Aporia", "blackvein"), ("Erebia", "ringlet"),
        ("Onychogomphus", ""), ("Zygaena", ""), ("Lestes", ""),
    )),
    "fish": (0.06, (
        ("Schizothorax", "schizothoracine"), ("Triplophysa", "stone loach"),
        ("Gobio", "gudgeon"), ("Sinocyclocheilus", "golden-line barbel"),
        ("Onychostoma", "barbel"), ("Glyptosternum", "catfish"), ("Rhinogobius", "goby"),
        ("Pseudobagrus", "bagrid catfish"),
    )),
    "mammals": (0.05, (
        ("Ochotona", "pika"), ("Sorex", "shrew"), ("Apodemus", "field mouse"),
        ("Niviventer", "white-bellied rat"), ("Rhinolophus", "horseshoe bat"),
        ("Myotis", "myotis"), ("Mustela", "weasel"), ("Petaurista", "giant flying squirrel"),
        ("Crocidura", "white-toothed shrew"), ("Eothenomys", "red-backed vole"),
        ("Tamiops", "striped squirrel"),
    )),
    "amphibians": (0.045, (
        ("Odorrana", "odorous frog"), ("Rana", "brown frog"), ("Megophrys", "horned toad"),
        ("Amolops", "torrent frog"), ("Tylototriton", "crocodile newt"),
        ("Batrachuperus", "stream salamander"), ("Nanorana", "paa frog"),
        ("Leptobrachium", "leaf-litter toad"),
    )),
    "reptiles": (0.035, (
        ("Gloydius", "pit viper"), ("Elaphe", "ratsnake"), ("Takydromus", "grass lizard"),
        ("Japalura", "japalura"), ("Plestiodon", "skink"), ("Sphenomorphus", "forest skink"),
        ("Oligodon", "kukri snake"), ("Gekko", "gecko"),
    )),
}  # fmt: skip
EPITHETS: tuple[tuple[str, str], ...] = (
    ("sinensis", "Chinese"), ("yunnanensis", "Yunnan"), ("sichuanensis", "Sichuan"),
    ("qinghaiensis", "Qinghai"), ("gansuensis", "Gansu"), ("shaanxiensis", "Shaanxi"),
    ("qinlingensis", "Qinling"), ("emeiensis", "Emei"), ("wolongensis", "Wolong"),
    ("baoxingensis", "Baoxing"), ("lijiangensis", "Lijiang"), ("dulongensis", "Dulong"),
    ("motuoensis", "Medog"), ("nyingchiensis", "Nyingchi"), ("hubeiensis", "Hubei"),
    ("guizhouensis", "Guizhou"), ("hunanensis", "Hunan"), ("jilinensis", "Jilin"),
    ("changbaiensis", "Changbai"), ("kangdingensis", "Kangding"), ("batangensis", "Batang"),
    ("mupinensis", "Moupin"), ("fanjingensis", "Fanjing"), ("gaoligongensis", "Gaoligong"),
    ("davidii", "David's"), ("henryi", "Henry's"), ("wilsonii", "Wilson's"),
    ("forrestii", "Forrest's"), ("fargesii", "Farges's"), ("potaninii", "Potanin's"),
    ("przewalskii", "Przewalski's"), ("delavayi", "Delavay's"), ("franchetii", "Franchet's"),
    ("souliei", "Soulié's"), ("hemsleyi", "Hemsley's"), ("giraldii", "Giraldi's"),
    ("prattii", "Pratt's"), ("farreri", "Farrer's"), ("purdomii", "Purdom's"),
    ("sargentii", "Sargent's"), ("maximowiczii", "Maximowicz's"), ("rockii", "Rock's"),
    ("concolor", "plain"), ("discolor", "two-toned"), ("bicolor", "bicoloured"),
    ("gracilis", "slender"), ("elegans", "elegant"), ("simplex", "simple"),
    ("brevis", "short"), ("tenuis", "thin"), ("alpestris", "alpine"), ("silvestris", "forest"),
)  # fmt: skip
#: Chinese for the common-name stems and epithet words above: a generated species' Chinese
#: common name is its epithet's word then its stem's ("高山杜鹃", "大卫报春").
STEM_ZH: dict[str, str] = {
    "rhododendron": "杜鹃", "primrose": "报春", "lousewort": "马先蒿", "saw-wort": "风毛菊",
    "gentian": "龙胆", "sedge": "薹草", "willow": "柳", "maple": "槭", "oak": "栎",
    "fir": "冷杉", "spruce": "云杉", "birch": "桦", "rowan": "花楸", "clematis": "铁线莲",
    "balsam": "凤仙花", "corydalis": "紫堇", "milkvetch": "黄芪", "wormwood": "蒿",
    "monkshood": "乌头", "saxifrage": "虎耳草", "barberry": "小檗", "honeysuckle": "忍冬",
    "viburnum": "荚蒾", "cotoneaster": "栒子", "bramble": "悬钩子", "blue poppy": "绿绒蒿",
    "onion": "葱", "Solomon's seal": "黄精", "barrenwort": "淫羊藿",
    "lady's slipper orchid": "杓兰", "holly": "冬青", "magnolia": "木兰",
    "laughingthrush": "噪鹛", "leaf warbler": "柳莺", "bunting": "鹀", "rosefinch": "朱雀",
    "thrush": "鸫", "flycatcher": "姬鹟", "woodpecker": "啄木鸟", "accentor": "岩鹨",
    "fulvetta": "雀鹛", "wren-babbler": "鹪鹛", "nuthatch": "䴓", "pipit": "鹨",
    "shrike": "伯劳", "hawk": "鹰", "owl": "林鸮", "bush robin": "鸲", "bulbul": "鹎",
    "bushtit": "长尾山雀", "white-eye": "绣眼鸟", "sibia": "奇鹛", "yuhina": "凤鹛",
    "pigeon": "鸽", "ground beetle": "步甲", "swallowtail": "凤蝶", "apollo": "绢蝶",
    "stag beetle": "锹甲", "bumblebee": "熊蜂", "tiger beetle": "虎甲", "heath": "珍眼蝶",
    "blackvein": "绢粉蝶", "ringlet": "红眼蝶", "schizothoracine": "裂腹鱼",
    "stone loach": "高原鳅", "gudgeon": "鮈", "golden-line barbel": "金线鲃",
    "barbel": "光唇鱼", "catfish": "鮡", "goby": "吻虾虎鱼", "bagrid catfish": "拟鲿",
    "pika": "鼠兔", "shrew": "鼩鼱", "field mouse": "姬鼠", "white-bellied rat": "白腹鼠",
    "horseshoe bat": "菊头蝠", "myotis": "鼠耳蝠", "weasel": "鼬",
    "giant flying squirrel": "鼯鼠", "white-toothed shrew": "麝鼩",
    "red-backed vole": "绒鼠", "striped squirrel": "花松鼠", "odorous frog": "臭蛙",
    "brown frog": "林蛙", "horned toad": "角蟾", "torrent frog": "湍蛙",
    "crocodile newt": "疣螈", "stream salamander": "山溪鲵", "paa frog": "倭蛙",
    "leaf-litter toad": "拟髭蟾", "pit viper": "亚洲蝮", "ratsnake": "锦蛇",
    "grass lizard": "草蜥", "japalura": "攀蜥", "skink": "石龙子", "forest skink": "蜓蜥",
    "kukri snake": "小头蛇", "gecko": "壁虎",
}  # fmt: skip
#: Chinese for the genera without an English common-name stem.
GENUS_ZH: dict[str, str] = {
    "Ligularia": "橐吾", "Swertia": "獐牙菜", "Dendrobium": "石斛", "Paris": "重楼",
    "Onychogomphus": "钩尾春蜓", "Zygaena": "斑蛾", "Lestes": "丝蟌",
}  # fmt: skip
EPITHET_ZH: dict[str, str] = {
    "Chinese": "中华", "Yunnan": "云南", "Sichuan": "四川", "Qinghai": "青海", "Gansu": "甘肃",
    "Shaanxi": "陕西", "Qinling": "秦岭", "Emei": "峨眉", "Wolong": "卧龙", "Baoxing": "宝兴",
    "Lijiang": "丽江", "Dulong": "独龙", "Medog": "墨脱", "Nyingchi": "林芝", "Hubei": "湖北",
    "Guizhou": "贵州", "Hunan": "湖南", "Jilin": "吉林", "Changbai": "长白", "Kangding": "康定",
    "Batang": "巴塘", "Moupin": "穆坪", "Fanjing": "梵净", "Gaoligong": "高黎贡",
    "David's": "大卫", "Henry's": "亨利", "Wilson's": "威氏", "Forrest's": "傅氏",
    "Farges's": "法氏", "Potanin's": "波氏", "Przewalski's": "普氏", "Delavay's": "德氏",
    "Franchet's": "弗氏", "Soulié's": "苏氏", "Hemsley's": "韩氏", "Giraldi's": "吉氏",
    "Pratt's": "蒲氏", "Farrer's": "费氏", "Purdom's": "珀氏", "Sargent's": "萨氏",
    "Maximowicz's": "马氏", "Rock's": "骆氏", "plain": "素色", "two-toned": "异色",
    "bicoloured": "二色", "slender": "细", "elegant": "秀丽", "simple": "单", "short": "短",
    "thin": "纤细", "alpine": "高山", "forest": "林地",
}  # fmt: skip
IUCN_MIX: dict[str, float] = {"LC": 0.755, "NT": 0.075, "VU": 0.05, "EN": 0.022, "CR": 0.007,
                              "DD": 0.06, "NE": 0.031}  # fmt: skip

# Partner brands: how many per group and the word endings of their (fictional) names.
BRAND_GROUPS: dict[str, tuple[int, tuple[str, ...]]] = {
    "delivery": (6, ("bite", "dash", "bowl", "runner", "eats", "spoon")),
    "retail": (45, ("mart", "goods", "basket", "market", "store", "cart", "grocer", "pantry")),
    "appliance": (30, ("volt", "home", "cool", "electric", "kitchen", "appliance")),
    "ticketing": (10, ("cinema", "tix", "stage", "screens", "pass")),
    "bikeshare": (4, ("bike", "cycle", "wheels", "ride")),
    "merchant": (25, ("cafe", "tea", "noodle", "bakery", "pharmacy", "fresh")),
}
BRAND_WORDS: tuple[str, ...] = (
    "green", "jade", "bamboo", "pine", "willow", "cedar", "orchid", "cloud", "meadow", "pebble",
    "sprout", "fern", "moss", "birch", "peony", "camellia", "juniper", "heron", "lark", "magpie",
    "ginkgo", "tealeaf", "plum", "apricot", "sesame", "millet", "lantern", "kite", "ribbon",
    "amber", "coral", "indigo", "saffron", "sunny", "dewdrop", "breeze", "acorn", "clover",
    "thistle", "hazel", "linden", "wisteria", "jasmine", "osmanthus", "lychee", "longan",
    "pomelo", "kumquat", "oolong", "matcha", "tofu", "mochi", "dumpling", "noodle", "walnut",
    "chestnut", "pepper", "ginger", "lotusleaf", "reed",
)  # fmt: skip

#: Chinese for the brand words and endings: a brand's Chinese name is its word's then its
#: ending's ("竹子小食" for Bamboo Bite).
BRAND_WORD_ZH: dict[str, str] = {
    "green": "绿野", "jade": "翡翠", "bamboo": "竹子", "pine": "青松", "willow": "垂柳",
    "cedar": "香杉", "orchid": "幽兰", "cloud": "云朵", "meadow": "草甸", "pebble": "石子",
    "sprout": "新芽", "fern": "蕨叶", "moss": "青苔", "birch": "白桦", "peony": "牡丹",
    "camellia": "山茶", "juniper": "香柏", "heron": "白鹭", "lark": "云雀", "magpie": "喜鹊",
    "ginkgo": "银杏", "tealeaf": "茶叶", "plum": "梅子", "apricot": "杏子", "sesame": "芝麻",
    "millet": "小米", "lantern": "灯笼", "kite": "风筝", "ribbon": "丝带", "amber": "琥珀",
    "coral": "珊瑚", "indigo": "靛蓝", "saffron": "藏红花", "sunny": "晴天", "dewdrop": "露珠",
    "breeze": "清风", "acorn": "橡果", "clover": "三叶草", "thistle": "蓟花", "hazel": "榛子",
    "linden": "椴树", "wisteria": "紫藤", "jasmine": "茉莉", "osmanthus": "桂花",
    "lychee": "荔枝", "longan": "龙眼", "pomelo": "柚子", "kumquat": "金桔", "oolong": "乌龙",
    "matcha": "抹茶", "tofu": "豆腐", "mochi": "麻薯", "dumpling": "饺子", "noodle": "面条",
    "walnut": "核桃", "chestnut": "栗子", "pepper": "胡椒", "ginger": "生姜",
    "lotusleaf": "荷叶", "reed": "芦苇",
}  # fmt: skip
BRAND_ENDING_ZH: dict[str, str] = {
    "bite": "小食", "dash": "速送", "bowl": "饭碗", "runner": "跑腿", "eats": "外卖",
    "spoon": "小勺", "mart": "超市", "goods": "良品", "basket": "菜篮", "market": "市集",
    "store": "商店", "cart": "优购", "grocer": "杂货铺", "pantry": "食品铺", "volt": "伏特",
    "home": "家电", "cool": "制冷", "electric": "电气", "kitchen": "厨电", "appliance": "电器",
    "cinema": "影城", "tix": "票务", "stage": "剧场", "screens": "影院", "pass": "通票",
    "bike": "单车", "cycle": "骑行", "wheels": "车轮", "ride": "出行", "cafe": "咖啡",
    "tea": "茶饮", "noodle": "面馆", "bakery": "烘焙", "pharmacy": "大药房", "fresh": "生鲜",
}  # fmt: skip
#: How a brand word is written in an English brand name, where not just capitalised.
BRAND_WORD_EN: dict[str, str] = {"tealeaf": "Tea Leaf", "lotusleaf": "Lotus Leaf"}

# Bad rows: realistic wrong values that the contract rejects.
UNKNOWN_ACTIONS = ("walk", "Metro_Ride", "offline-payment", "bike_sharing")
UNKNOWN_REGIONS = ("CN-NMG", "CN-XX", "GD", "CN-00")
UNKNOWN_SPECIES = ("saxual", "Saxaul", "sand-willow", "pine")
UNKNOWN_PROJECTS = ("AF-NM-99", "CO-XX-01", "PRJ-0042")

_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
_CST_US = 8 * _HOUR_US  # China Standard Time is UTC+08:00
_MAX_BATCH_SPLIT = 25_000  # planting batches split so that none exceeds ~50,000 units
_ACTIONS_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("user_id", pa.string()),
    ("occurred_at", pa.timestamp("us", tz="UTC")), ("action", pa.string()),
    ("region", pa.string()), ("energy_g", pa.int64()), ("brand_id", pa.string()),
])  # fmt: skip
_REDEMPTIONS_SCHEMA = pa.schema([
    ("redemption_id", pa.string()), ("user_id", pa.string()),
    ("redeemed_at", pa.timestamp("us", tz="UTC")), ("project_id", pa.string()),
    ("species", pa.string()), ("units", pa.float64()), ("energy_g", pa.int64()),
])  # fmt: skip


@dataclass(frozen=True)
class DemoResult:
    """What `generate` wrote: rows per table (bad rows included), bad rows, users and span."""

    out_dir: Path
    rows: dict[str, int]
    bad_rows: dict[str, int]
    users: int  # distinct users with at least one action
    first_day: date  # first and last China-time day with an action
    last_day: date


# --- the model: calendar, users, catalogue ---------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    """One entry per demo day (index 0 = DEMO_START), China time."""

    days: np.ndarray  # datetime64[D]
    months: np.ndarray  # datetime64[M], the distinct months
    month_of_day: np.ndarray  # index into months
    action_mix: np.ndarray  # (days, actions) relative intensity of each action
    intensity: np.ndarray  # (days,) relative intensity of all actions
    midnight_us: np.ndarray  # (days,) the day's China midnight as UTC µs since the epoch
    weekend: np.ndarray  # (days,) Saturday or Sunday


@dataclass(frozen=True)
class _Users:
    """Per-user state that does not change; index = user number."""

    ids: pa.Array
    join: np.ndarray  # first active day
    leave: np.ndarray  # first inactive day (n_days: never)
    rate: np.ndarray  # relative activity
    home: np.ndarray  # home region index
    commuter: np.ndarray
    planter: np.ndarray
    # One user per full week (Monday to Sunday) whose first action is on a busy day of it, so
    # that every week has new users: who, and that day (see _weekly_newcomers).
    newcomer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    newcomer_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


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


class _Area(NamedTuple):
    area_id: str
    name: str
    name_zh: str
    partner: str
    region: str
    area_ha: float
    established_on: date
    lat: float
    lon: float
    project_id: str


@dataclass(frozen=True)
class _Catalog:
    """Species, projects, protected areas, brands and what a user can redeem."""

    species: dict[str, SpeciesSpec]
    projects: list[_Project]
    areas: list[_Area]
    pair_project: np.ndarray  # a redeemable item: (project, species) ...
    pair_species: np.ndarray  # ... species index into `species`
    pair_start: np.ndarray  # ... first day it can be redeemed
    pair_weight: np.ndarray  # ... popularity within its species
    brands: pa.Array  # brand ids
    brand_rows: list[dict]  # brands.csv: brand_id, name, name_zh
    brand_group: np.ndarray  # index into BRAND_GROUPS per brand
    brand_weight: np.ndarray  # Zipf-like popularity within its group
    brand_energy: np.ndarray  # g per efficient appliance (appliance brands)

    @property
    def species_codes(self) -> tuple[str, ...]:
        return tuple(self.species)


@dataclass
class _Ledger:
    """State carried from chunk to chunk: balances, adoptions, counters."""

    balance: np.ndarray  # energy earned minus spent, per user
    seen: np.ndarray  # user has had an action
    adopted: np.ndarray  # (pairs, months) units redeemed
    target_pair: np.ndarray  # what each user saves for (-1: nothing yet) ...
    target_units: np.ndarray  # ... and how many units of it
    events_written: int = 0
    good_events: int = 0
    redemptions_written: int = 0
    good_redemptions: int = 0
    bad_events: int = 0
    bad_redemptions: int = 0


def _rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent generator for one named stream of the demo."""
    return np.random.default_rng([seed, *stream])


def _day_index(d: date) -> int:
    return (d - DEMO_START).days


def _calendar() -> _Calendar:
    """Days, months and the daily rhythm of each action."""
    days = np.arange(np.datetime64(DEMO_START, "D"), np.datetime64(DEMO_END, "D") + 1)
    months, month_of_day = np.unique(days.astype("datetime64[M]"), return_inverse=True)
    ordinal = days.astype(np.int64)
    weekend = (ordinal + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    festival = _spring_festival(days)
    mix = np.stack(
        [_action_rhythm(code, spec, days, weekend, festival) for code, spec in ACTIONS.items()],
        axis=1,
    )
    overall = festival * _knots(days, COVID_ALL)
    midnight = ordinal * _DAY_US - _CST_US
    return _Calendar(days, months, month_of_day, mix, overall * mix.sum(axis=1), midnight, weekend)


def _action_rhythm(
    code: str, spec: ActionSpec, days: np.ndarray, weekend: np.ndarray, festival: np.ndarray
) -> np.ndarray:
    """Relative daily intensity of one action: weekends, launch, Covid, shopping festivals."""
    f = spec.share * np.where(weekend, spec.weekend, 1.0)
    f[days < np.datetime64(spec.launched)] = 0.0
    if code in TRANSIT_ACTIONS:  # city workers go home for the festival; Covid emptied trains
        f *= _knots(days, COVID_TRANSIT) * np.sqrt(festival)
    if code in SHOPPING_ACTIONS:
        f *= _shopping_festivals(days)
    return f


def _spring_festival(days: np.ndarray) -> np.ndarray:
    """Factor of all activity: the dip from lunar new year's eve to the sixth day."""
    f = np.ones(days.size)
    for new_year in SPRING_FESTIVALS:
        for offset, factor in FESTIVAL_DIP.items():
            i = _day_index(new_year) + offset
            if 0 <= i < days.size:
                f[i] = factor
    return f


def _knots(days: np.ndarray, knots: tuple[tuple[date, float], ...]) -> np.ndarray:
    """A factor interpolated linearly between (date, factor) knots, 1 outside them."""
    x = [np.datetime64(d, "D").astype(np.int64) for d, _ in knots]
    return np.interp(days.astype(np.int64), x, [v for _, v in knots], left=1.0, right=1.0)


def _shopping_festivals(days: np.ndarray) -> np.ndarray:
    """Factor of online shopping: Double-11 (Nov 11) and 618 (Jun 18)."""
    month = days.astype("datetime64[M]")
    dom = (days - month).astype(np.int64) + 1
    mon = month.astype(np.int64) % 12 + 1
    f = np.ones(days.size)
    f[(mon == 11) & (dom <= 9)] = 1.3
    f[(mon == 11) & ((dom == 10) | (dom == 12))] = 2.5
    f[(mon == 11) & (dom == 11)] = 7.0
    f[(mon == 6) & ((dom == 17) | (dom == 19))] = 1.5
    f[(mon == 6) & (dom == 18)] = 3.0
    return f


def _region_weights() -> np.ndarray:
    """Share of users per region (contract order): population × Alipay use."""
    w = np.array([REGIONS[c].population_m * REGIONS[c].alipay for c in contract.REGION_CODES])
    return w / w.sum()


def _users(seed: int, events: int, n_days: int) -> _Users:
    """Join dates on the adoption curve, heavy-tailed activity, home regions, pseudonymous ids."""
    rng = _rng(seed, 1)
    n = max(MIN_USERS, round(events / EVENTS_PER_USER * POPULATION_PER_ACTIVE_USER))
    knot_days = [_day_index(d) for d, _ in ADOPTION_CURVE]
    join = np.interp(rng.random(n), [s for _, s in ADOPTION_CURVE], knot_days).astype(np.int64)
    lifetime = 1 + rng.exponential(MEAN_LIFETIME_DAYS, n).astype(np.int64)
    leave = np.minimum(join + lifetime, n_days)
    rate = np.exp(np.minimum(rng.normal(0.0, ACTIVITY_SIGMA, n), ACTIVITY_CAP_Z * ACTIVITY_SIGMA))
    home = rng.choice(len(contract.REGION_CODES), n, p=_region_weights()).astype(np.int16)
    commuter = rng.random(n) < COMMUTER_SHARE
    planter = rng.random(n) < PLANTER_SHARE
    numbers = rng.choice(1_000_000_000, size=n, replace=False)
    return _Users(_ids("u", numbers, 9), join, leave, rate, home, commuter, planter)


def _weekly_newcomers(users: _Users, counts: np.ndarray, rng: np.random.Generator) -> _Users:
    """Users with one newcomer a week: a program gains users every week, not only in its
    first years. Each full week's newcomer is a user who joins in it (else, for a week nobody
    joins in, one moved there from another week, who is not that week's newcomer) and makes
    their first action on the week's busiest day; _events gives them an event that day."""
    n_days = counts.size
    first_monday = (7 - DEMO_START.weekday()) % 7
    n_weeks = (n_days - first_monday) // 7
    week_days = first_monday + 7 * np.arange(n_weeks)[:, None] + np.arange(7)
    busiest = week_days[np.arange(n_weeks), counts[week_days].argmax(axis=1)]
    has_events = counts[week_days].max(axis=1) > 0
    week = (users.join - first_monday) // 7
    week[(users.join < first_monday) | (week >= n_weeks)] = -1
    taken = week >= 0
    weeks, first = np.unique(week[taken], return_index=True)
    newcomer = np.full(n_weeks, -1, np.int64)
    newcomer[weeks] = np.flatnonzero(taken)[first]
    empty = np.flatnonzero((newcomer < 0) & has_events)
    others = np.setdiff1d(np.arange(users.join.size), newcomer[newcomer >= 0])
    k = min(empty.size, others.size)
    newcomer[np.sort(rng.choice(empty, k, replace=False))] = rng.choice(others, k, replace=False)
    chosen = np.flatnonzero((newcomer >= 0) & has_events)
    who, day = newcomer[chosen], busiest[chosen]
    join, leave = users.join.copy(), users.leave.copy()
    lifetime = np.maximum(leave[who] - join[who], 1)
    join[who] = day
    leave[who] = np.minimum(day + lifetime, n_days)
    return replace(users, join=join, leave=leave, newcomer=who, newcomer_day=day)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Strings `prefix` + zero-padded `numbers`, built by Arrow (no Python loop)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


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


def _random_day(rng: np.random.Generator, lo: date, hi: date) -> date:
    return lo + timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


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


def _protected_areas(rng: np.random.Generator) -> list[_Area]:
    """The 18 protected areas, each guarded through a conservation project of its own."""
    out = []
    numbers: dict[str, int] = {}
    for region, name, lat, lon in PROTECTED_AREAS:
        numbers[region] = numbers.get(region, 0) + 1
        suffix = f"{region[3:]}-{numbers[region]:02d}"
        area_ha = round(float(np.exp(rng.uniform(np.log(1_000), np.log(200_000)))), 1)
        established = _random_day(rng, date(2017, 3, 1), date(2021, 10, 31))
        partner = PARTNERS[int(rng.choice(CONSERVATION_PARTNERS))]
        out.append(
            _Area(f"PA-{suffix}", name, AREA_ZH[name], partner, region, area_ha, established,
                  lat, lon, f"CV-{suffix}")
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


def _brands(
    rng: np.random.Generator,
) -> tuple[pa.Array, list[dict], np.ndarray, np.ndarray, np.ndarray]:
    """About 120 fictional partner brands: ids, rows of brands.csv (id, English and Chinese
    name), group, Zipf-like popularity, appliance energy."""
    ids, rows, group, weight = [], [], [], []
    for g, (count, endings) in enumerate(BRAND_GROUPS.values()):
        for i in range(count):
            word, ending = (
                BRAND_WORDS[(g * 11 + i * 7) % len(BRAND_WORDS)],
                endings[i % len(endings)],
            )
            ids.append(f"brand-{word}{ending}")
            rows.append({"brand_id": ids[-1],
                         "name": f"{BRAND_WORD_EN.get(word, word.title())} {ending.title()}",
                         "name_zh": BRAND_WORD_ZH[word] + BRAND_ENDING_ZH[ending]})  # fmt: skip
        ranks = rng.permutation(count) + 1
        group += [g] * count
        weight += (1.0 / ranks**1.1).tolist()
    assert len(set(ids)) == len(ids), "brand ids must be unique"
    energy = rng.integers(10, 31, len(ids)) * 100  # 1,000–3,000 g per appliance
    return pa.array(ids), rows, np.array(group), np.array(weight), energy


def _catalog(seed: int) -> _Catalog:
    """Every fixed thing users and partners deal with: species, projects, areas, brands."""
    rng = _rng(seed, 2)
    species = _species_table()
    areas = _protected_areas(rng)
    conservation = [
        _Project(a.project_id, f"{a.name} Guardianship", f"{a.name_zh}守护", a.partner,
                 "conservation", a.region, a.lat, a.lon, a.established_on, (PROTECTED,))
        for a in areas
    ]  # fmt: skip
    projects = _with_ids(_afforestation(rng), "AF") + _with_ids(_coastal(rng), "CO") + conservation
    codes = list(species)
    pairs = [
        (i, codes.index(s), k) for i, p in enumerate(projects) for k, s in enumerate(p.species)
    ]
    pair_project, pair_species, rank = (np.array(x) for x in zip(*pairs, strict=True))
    pair_start = np.array([_day_index(projects[i].started_on) for i in pair_project])
    pair_weight = rng.lognormal(0.0, 0.5, len(pairs)) * np.where(rank == 0, 1.0, 0.5)
    brands, brand_rows, group, weight, energy = _brands(rng)
    return _Catalog(species, projects, areas, pair_project, pair_species, pair_start,
                    pair_weight, brands, brand_rows, group, weight, energy)  # fmt: skip


# --- actions ---------------------------------------------------------------------------------


def _day_counts(seed: int, users: _Users, cal: _Calendar, events: int) -> np.ndarray:
    """Events per day: the active users' activity × the day's rhythm, summing to `events`."""
    n_days = cal.days.size
    joins = np.bincount(users.join, users.rate, n_days)
    gone = users.leave < n_days
    leaves = np.bincount(users.leave[gone], users.rate[gone], n_days)
    weight = np.clip(np.cumsum(joins - leaves), 0.0, None) * cal.intensity
    return _rng(seed, 3).multinomial(events, weight / weight.sum())


def _chunks(cal: _Calendar, counts: np.ndarray) -> list[list[np.ndarray]]:
    """Per month, its days split into chunks of about CHUNK_ROWS events at most."""
    out = []
    for m in range(cal.months.size):
        days = np.flatnonzero(cal.month_of_day == m)
        part = np.cumsum(counts[days]) // (CHUNK_ROWS + 1)
        out.append([days[part == k] for k in np.unique(part)])
    return out


def _pick_users(users: _Users, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each event, a user active that day, in proportion to their activity."""
    pool = np.flatnonzero((users.join <= day.max()) & (users.leave > day.min()))
    cdf = np.cumsum(users.rate[pool])
    cdf /= cdf[-1]
    out = np.empty(day.size, np.int64)
    todo = np.arange(day.size)
    while todo.size:  # redraw users who had not joined yet, or had left, on the event's day
        pick = pool[np.searchsorted(cdf, rng.random(todo.size), side="right")]
        ok = (users.join[pick] <= day[todo]) & (users.leave[pick] > day[todo])
        out[todo[ok]] = pick[ok]
        todo = todo[~ok]
    return out


def _first_actions(
    user: np.ndarray, day: np.ndarray, users: _Users, rng: np.random.Generator
) -> None:
    """Give each weekly newcomer whose day falls in this chunk one of that day's events (their
    first: they joined that day). `day` is in order."""
    due = (users.newcomer_day >= day[0]) & (users.newcomer_day <= day[-1])
    on = users.newcomer_day[due]
    lo, hi = np.searchsorted(day, on, side="left"), np.searchsorted(day, on, side="right")
    some = hi > lo
    pick = lo[some] + (rng.random(int(some.sum())) * (hi - lo)[some]).astype(np.int64)
    user[pick] = users.newcomer[due][some]


def _action_factors() -> tuple[np.ndarray, np.ndarray]:
    """(regions × actions) and (non-commuter/commuter × actions) factors, mean 1 per action."""
    codes = list(ACTIONS)
    metro = np.array([REGIONS[c].metro for c in contract.REGION_CODES])
    region = np.ones((metro.size, len(codes)))
    region[:, codes.index("metro_ride")] = metro
    region[:, codes.index("bus_ride")] = 1.5 - 0.5 * np.minimum(metro, 1.0)
    region[:, codes.index("bike_share")] = 0.4 + 0.3 * metro
    region /= _region_weights() @ region
    person = np.ones((2, len(codes)))
    for code, (other, commuter) in {"metro_ride": (0.3, 1.9), "bus_ride": (0.5, 1.6),
                                    "bike_share": (0.6, 1.5)}.items():  # fmt: skip
        person[:, codes.index(code)] = (other, commuter)
    person /= np.array([1 - COMMUTER_SHARE, COMMUTER_SHARE]) @ person
    return region, person


def _pick_actions(
    cal: _Calendar, day: np.ndarray, region: np.ndarray, commuter: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """Each event's action, given its day, its region and whether the user commutes."""
    by_region, by_person = _action_factors()
    d0 = int(day.min())
    mix = cal.action_mix[d0 : int(day.max()) + 1]
    w = mix[:, None, None, :] * by_region[None, :, None, :] * by_person[None, None, :, :]
    cdf = np.cumsum(w, axis=-1).reshape(-1, w.shape[-1])
    cdf /= cdf[:, -1:]
    combo = ((day - d0) * by_region.shape[0] + region) * 2 + commuter
    u = rng.random(day.size)
    action = np.zeros(day.size, np.int16)
    for k in range(cdf.shape[1] - 1):
        action += u >= cdf[combo, k]
    return action


def _apply_caps(action: np.ndarray, user: np.ndarray, day: np.ndarray, cal: _Calendar) -> None:
    """Events over a per-user cap (walking once a day, bills a few a month) become payments."""
    for a, spec in enumerate(ACTIONS.values()):
        if spec.cap is None:
            continue
        period, limit = spec.cap
        idx = np.flatnonzero(action == a)
        slot = day[idx] if period == "day" else cal.month_of_day[day[idx]]
        key = user[idx] * 8192 + slot
        order = np.argsort(key, kind="stable")
        k = key[order]
        first = np.r_[True, k[1:] != k[:-1]]
        pos = np.arange(k.size)
        rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
        action[idx[order[rank >= limit]]] = 0  # offline_payment


def _pick_brands(action: np.ndarray, cat: _Catalog, rng: np.random.Generator) -> np.ndarray:
    """The partner brand that credited each event (-1: none), Zipf-like within its group."""
    brand = np.full(action.size, -1, np.int16)
    groups = list(BRAND_GROUPS)
    for a, spec in enumerate(ACTIONS.values()):
        if not spec.brand_group:
            continue
        idx = np.flatnonzero(action == a)
        idx = idx[rng.random(idx.size) < spec.brand_share]
        members = np.flatnonzero(cat.brand_group == groups.index(spec.brand_group))
        cdf = np.cumsum(cat.brand_weight[members])
        brand[idx] = members[np.searchsorted(cdf / cdf[-1], rng.random(idx.size), side="right")]
    return brand


def _energy(
    action: np.ndarray, brand: np.ndarray, weekend: np.ndarray, cat: _Catalog,
    rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """Green energy awarded per event, g: fixed per action, or drawn for steps, bikes, goods."""
    codes = list(ACTIONS)
    energy = np.array([s.energy_g for s in ACTIONS.values()], np.int64)[action]
    walk = np.flatnonzero(action == codes.index("walking"))
    steps = rng.lognormal(np.log(6_500), 0.55, walk.size) * np.where(weekend[walk], 1.15, 1)
    energy[walk] = np.minimum(steps // 50, 296)  # 10,000 steps ≈ 200 g, at most 296 g a day
    bike = np.flatnonzero(action == codes.index("bike_share"))
    energy[bike] = rng.integers(20, 41, bike.size)
    bag = np.flatnonzero(action == codes.index("no_plastic_packaging"))
    energy[bag] = rng.choice([60, 80, 100, 120, 150], bag.size, p=[0.1, 0.2, 0.4, 0.2, 0.1])
    fridge = np.flatnonzero(action == codes.index("efficient_appliance"))
    model = rng.choice([0.8, 1.0, 1.2], fridge.size)
    energy[fridge] = np.clip(np.round(cat.brand_energy[brand[fridge]] * model, -1), 1_000, 3_000)
    return energy


def _clock(
    action: np.ndarray, day: np.ndarray, cal: _Calendar, rng: np.random.Generator
) -> np.ndarray:
    """UTC µs of each event: the action's time-of-day profile on its China-time day."""
    hour = np.empty(action.size, np.int64)
    u = rng.random(action.size)
    for a, spec in enumerate(ACTIONS.values()):
        idx = np.flatnonzero(action == a)
        cdf = np.cumsum(np.array(HOURS[spec.hours]) + 0.25)  # nobody sleeps everywhere at once
        hour[idx] = np.searchsorted(cdf / cdf[-1], u[idx], side="right")
    return cal.midnight_us[day] + hour * _HOUR_US + rng.integers(0, _HOUR_US, action.size)


def _events(
    days: np.ndarray, counts: np.ndarray, users: _Users, cal: _Calendar, cat: _Catalog,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:  # fmt: skip
    """One chunk of good action events, in time order (columns as arrays)."""
    day = np.repeat(days, counts[days])
    user = _pick_users(users, day, rng)
    _first_actions(user, day, users, rng)
    travel = rng.random(day.size) >= HOME_SHARE
    region = users.home[user].copy()
    region[travel] = rng.choice(len(contract.REGION_CODES), int(travel.sum()), p=_region_weights())
    action = _pick_actions(cal, day, region, users.commuter[user].astype(np.int64), rng)
    _apply_caps(action, user, day, cal)
    brand = _pick_brands(action, cat, rng)
    energy = _energy(action, brand, cal.weekend[day], cat, rng)
    t = _clock(action, day, cal, rng)
    order = np.argsort(t, kind="stable")
    cols = {"user": user, "t": t, "action": action, "region": region, "energy": energy,
            "brand": brand}  # fmt: skip
    out = {k: v[order] for k, v in cols.items()}
    out["user_null"] = np.zeros(day.size, bool)
    out["t_null"] = np.zeros(day.size, bool)
    out["dup"] = np.zeros(day.size, bool)
    return out


# --- bad rows ----------------------------------------------------------------------------------

Fault = Callable[[dict[str, np.ndarray], np.ndarray, np.random.Generator], None]


def _unknown_action(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["action"][rows] = len(ACTIONS) + rng.integers(0, len(UNKNOWN_ACTIONS), rows.sum())


def _unknown_region(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["region"][rows] = len(REGIONS) + rng.integers(0, len(UNKNOWN_REGIONS), rows.sum())


def _negative_energy(
    bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator
) -> None:
    bad["energy"][rows] = -np.maximum(bad["energy"][rows], 1)  # a sign error upstream


def _no_energy(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["energy"][rows] = 0


def _no_time(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["t_null"][rows] = True


def _no_user(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["user_null"][rows] = True


def _duplicate(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["dup"][rows] = True  # the same row sent twice: same id, same values


def _unknown_species(
    bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator
) -> None:
    bad["species"][rows] = len(SPECIES) + rng.integers(0, len(UNKNOWN_SPECIES), rows.sum())


def _unknown_project(
    bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator
) -> None:
    bad["project"][rows] = -1 - rng.integers(0, len(UNKNOWN_PROJECTS), rows.sum())


def _no_units(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["units"][rows] = 0.0


ACTION_FAULTS: tuple[Fault, ...] = (
    _unknown_action, _negative_energy, _unknown_region, _no_time, _duplicate, _no_user,
)  # fmt: skip
REDEMPTION_FAULTS: tuple[Fault, ...] = (
    _unknown_species, _unknown_project, _no_units, _no_time, _duplicate, _no_energy,
)  # fmt: skip


def _bad_quota(good_rows: int, bad_so_far: int) -> int:
    """Bad rows still due once `good_rows` good rows exist: 0.01%, at least MIN_BAD_ROWS."""
    if good_rows == 0:
        return 0
    return max(MIN_BAD_ROWS, int(good_rows * BAD_ROW_RATE)) - bad_so_far


def _add_bad_rows(
    good: dict[str, np.ndarray], n_bad: int, first_fault: int, faults: tuple[Fault, ...],
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], np.ndarray]:  # fmt: skip
    """Good rows plus `n_bad` broken copies, each right after its original.

    Adds "seq", each row's number in the file (a duplicate repeats its original's). Returns the
    rows and the originals that were duplicated.
    """
    n = good["dup"].size
    templates = np.sort(rng.choice(n, n_bad, replace=n_bad > n)) if n_bad else np.zeros(0, int)
    bad = {k: v[templates].copy() for k, v in good.items()}
    kind = (first_fault + np.arange(n_bad)) % len(faults)
    for k, fault in enumerate(faults):
        if (kind == k).any():
            fault(bad, kind == k, rng)
    order = np.argsort(np.r_[np.arange(n), templates], kind="stable")
    rows = {k: np.concatenate([good[k], bad[k]])[order] for k in good}
    position = np.empty(n + n_bad, np.int64)
    position[order] = np.arange(n + n_bad)
    seq = position.copy()
    seq[n:][bad["dup"]] = position[templates[bad["dup"]]]
    rows["seq"] = seq[order]
    return rows, templates[bad["dup"]]


# --- redemptions -------------------------------------------------------------------------------


def _project_weights(cat: _Catalog, day: int, adopted: np.ndarray) -> np.ndarray:
    """How likely each (project, species) pair is to be chosen among its species' on `day`:
    0 if not open yet. The app features the projects nobody has adopted yet (NEW_PAIR_BOOST),
    so that a small sample of users still reaches most projects."""
    featured = np.where(adopted.any(axis=1), 1.0, NEW_PAIR_BOOST)
    return np.where(cat.pair_start <= day, cat.pair_weight * featured, 0.0)


def _choose_projects(
    pair: np.ndarray, weights: np.ndarray, cat: _Catalog, rng: np.random.Generator
) -> np.ndarray:
    """For each pair saved for, a pair of the same species drawn by `weights`: a user saves
    for a species and chooses the project when adopting it."""
    order = np.argsort(cat.pair_species, kind="stable")
    cum = np.cumsum(weights[order])
    species = cat.pair_species[pair]
    first = np.searchsorted(cat.pair_species[order], species, side="left")
    last = np.searchsorted(cat.pair_species[order], species, side="right") - 1
    before = np.where(first > 0, cum[first - 1], 0.0)
    u = before + rng.random(pair.size) * (cum[last] - before)
    return order[np.minimum(np.searchsorted(cum, u, side="right"), last)]


def _open_items(cat: _Catalog, day: int, adopted: np.ndarray) -> np.ndarray:
    """Probability of each (project, species) pair being chosen on `day`: open ones only."""
    open_ = cat.pair_start <= day
    w = _project_weights(cat, day, adopted)
    per_species = np.bincount(cat.pair_species, w, len(cat.species))[cat.pair_species]
    popularity = np.array([s.popularity for s in cat.species.values()])[cat.pair_species]
    p = np.divide(popularity * w, per_species, out=np.zeros_like(w), where=open_)
    return p / p.sum()


def _draw_targets(
    n: int, cdf: np.ndarray, cat: _Catalog, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """What `n` users set out to adopt: a (project, species) pair, and units of it."""
    pair = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")  # skips closed pairs
    fixed = np.array([SHARE_M2 if c == PROTECTED else 1 if s.unit == "tree" else 0
                      for c, s in cat.species.items()])  # fmt: skip
    units = fixed[cat.pair_species[pair]]
    drawn = units == 0  # coastal: 1–10 m²
    units[drawn] = rng.choice(COASTAL_M2, int(drawn.sum()), p=COASTAL_M2_P)
    return pair, units


def _cost(pair: np.ndarray, units: np.ndarray, cat: _Catalog) -> np.ndarray:
    """Energy, g, that `units` of a pair's species cost."""
    per_unit = np.array([s.energy_g_per_unit for s in cat.species.values()], np.int64)
    return units.astype(np.int64) * per_unit[cat.pair_species[pair]]


def _redeem(
    user: np.ndarray, t: np.ndarray, credit: np.ndarray, day: int, users: _Users,
    cat: _Catalog, ledger: _Ledger, rng: np.random.Generator,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Redemptions of one chunk: a planter saves for a target and adopts it once it is covered.

    Events are grouped by user; a global non-decreasing key (group offset + balance reached) lets
    one searchsorted find the event at which each user's cumulative spend is first covered.
    """
    order = np.argsort(user, kind="stable")
    u, c, tt = user[order], credit[order], t[order]
    starts = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    who = u[starts]
    group = np.repeat(np.arange(who.size), np.diff(np.r_[starts, u.size]))
    opening = ledger.balance[who]
    avail = opening + np.add.reduceat(c, starts)
    offset = np.r_[0, np.cumsum(avail + 1)[:-1]]
    running = np.cumsum(c)
    key = offset[group] + opening[group] + running - (running[starts] - c[starts])[group]
    cdf = np.cumsum(_open_items(cat, day, ledger.adopted))
    weights = _project_weights(cat, day, ledger.adopted)
    spent = np.zeros(who.size, np.int64)
    active = np.flatnonzero(users.planter[who])
    found: list[tuple[np.ndarray, ...]] = []
    while active.size:  # at most one redemption per user per round
        fresh = active[ledger.target_pair[who[active]] < 0]
        pair, units = _draw_targets(fresh.size, cdf, cat, rng)
        ledger.target_pair[who[fresh]], ledger.target_units[who[fresh]] = pair, units
        pair, units = ledger.target_pair[who[active]], ledger.target_units[who[active]]
        cost = _cost(pair, units, cat)
        ok = spent[active] + cost <= avail[active]  # the others keep saving for their target
        active, pair, units, cost = active[ok], pair[ok], units[ok], cost[ok]
        pair = _choose_projects(pair, weights, cat, rng)
        spent[active] += cost
        at = tt[np.searchsorted(key, offset[active] + spent[active], side="left")]
        found.append((who[active], at, pair, units, cost))
        ledger.target_pair[who[active]] = -1
    ledger.balance[who] = avail - spent
    return _redemption_rows(found, cat, rng)


def _redemption_rows(
    found: list[tuple[np.ndarray, ...]], cat: _Catalog, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Columns of redemptions from (user, time earned, pair, units, cost) found per round."""
    user, earned_at, pair, units, cost = (
        np.concatenate([f[i] for f in found]) if found else np.zeros(0, np.int64) for i in range(5)
    )
    last_us = (np.datetime64(DEMO_END, "D").astype(np.int64) + 1) * _DAY_US - _CST_US - 1
    delay = 1_000_000 + (rng.exponential(REDEEM_DELAY_H, user.size) * _HOUR_US).astype(np.int64)
    t = np.minimum(earned_at + delay, last_us)
    n = user.size
    field = np.maximum(1, np.round(units * FIELD_SCALE * rng.lognormal(0, FIELD_SPREAD, n)))
    return {
        "user": user, "t": t, "project": cat.pair_project[pair], "species": cat.pair_species[pair],
        "units": field, "energy": cost.astype(np.int64), "pair": pair,
        "user_null": np.zeros(n, bool), "t_null": np.zeros(n, bool), "dup": np.zeros(n, bool),
    }  # fmt: skip


def _month_of(t: np.ndarray, cal: _Calendar) -> np.ndarray:
    """Index of the China-time month of UTC µs timestamps."""
    return cal.month_of_day[(t - cal.midnight_us[0]) // _DAY_US]


# --- writing Parquet ---------------------------------------------------------------------------


def _codes(names: tuple[str, ...], index: np.ndarray) -> pa.Array:
    """Strings for code indices; negative indices count from the end (bad codes)."""
    return pa.array(names).take(pa.array(np.where(index < 0, len(names) + index, index)))


def _actions_table(
    rows: dict[str, np.ndarray], first_id: int, users: _Users, cat: _Catalog
) -> pa.Table:
    """Arrow table of action rows, columns as in the contract."""
    return pa.Table.from_arrays(
        [
            _ids("ev", first_id + rows["seq"], 10),
            users.ids.take(pa.array(rows["user"], mask=rows["user_null"])),
            pa.array(rows["t"], _ACTIONS_SCHEMA.field("occurred_at").type, mask=rows["t_null"]),
            _codes((*ACTIONS, *UNKNOWN_ACTIONS), rows["action"]),
            _codes((*contract.REGION_CODES, *UNKNOWN_REGIONS), rows["region"]),
            pa.array(rows["energy"], pa.int64()),
            cat.brands.take(pa.array(rows["brand"], mask=rows["brand"] < 0)),
        ],
        schema=_ACTIONS_SCHEMA,
    )


def _redemptions_table(
    rows: dict[str, np.ndarray], first_id: int, users: _Users, cat: _Catalog
) -> pa.Table:
    """Arrow table of redemption rows, columns as in the contract."""
    project_ids = (*(p.project_id for p in cat.projects), *reversed(UNKNOWN_PROJECTS))
    return pa.Table.from_arrays(
        [
            _ids("rd", first_id + rows["seq"], 10),
            users.ids.take(pa.array(rows["user"], mask=rows["user_null"])),
            pa.array(rows["t"], _REDEMPTIONS_SCHEMA.field("redeemed_at").type, mask=rows["t_null"]),
            _codes(project_ids, rows["project"]),
            _codes((*cat.species_codes, *UNKNOWN_SPECIES), rows["species"]),
            pa.array(rows["units"], pa.float64()),
            pa.array(rows["energy"], pa.int64()),
        ],
        schema=_REDEMPTIONS_SCHEMA,
    )


def _parquet_writer(path: Path, schema: pa.Schema, dictionary: list[str]) -> pq.ParquetWriter:
    """A writer with fixed settings, so that the same rows give the same bytes."""
    return pq.ParquetWriter(
        path, schema, compression="zstd", compression_level=3, use_dictionary=dictionary,
        write_statistics=True, version="2.6", data_page_version="1.0",
    )  # fmt: skip


def _concat(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([a[k], b[k]]) for k in a} if a else b


def _take(rows: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in rows.items()}


# --- streaming the events ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """Everything fixed that the stream of events draws on."""

    seed: int
    users: _Users
    cal: _Calendar
    cat: _Catalog
    counts: np.ndarray  # events per day
    bad_rows: bool


def _stream(model: _Model, out_dir: Path, progress: Callable[[int, int], None] | None) -> _Ledger:
    """Generate and write actions and redemptions month by month, chunk by chunk."""
    n_users, cal = model.users.rate.size, model.cal
    ledger = _Ledger(
        balance=np.zeros(n_users, np.int64),
        seen=np.zeros(n_users, bool),
        adopted=np.zeros((model.cat.pair_project.size, cal.months.size)),
        target_pair=np.full(n_users, -1, np.int32),
        target_units=np.zeros(n_users, np.int16),
    )
    pending: dict[str, np.ndarray] = {}
    total, done, chunk_no = int(model.counts.sum()), 0, 0
    for month, chunks in enumerate(_chunks(cal, model.counts)):
        path = out_dir / "actions" / f"{cal.months[month]}.parquet"
        writer = None
        for days in chunks:
            chunk_no += 1
            n = int(model.counts[days].sum())
            if n == 0:
                continue
            rows, new = _action_chunk(model, days, ledger, _rng(model.seed, 4, chunk_no))
            pending = _concat(pending, new)
            writer = writer or _parquet_writer(
                path, _ACTIONS_SCHEMA, ["action", "region", "brand_id"]
            )
            table = _actions_table(rows, ledger.events_written + 1, model.users, model.cat)
            writer.write_table(table, ROW_GROUP_SIZE)
            ledger.events_written += rows["seq"].size
            done += n
            if progress:
                progress(done, total)
        if writer:
            writer.close()
        pending = _flush_redemptions(model, month, pending, ledger, out_dir)
    return ledger


def _action_chunk(
    model: _Model, days: np.ndarray, ledger: _Ledger, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One chunk's action rows (bad ones included) and the redemptions its energy pays for."""
    good = _events(days, model.counts, model.users, model.cal, model.cat, rng)
    ledger.good_events += good["dup"].size
    n_bad = _bad_quota(ledger.good_events, ledger.bad_events) if model.bad_rows else 0
    rows, duplicated = _add_bad_rows(good, n_bad, ledger.bad_events, ACTION_FAULTS, rng)
    ledger.bad_events += n_bad
    ledger.seen[good["user"]] = True
    credit = good["energy"].copy()
    credit[duplicated] = 0  # whatever a loader does with a repeated id, nobody spends it
    new = _redeem(
        good["user"], good["t"], credit, int(days[0]), model.users, model.cat, ledger, rng
    )
    np.add.at(ledger.adopted, (new["pair"], _month_of(new["t"], model.cal)), new["units"])
    return rows, new


def _flush_redemptions(
    model: _Model, month: int, pending: dict[str, np.ndarray], ledger: _Ledger, out_dir: Path
) -> dict[str, np.ndarray]:
    """Write the month's redemptions (in time order); keep those that fall in a later month."""
    if not pending:
        return pending
    in_month = _month_of(pending["t"], model.cal) == month
    now = _take(pending, np.flatnonzero(in_month))
    later = _take(pending, np.flatnonzero(~in_month))
    if now["t"].size:
        now = _take(now, np.argsort(now["t"], kind="stable"))
        ledger.good_redemptions += now["t"].size
        rng = _rng(model.seed, 5, month)
        n_bad = _bad_quota(ledger.good_redemptions, ledger.bad_redemptions) if model.bad_rows else 0
        rows, _ = _add_bad_rows(now, n_bad, ledger.bad_redemptions, REDEMPTION_FAULTS, rng)
        ledger.bad_redemptions += n_bad
        table = _redemptions_table(rows, ledger.redemptions_written + 1, model.users, model.cat)
        path = out_dir / "redemptions" / f"{model.cal.months[month]}.parquet"
        with _parquet_writer(path, _REDEMPTIONS_SCHEMA, ["project_id", "species"]) as writer:
            writer.write_table(table, ROW_GROUP_SIZE)
        ledger.redemptions_written += table.num_rows
    return later


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


# --- projects, protected areas and their species ----------------------------------------------


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


def _area_rows(cat: _Catalog) -> list[dict]:
    """protected_areas.csv."""
    return [{**a._asdict(), "partner_zh": PARTNER_ZH[a.partner]} for a in cat.areas]


def _species_pool(
    rng: np.random.Generator,
) -> list[tuple[str, str | None, str | None, str, str]]:
    """(scientific name, common name, its Chinese, IUCN category, group) of the species not in
    FLAGSHIPS."""
    taken = {f[0] for f in FLAGSHIP_SPECIES}
    n = SPECIES_PER_AREA_SET - len(FLAGSHIP_SPECIES)
    shares = np.array([share for share, _ in TAXON_GROUPS.values()])
    counts = np.floor(shares / shares.sum() * n).astype(int)
    counts[0] += n - counts.sum()
    pool = []
    for (group, (_, genera)), count in zip(TAXON_GROUPS.items(), counts, strict=True):
        combos = [(g, e) for g in genera for e in EPITHETS if f"{g[0]} {e[0]}" not in taken]
        for k in rng.permutation(len(combos))[:count]:
            (genus, stem), (epithet, word) = combos[k]
            named = stem and (group not in ("plants", "insects") or rng.random() < 0.6)
            category = str(rng.choice(list(IUCN_MIX), p=list(IUCN_MIX.values())))
            # Nearly every species has a Chinese name, even without an English one.
            common = f"{word} {stem}" if named else None
            common_zh = EPITHET_ZH[word] + (STEM_ZH[stem] if stem else GENUS_ZH[genus])
            pool.append((f"{genus} {epithet}", common, common_zh, category, group))
    return pool


def _area_species(cat: _Catalog, rng: np.random.Generator) -> list[dict]:
    """About 1,500 distinct species over the 18 areas; some occur in several areas."""
    areas = cat.areas
    rows = []
    for name, common, category, group, regions in FLAGSHIP_SPECIES:
        for a in areas:
            if a.region in regions:
                names = (common, FLAGSHIP_ZH[name])
                rows.append(_species_row(a, name, names, category, group, rng))
    for name, common, common_zh, category, group in _species_pool(rng):
        k = 1 + int(rng.random() < 0.12) + int(rng.random() < 0.04)
        for i in rng.choice(len(areas), k, replace=False):
            rows.append(_species_row(areas[i], name, (common, common_zh), category, group, rng))
    rows.sort(key=lambda r: (r["area_id"], r["scientific_name"]))
    return rows


def _species_row(
    area: _Area, name: str, common: tuple[str | None, str | None], category: str, group: str,
    rng: np.random.Generator,
) -> dict:  # fmt: skip
    """One species in one area (common name in English and Chinese, or None), last observed
    some time after the area was set up."""
    span = (DEMO_END - area.established_on).days
    seen = area.established_on + timedelta(int(span * rng.beta(3, 1)))
    return {"area_id": area.area_id, "scientific_name": name, "iucn_category": category,
            "common_name": common[0], "common_name_zh": common[1], "taxon_group": group,
            "last_observed_on": None if rng.random() < 0.08 else seen}  # fmt: skip


# --- writing CSV -------------------------------------------------------------------------------

RowFault = tuple[str | None, Callable[[dict, np.random.Generator], object]]  # None = duplicate


def _bad_date(row: dict, column: str, tail: str) -> str:
    return f"{row[column]:%Y}-{tail}"


PROJECT_FAULTS: tuple[RowFault, ...] = (
    ("region", lambda r, rng: "CN-NMG"),  # an old three-letter code
    ("started_on", lambda r, rng: _bad_date(r, "started_on", "13-01")),
    ("partner", lambda r, rng: None),
    ("lat", lambda r, rng: round(r["lat"] * 10, 2)),  # a lost decimal point
)
PLANTING_FAULTS: tuple[RowFault, ...] = (
    ("project_id", lambda r, rng: "AF-GS-99"),
    ("planted_on", lambda r, rng: _bad_date(r, "planted_on", "13-45")),
    ("units_planted", lambda r, rng: 0),
    (None, lambda r, rng: None),
    ("area_ha", lambda r, rng: -max(r["area_ha"], 0.1)),
)
SURVEY_FAULTS: tuple[RowFault, ...] = (
    ("units_alive", lambda r, rng: r["units_sampled"] + int(rng.integers(1, 40))),
    ("surveyed_on", lambda r, rng: _bad_date(r, "surveyed_on", "02-30")),
    ("project_id", lambda r, rng: "CO-XX-01"),
    (None, lambda r, rng: None),
    ("units_sampled", lambda r, rng: 0),
)
AREA_FAULTS: tuple[RowFault, ...] = (
    ("area_ha", lambda r, rng: 0.0),
    ("region", lambda r, rng: "CN-XX"),
    ("established_on", lambda r, rng: _bad_date(r, "established_on", "02-30")),
)
BRAND_FAULTS: tuple[RowFault, ...] = (
    (None, lambda r, rng: None),  # the same brand sent twice
    ("name", lambda r, rng: None),
)
AREA_SPECIES_FAULTS: tuple[RowFault, ...] = (
    ("iucn_category", lambda r, rng: "LR/nt"),  # a category retired in 2001
    ("scientific_name", lambda r, rng: None),
    ("area_id", lambda r, rng: "PA-XX-99"),
    ("last_observed_on", lambda r, rng: "2023-02-30"),
)


def _with_bad_rows(
    rows: list[dict], faults: tuple[RowFault, ...], enabled: bool, rng: np.random.Generator
) -> tuple[list[dict], int]:
    """Rows plus about 0.01% broken copies (at least 2), each right after its original."""
    n_bad = _bad_quota(len(rows), 0) if enabled and rows else 0
    after: dict[int, list[dict]] = {}
    for j, i in enumerate(np.sort(rng.choice(len(rows), n_bad, replace=n_bad > len(rows)))):
        bad = dict(rows[i])
        column, value = faults[j % len(faults)]
        if column is not None:
            bad[column] = value(bad, rng)
        after.setdefault(int(i), []).append(bad)
    out = []
    for i, row in enumerate(rows):
        out += [row, *after.get(i, [])]
    return out, n_bad


def _csv_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _write_csv(path: Path, table: contract.Table, rows: list[dict]) -> int:
    """One CSV table with the contract's columns in order; dates as YYYY-MM-DD."""
    types = {"text": pa.string(), "date": pa.string(), "int": pa.int64(), "number": pa.float64()}
    schema = pa.schema([(c.name, types[c.type]) for c in table.columns])
    data = [{c: _csv_value(r.get(c)) for c in schema.names} for r in rows]
    pa_csv.write_csv(pa.Table.from_pylist(data, schema=schema), path)
    return len(rows)


# --- the entry point ---------------------------------------------------------------------------


def _prepare(out_dir: Path) -> None:
    """Create the folders; remove monthly parts a previous run left (they may not recur)."""
    for sub in ("actions", "redemptions"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
        for old in (out_dir / sub).glob("*.parquet"):
            if re.fullmatch(r"\d{4}-\d{2}\.parquet", old.name):
                old.unlink()


def generate(
    out_dir: Path,
    events: int = 1_000_000,
    seed: int = 42,
    *,
    progress: Callable[[int, int], None] | None = None,
    bad_rows: bool = True,
) -> DemoResult:
    """Write a seeded synthetic data set of `events` good action events to `out_dir`."""
    if events < 1 or seed < 0:
        raise ValueError("events must be ≥ 1 and seed ≥ 0")
    out_dir = Path(out_dir)
    _prepare(out_dir)
    cal = _calendar()
    users = _users(seed, events, cal.days.size)
    cat = _catalog(seed)
    counts = _day_counts(seed, users, cal, events)
    users = _weekly_newcomers(users, counts, _rng(seed, 7))
    model = _Model(seed, users, cal, cat, counts, bad_rows)
    ledger = _stream(model, out_dir, progress)

    rng = _rng(seed, 6)
    plantings = _plantings(cat, ledger.adopted, rng)
    tables = {
        "projects": (contract.PROJECTS, _project_rows(cat, ledger.adopted, rng), PROJECT_FAULTS),
        "plantings": (contract.PLANTINGS, plantings, PLANTING_FAULTS),
        "surveys": (contract.SURVEYS, _surveys(plantings, cat, rng), SURVEY_FAULTS),
        "protected_areas": (contract.PROTECTED_AREAS, _area_rows(cat), AREA_FAULTS),
        "area_species": (contract.AREA_SPECIES, _area_species(cat, rng), AREA_SPECIES_FAULTS),
        "brands": (contract.BRANDS, cat.brand_rows, BRAND_FAULTS),
    }
    rows = {"actions": ledger.events_written, "redemptions": ledger.redemptions_written}
    bad = {"actions": ledger.bad_events, "redemptions": ledger.bad_redemptions}
    for name, (table, good, faults) in tables.items():
        written, bad[name] = _with_bad_rows(good, faults, bad_rows, rng)
        rows[name] = _write_csv(out_dir / f"{name}.csv", table, written)
    (out_dir / DEMO_MARKER).write_text(
        f"Synthetic demo data written by greenstats.demo (events={events}, seed={seed}, "
        f"bad_rows={bad_rows}). Not real program data.\n",
        encoding="utf-8",
    )
    active_days = np.flatnonzero(counts)
    return DemoResult(
        out_dir=out_dir,
        rows=rows,
        bad_rows=bad,
        users=int(ledger.seen.sum()),
        first_day=DEMO_START + timedelta(int(active_days[0])),
        last_day=DEMO_START + timedelta(int(active_days[-1])),
    )
