"""A hand-built input folder: every table, bad rows of each kind, time-zone edge cases.

Every row is written out here so that a test can compute each figure by hand from what it
sees. Comments give the line number (CSV header = line 1) and what the row is for.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

REFERENCE_MIN = Path(__file__).parent / "data" / "reference_min"
AS_OF = date(2026, 6, 30)

PROJECTS = """\
project_id,name,partner,kind,region,lat,lon,started_on,target_units,target_area_ha,target_date
P1,Alxa saxaul belt,Desert Green,afforestation,CN-NM,39.20,105.60,2020-03-01,5000,10,2030-12-31
P2,Minqin sand willow,Oasis Trust,afforestation,CN-GS,38.60,103.10,2021-03-01,,,
P3,Dongchu eelgrass,Blue Coast,coastal,CN-SD,37.50,122.10,2022-06-01,10000,,
P4,Guanba guardians,Panda Friends,conservation,CN-SC,32.10,104.80,2019-01-01,,,
P5,Bad kind,Nobody,orchard,CN-NM,39,105,2020-01-01,,,
P6,,Nobody,afforestation,CN-NM,39,105,2020-01-01,,,
P7,Bad lat,Nobody,afforestation,CN-NM,95,105,2020-01-01,,,
P1,Duplicate,Nobody,afforestation,CN-NM,39,105,2020-01-01,,,
"""
# Rejected: line 6 kind, line 7 name missing, line 8 lat > 90, line 9 duplicate P1.

PROTECTED_AREAS = """\
area_id,name,partner,region,area_ha,established_on,lat,lon,project_id
A1,Guanba reserve,Panda Friends,CN-SC,1823,2019-05-01,32.1,104.8,P4
A2,Qilian grassland,Highland Watch,CN-GS,500.5,2020-07-01,38.2,99.8,
A3,Zero area,Nobody,CN-GS,0,2020-07-01,,,
A4,Bad region,Nobody,CN-ZZ,10,2020-07-01,,,
A5,Bad project,Nobody,CN-SC,10,2020-07-01,,,P9
"""
# Rejected: line 4 area_ha must be > 0, line 5 region, line 6 project P9 does not exist.

AREA_SPECIES = """\
area_id,scientific_name,iucn_category,common_name,taxon_group
A1,Ailuropoda melanoleuca,VU,Giant panda,mammals
A1,Rhinopithecus roxellana,EN,Golden snub-nosed monkey,mammals
A1,Pica pica,LC,Eurasian magpie,birds
A2,Panthera uncia,VU,Snow leopard,mammals
A2,Pica pica,LC,Eurasian magpie,birds
A2,Procapra przewalskii,EN,Przewalski's gazelle,mammals
A1,Bad category,XX,,
A9,Ghost species,LC,,
A1,Pica pica,LC,Eurasian magpie,birds
"""
# Rejected: line 8 category XX, line 9 area A9 unknown, line 10 duplicate (A1, Pica pica).

ACTIONS_CSV = """\
event_id,user_id,occurred_at,action,region,energy_g,brand_id
a01,u1,2024-12-31 23:30:00,walking,CN-GD,200,
a02,u2,2024-12-31T15:30:00Z,metro_ride,CN-GD,52,brand-metro
a03,u1,2024-12-31T16:30:00Z,metro_ride,CN-GD,52,brand-metro
a04,u3,2025-01-15T09:00:00+08:00,e_invoice,CN-BJ,5,brand-tax
a05,u3,2025-01-15 18:00,walking,CN-BJ,150,
a06,u4,2025-02-01 08:00:00,metro_ride,CN-SH,52,brand-metro
a07,u5,2024-06-01 12:00:00,walking,CN-NM,296,
a08,u6,2025-01-20 10:00,flying,CN-BJ,10,
a09,u6,2025-01-20 10:00,walking,CN-ZZ,10,
a10,u6,2025-01-20 10:00,walking,CN-BJ,-5,
a11,u6,2025-01-32 10:00,walking,CN-BJ,10,
a12,,2025-01-20 10:00,walking,CN-BJ,10,
a01,u9,2024-12-31 23:30:00,walking,CN-GD,200,
a13,u6,2025-01-20 10:00,walking,CN-BJ,12.5,
a14,u6,2025-01-20 10:00,walking,CN-BJ,10,,extra
a15,u7,2025-03-01 10:00,walking,CN-BJ,100,
"""
# Line 2: no offset = China time, 31 Dec 23:30. Line 3: 'Z' = 15:30 UTC = 23:30 CST, 31 Dec.
# Line 4: 16:30 UTC = 00:30 CST on 1 Jan 2025. Lines 9-16 are rejected: unknown action,
# unknown region, negative energy, day 32, missing user, duplicate a01, 12.5 not whole,
# one field too many. Line 17 is good and must keep its own line number.

# actions/2025-04.parquet, typed columns (UTC instants); row 3 has an unknown action.
ACTIONS_PARQUET_ROWS = [
    ("a20", "u1", "2025-04-01 02:00:00+00", "metro_ride", "CN-GD", 52, "brand-metro"),
    ("a21", "u8", "2025-04-02 03:00:00+00", "e_invoice", "CN-SH", 5, "brand-tax"),
    ("a22", "u8", "2025-04-03 03:00:00+00", "teleport", "CN-SH", 5, None),
]

REDEMPTIONS = """\
redemption_id,user_id,redeemed_at,project_id,species,units,energy_g
r1,u1,2025-01-10 10:00,P1,saxaul,1,17900
r2,u2,2025-02-10 10:00,P1,saxaul,2,35800
r3,u3,2025-03-10 10:00,P3,eelgrass,5,15000
r4,u4,2024-12-31 23:59:59,P4,protected_land,5,2500
r5,u1,2025-01-10 10:00,P1,saxaul,0,17900
r6,u1,2025-01-10 10:00,P9,saxaul,1,17900
r7,u1,2025-01-10 10:00,P1,oak,1,17900
r8,u1,2025-01-10 10:00,P1,saxaul,1,0
"""
# Rejected: line 6 units must be > 0, line 7 project P9, line 8 species oak, line 9 energy 0.

PLANTINGS = """\
planting_id,project_id,species,planted_on,units_planted,area_ha,lat,lon
PL1,P1,saxaul,2023-04-10,1000,1.48,39.21,105.61
PL2,P1,saxaul,2024-10-20,500,0.74,,
PL3,P2,sand_willow,2024-04-01,2000,1.2,,
PL4,P3,eelgrass,2024-05-01,3000,0.3,,
PL5,P2,sand_willow,2026-10-01,400,0.25,,
PL6,P1,saxaul,2024-04-01,0,1,,
PL7,P9,saxaul,2024-04-01,10,1,,
PL8,P1,saxaul,2024/04/01,10,1,,
PL9,P1,saxaul,2024-04-01,10,-1,,
"""
# PL5 is planted after AS_OF (age 0). Rejected: line 7 units 0, line 8 project P9,
# line 9 date format, line 10 negative area.

SURVEYS = """\
survey_id,project_id,species,surveyed_on,units_sampled,units_alive
S1,P1,saxaul,2024-04-10,200,180
S2,P1,saxaul,2025-04-10,100,70
S3,P1,saxaul,2025-04-10,300,240
S4,P1,saxaul,2026-11-28,100,10
S5,P3,eelgrass,2025-05-01,100,40
S6,P1,saxaul,2025-05-01,10,11
S7,P1,saxaul,2025-05-01,0,0
S8,P1,oak,2025-05-01,10,5
"""
# P1 saxaul: latest survey up to AS_OF is 2025-04-10, two on that day: (70+240)/(100+300)
# = 0.775 (not the mean of their rates, 0.75, nor S1's 0.9).
# S4 is after AS_OF. P2 has no survey (species default). Rejected: line 7 alive > sampled,
# line 8 sampled must be > 0, line 9 species oak.

REJECTS_PER_TABLE = {
    "projects": 4,
    "protected_areas": 3,
    "area_species": 3,
    "brands": 0,  # the folder has no brands.csv: it is optional
    "actions": 9,
    "redemptions": 4,
    "plantings": 4,
    "surveys": 3,
}


def write(folder: Path) -> Path:
    """Write the hand-built input folder and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {
        "projects.csv": PROJECTS,
        "protected_areas.csv": PROTECTED_AREAS,
        "area_species.csv": AREA_SPECIES,
        "actions.csv": ACTIONS_CSV,
        "redemptions.csv": REDEMPTIONS,
        "plantings.csv": PLANTINGS,
        "surveys.csv": SURVEYS,
    }.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "actions").mkdir(exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(
            """CREATE TABLE t (event_id VARCHAR, user_id VARCHAR, occurred_at TIMESTAMPTZ,
               action VARCHAR, region VARCHAR, energy_g BIGINT, brand_id VARCHAR)"""
        )
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", ACTIONS_PARQUET_ROWS)
        target = str(folder / "actions" / "2025-04.parquet").replace("'", "''")
        con.execute(f"COPY t TO '{target}' (FORMAT parquet)")
    finally:
        con.close()
    return folder
