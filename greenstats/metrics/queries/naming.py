"""Codes by name: for each kind of code (actions, species, projects, partners, areas, brands,
area species) the name a reader sees in English or Chinese, never a blank; the brands."""

from __future__ import annotations

import duckdb
import pandas as pd

from greenstats.data.warehouse import Reader

#: For each kind of code a reader sees by name: SQL giving `code`, `name_en` and `name_zh`
#: (either may be NULL or blank; `name_table` fills them in: zh → en → code).
NAME_TABLES: dict[str, str] = {
    "actions": "SELECT action AS code, name_en, name_zh FROM ref_actions ORDER BY action",
    "species": "SELECT species AS code, name_en, name_zh FROM ref_species ORDER BY species",
    "projects": "SELECT project_id AS code, name AS name_en, name_zh FROM stg_projects "
    "ORDER BY project_id",
    # Partners are named by their (English) name; the Chinese one comes with their projects
    # and protected areas.
    "partners": """SELECT partner AS code, partner AS name_en, max(partner_zh) AS name_zh
        FROM (SELECT partner, partner_zh FROM stg_projects
              UNION ALL SELECT partner, partner_zh FROM stg_protected_areas)
        GROUP BY partner ORDER BY partner""",
    "areas": "SELECT area_id AS code, name AS name_en, name_zh FROM stg_protected_areas "
    "ORDER BY area_id",
    # Every brand of the brands table or of the actions; one without a row in brands keeps
    # its id.
    "brands": """SELECT b.brand_id AS code, s.name AS name_en, s.name_zh
        FROM (SELECT brand_id FROM stg_brands
              UNION SELECT brand_id FROM mart_actions_monthly WHERE brand_id IS NOT NULL) AS b
        LEFT JOIN stg_brands AS s USING (brand_id) ORDER BY code""",
    # Species recorded in protected areas, by scientific name.
    "area_species": """SELECT scientific_name AS code, max(common_name) AS name_en,
               max(common_name_zh) AS name_zh
        FROM stg_area_species GROUP BY scientific_name ORDER BY scientific_name""",
}

#: NAME_TABLES for a snapshot built before the Chinese names and the brands table: English
#: only (a page on such a snapshot still shows names until the next ingest or build).
_OLD_NAME_TABLES: dict[str, str] = {
    "projects": "SELECT project_id AS code, name AS name_en, NULL AS name_zh FROM stg_projects "
    "ORDER BY project_id",
    "partners": """SELECT DISTINCT partner AS code, partner AS name_en, NULL AS name_zh
        FROM (SELECT partner FROM stg_projects UNION SELECT partner FROM stg_protected_areas)
        ORDER BY code""",
    "areas": "SELECT area_id AS code, name AS name_en, NULL AS name_zh FROM stg_protected_areas "
    "ORDER BY area_id",
    "brands": """SELECT DISTINCT brand_id AS code, NULL AS name_en, NULL AS name_zh
        FROM mart_actions_monthly WHERE brand_id IS NOT NULL ORDER BY code""",
    "area_species": """SELECT scientific_name AS code, max(common_name) AS name_en,
               NULL AS name_zh FROM stg_area_species GROUP BY 1 ORDER BY 1""",
}


def _named(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def name_table(r: Reader, kind: str) -> pd.DataFrame:
    """Codes and the names a reader sees, for one of NAME_TABLES: `name_en` is the English name
    or else the code; `name_zh` the Chinese name, or else the English one, or else the code.
    Never a blank."""
    try:
        table = r.df(NAME_TABLES[kind])
    except (duckdb.BinderException, duckdb.CatalogException):
        if kind not in _OLD_NAME_TABLES:
            raise
        table = r.df(_OLD_NAME_TABLES[kind])
    codes = [str(c) for c in table["code"]]
    en = [str(n).strip() if _named(n) else c for c, n in zip(codes, table["name_en"], strict=True)]
    zh = [str(n).strip() if _named(n) else e for e, n in zip(en, table["name_zh"], strict=True)]
    return pd.DataFrame({"code": codes, "name_en": en, "name_zh": zh})


def display_names(r: Reader, kind: str, lang: str) -> dict[str, str]:
    """Code → the name a reader sees in `lang`, for one of NAME_TABLES: the Chinese name where
    there is one, else the English one, else the code itself (never a blank)."""
    table = name_table(r, kind)
    names = table["name_zh"] if lang == "zh" else table["name_en"]
    return dict(zip(table["code"], names, strict=True))


def brand_ids(r: Reader) -> list[str]:
    """Every partner brand that credited an action."""
    rows = r.rows(
        "SELECT DISTINCT brand_id FROM mart_actions_monthly WHERE brand_id IS NOT NULL ORDER BY 1"
    )
    return [b for (b,) in rows]
