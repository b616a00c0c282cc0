"""Species protected (program managers, donors): the protected areas, the species they shelter
and which of them are threatened — on any data, including areas without a position."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial

import pandas as pd

from greenstats.data.contract import IUCN_CATEGORIES, THREATENED_CATEGORIES
from greenstats.data.warehouse import Reader
from greenstats.metrics import stats
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import naming, program
from greenstats.ui import charts, fmt, geo, words
from greenstats.ui.blocks import Card, Chart, Figure, Table, empty_text
from greenstats.ui.i18n import t


@dataclass(frozen=True)
class SpeciesData:
    nothing: str  # '' when there are protected areas; else the sentence saying there are none
    cards: list[Card]
    areas_map: Chart
    by_category: Chart
    by_group: Chart
    threatened: Table


def load(r: Reader, f: Filters, lang: str) -> SpeciesData:
    """Everything the Species page shows for these filters (only the regions apply)."""
    species = program.area_species(r, f)
    areas = _areas(program.protected_areas(r, f), species, _names(r, "areas", lang))
    partner_names = _names(r, "partners", lang)
    area_names = dict(zip(areas["area_id"], areas["shown_name"], strict=True))
    return SpeciesData(
        nothing="" if len(areas) else _no_areas(f, lang),
        cards=_cards(areas, species, lang)
        if len(areas)
        else [
            dataclasses.replace(c, value=t("kpi.none_value", lang), note="")
            for c in _cards(areas, species, lang)
        ],
        areas_map=_areas_map(areas, partner_names, f, lang),
        by_category=_by_category(species, f, lang),
        by_group=_by_group(species, f, lang),
        threatened=_threatened(species, area_names, f, lang),
    )


def _names(r: Reader, kind: str, lang: str) -> dict[str, str]:
    """Code → the name a reader sees; raw names until naming.display_names knows the kind."""
    try:
        return naming.display_names(r, kind, lang)
    except KeyError:  # until display_names has areas / partners
        return {}


def _no_areas(f: Filters, lang: str) -> str:
    if f.regions:
        return empty_text("species.empty_areas", f, lang)
    return t("species.empty_no_areas", lang)


def _areas(table: pd.DataFrame, species: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """One row per protected area with its shown name, species and threatened species counts."""
    counts = species.groupby("area_id").agg(
        species=("scientific_name", "nunique"),
        threatened=("iucn_category", lambda c: int(c.isin(THREATENED_CATEGORIES).sum())),
    )
    out = table.join(counts, on="area_id")
    out = out.fillna({"species": 0, "threatened": 0})
    out["shown_name"] = [
        names.get(a) or n for a, n in zip(out["area_id"], out["name"], strict=True)
    ]
    return out.sort_values(["area_ha", "area_id"], ascending=[False, True]).reset_index(drop=True)


# --- cards ----------------------------------------------------------------------------------


def _cards(areas: pd.DataFrame, species: pd.DataFrame, lang: str) -> list[Card]:
    """The four headline cards: the same figures as `greenstats summary` (docs/CONTRACT.md,
    Metric definitions)."""
    hectares = float(areas["area_ha"].sum())
    protected = int(species["scientific_name"].nunique())
    threatened = int(
        species.loc[species["iucn_category"].isin(THREATENED_CATEGORIES), "scientific_name"]
        .nunique()
    )  # fmt: skip
    partners = int(areas["partner"].nunique())
    return [
        Card(t("metric.protected_areas", lang), fmt.number(len(areas), lang), key="protected_areas",
             figures=(Figure("metric.protected_areas", len(areas)),),
             note=t("species.run_by", lang, partners=fmt.quantity(partners, "unit.partners", lang))
             if partners else ""),
        Card(t("metric.protected_area_ha", lang), fmt.quantity(hectares, "unit.ha", lang),
             figures=(Figure("metric.protected_area_ha", hectares),),
             note=fmt.quantity(hectares / 100, "unit.km2", lang, 1 if hectares < 1000 else 0),
             key="protected_area_ha"),
        Card(t("metric.species_protected", lang), fmt.quantity(protected, "unit.species", lang),
             figures=(Figure("metric.species_protected", protected),),
             key="species_protected"),
        Card(t("metric.species_threatened", lang), fmt.quantity(threatened, "unit.species", lang),
             figures=(Figure("metric.species_threatened", threatened),),
             note=t("species.threatened_share", lang, pct=fmt.percent(threatened / protected,
                                                                      lang))
             if protected else "", help=t("help.threatened", lang), key="species_threatened"),
    ]  # fmt: skip


# --- the map of protected areas --------------------------------------------------------------


def _areas_map(areas: pd.DataFrame, partner_names: dict[str, str], f: Filters, lang: str
               ) -> Chart:  # fmt: skip
    """Protected areas as points sized by area; no map (said in words) when none has a
    position, and the insight from every area, mapped or not."""
    title = t("species.map", lang)
    frame = _areas_frame(areas, partner_names, lang)
    if areas.empty:
        return Chart("protected-areas", title, "", None, frame, _no_areas(f, lang))
    mapped = areas.dropna(subset=["lat", "lon"])
    insight = _largest_area(areas, lang)
    if 0 < len(mapped) < len(areas):
        missing = fmt.quantity(len(areas) - len(mapped), "unit.areas", lang)
        shown = fmt.number(len(mapped), lang)
        insight += _gap(lang) + t("species.some_unmapped", lang, shown=shown, missing=missing)
    draw = None
    if len(mapped):
        points = mapped.assign(
            kind="area",
            partner_name=[partner_names.get(p) or p for p in mapped["partner"]],
        )
        points["label"] = points["shown_name"]
        points["hover"] = [
            f"<b>{n}</b><br>{p}<br>{fmt.quantity(a, 'unit.ha', lang)}<br>"
            f"{t('hover.species', lang, n=fmt.number(s, lang), threatened=fmt.number(th, lang))}"
            for n, p, a, s, th in zip(points["shown_name"], points["partner_name"],
                                      points["area_ha"], points["species"], points["threatened"],
                                      strict=True)
        ]  # fmt: skip
        draw = partial(
            charts.sites_map,
            points, size="area_ha", color="kind", labels={"area": t("species.areas", lang)},
            colors={"area": charts.KIND_COLORS["conservation"]}, hover="hover",
        )  # fmt: skip
    # No position anywhere: no map, but the sentence still tells what the areas hold.
    empty = insight + _gap(lang) + t("species.no_positions", lang,
                              areas=fmt.quantity(len(areas), "unit.areas", lang))  # fmt: skip
    return Chart("protected-areas", title, insight, draw, frame, empty)


def _largest_area(areas: pd.DataFrame, lang: str) -> str:
    top = areas.iloc[0]
    area = fmt.quantity(float(top["area_ha"]), "unit.ha", lang)
    if not top["species"]:
        return t("species.largest_no_species", lang, name=top["shown_name"], area=area)
    return t("insight.largest_area", lang, name=top["shown_name"], area=area,
             species=fmt.number(top["species"], lang))  # fmt: skip


def _areas_frame(areas: pd.DataFrame, partner_names: dict[str, str], lang: str) -> pd.DataFrame:
    """The protected areas as a reader downloads them (positions blank where not given)."""
    return pd.DataFrame({
        t("col.area", lang): areas["shown_name"],
        t("col.partner", lang): [partner_names.get(p) or p for p in areas["partner"]],
        t("col.region", lang): [geo.region_name(c, lang) for c in areas["region"]],
        t("col.area_ha", lang): areas["area_ha"].astype(float).round(2),
        t("col.species_count", lang): areas["species"].astype(int),
        t("col.threatened_count", lang): areas["threatened"].astype(int),
        t("col.lat", lang): areas["lat"].astype(float),
        t("col.lon", lang): areas["lon"].astype(float),
    })  # fmt: skip


# --- species by IUCN category and by group ---------------------------------------------------


def iucn_label(code: str, lang: str) -> str:
    """'Endangered (EN)' / '濒危（EN）'."""
    return (
        f"{t(f'iucn.{code}', lang)}（{code}）"
        if lang == "zh"
        else f"{t(f'iucn.{code}', lang)} ({code})"
    )


def _by_category(species: pd.DataFrame, f: Filters, lang: str) -> Chart:
    """Distinct species per IUCN Red List category, in the Red List's order."""
    counts = stats.protected_species(species, "iucn_category").set_index("iucn_category")
    out = pd.DataFrame({"iucn_category": [c for c in IUCN_CATEGORIES if c in counts.index]})
    out["species"] = out["iucn_category"].map(counts["species"]).astype(int)
    out["label"] = [iucn_label(c, lang) for c in out["iucn_category"]]
    out["hover"] = [f"{lab}<br>{fmt.quantity(n, 'unit.species', lang)}"
                    for lab, n in zip(out["label"], out["species"], strict=True)]  # fmt: skip
    draw = None
    if len(out):
        draw = partial(
            charts.bars,
            out, category="label", value="species", hover="hover",
            value_title=t("unit.species", lang),
            color=[charts.IUCN_COLORS[c] for c in out["iucn_category"]],
        )  # fmt: skip
    insight = t("insight.iucn", lang, pct=fmt.percent(stats.threatened_share(species), lang))
    frame = pd.DataFrame({
        t("col.iucn", lang): out["label"], t("col.species_count", lang): out["species"],
    })  # fmt: skip
    return Chart("species-iucn", t("species.by_category", lang), insight, draw, frame,
                 empty_text("species.empty_species", f, lang))  # fmt: skip


def _by_group(species: pd.DataFrame, f: Filters, lang: str) -> Chart:
    """Distinct species per taxon group, largest first ('Not given' where a row has none)."""
    rows = species.assign(taxon_group=species["taxon_group"].fillna("unknown"))
    out = stats.protected_species(rows, "taxon_group")
    out = out.sort_values(["species", "taxon_group"], ascending=[False, True])
    out["label"] = [words.vocab("taxon", g, lang) for g in out["taxon_group"]]
    out["hover"] = [f"{lab}<br>{fmt.quantity(n, 'unit.species', lang)}"
                    for lab, n in zip(out["label"], out["species"], strict=True)]  # fmt: skip
    draw, insight = None, ""
    known = out[out["taxon_group"] != "unknown"]
    if len(known):
        draw = partial(
            charts.bars,
            out,
            category="label",
            value="species",
            hover="hover",
            value_title=t("unit.species", lang),
            color=charts.OKABE_ITO[4],
        )
        top = known.iloc[0]
        insight = t("insight.taxa", lang, group=top["label"],
                    pct=fmt.percent(top["species"] / out["species"].sum(), lang))  # fmt: skip
    frame = pd.DataFrame({
        t("col.taxon", lang): out["label"], t("col.species_count", lang): out["species"],
    })  # fmt: skip
    # With no group given for any species there is nothing to compare: say so, draw nothing.
    empty = (
        t("species.no_groups", lang) if len(out) else empty_text("species.empty_species", f, lang)
    )
    return Chart("species-taxa", t("species.by_group", lang), insight, draw, frame, empty)


# --- the threatened species ------------------------------------------------------------------


def common_name(rows: pd.DataFrame, lang: str) -> pd.Series:
    """The name a reader knows a species by: the Chinese common name in Chinese (when the data
    has one), else the English common name, else the scientific name — never blank."""
    choices = ["common_name_zh", "common_name"] if lang == "zh" else ["common_name"]
    out = rows["scientific_name"].astype(str)
    for col in reversed(choices):
        if col in rows:
            given = rows[col].where(rows[col].astype(str).str.strip().ne("") & rows[col].notna())
            out = given.fillna(out)
    return out.astype(str)


def _threatened(species: pd.DataFrame, area_names: dict[str, str], f: Filters, lang: str
                ) -> Table:  # fmt: skip
    """Threatened species (CR, EN, VU), most threatened first, with the areas that record them."""
    rows = species[species["iucn_category"].isin(THREATENED_CATEGORIES)].copy()
    rows["name"] = common_name(rows, lang)
    rows["area"] = [area_names.get(a) or a for a in rows["area_id"]]
    join = "、" if lang == "zh" else ", "
    columns = ["scientific_name", "name", "iucn_category", "taxon_group", "areas", "count_areas",
               "first_area", "last_observed_on"]  # fmt: skip
    grouped = pd.DataFrame(columns=columns)
    if len(rows):
        grouped = rows.groupby("scientific_name", as_index=False).agg(
            name=("name", "first"),
            iucn_category=("iucn_category", "first"),
            taxon_group=("taxon_group", "first"),
            areas=("area", lambda a: join.join(sorted(set(a)))),
            count_areas=("area", "nunique"),
            first_area=("area", "min"),
            last_observed_on=("last_observed_on", "max"),
        )
    grouped["rank"] = grouped["iucn_category"].map({c: i for i, c in
                                                    enumerate(THREATENED_CATEGORIES)})  # fmt: skip
    grouped["order"] = grouped["name"].str.casefold()
    grouped = grouped.sort_values(["rank", "order"]).reset_index(drop=True)
    keys = ("species", "scientific_name", "iucn", "taxon", "recorded_in", "areas", "last_observed")
    header = {k: t(f"col.{k}", lang) for k in keys}
    frame = pd.DataFrame({
        header["species"]: grouped["name"],
        header["scientific_name"]: grouped["scientific_name"],
        header["iucn"]: [iucn_label(c, lang) for c in grouped["iucn_category"]],
        header["taxon"]: [words.vocab("taxon", g, lang) if isinstance(g, str) and g else
                          t("taxon.unknown", lang) for g in grouped["taxon_group"]],
        # The table names the one area, or counts them; the CSV lists them all.
        header["recorded_in"]: [a if n == 1 else fmt.quantity(n, "unit.areas", lang) for a, n in
                                zip(grouped["first_area"], grouped["count_areas"], strict=True)],
        header["areas"]: grouped["areas"],
        header["last_observed"]: [words.day_words(pd.Timestamp(d).date(), lang)
                                  if pd.notna(d) else "–" for d in grouped["last_observed_on"]],
    })  # fmt: skip
    n = len(frame)
    intro = t("insight.threatened_one" if n == 1 else "insight.threatened", lang,
              n=fmt.number(n, lang))  # fmt: skip
    return Table(
        name="threatened-species",
        title=t("species.threatened_list", lang),
        intro=intro,
        # Room at 1440 px for the name a reader knows; the CSV keeps the scientific name and
        # every area's name.
        frame=frame.drop(columns=[header["scientific_name"], header["areas"]]),
        csv=frame,
        empty=empty_text("species.empty_threatened", f, lang),
        kinds={header["species"]: "text", header["scientific_name"]: "text",
               header["iucn"]: "text", header["taxon"]: "text", header["recorded_in"]: "text",
               header["last_observed"]: "text"},
        phone=(header["species"], header["iucn"]),
        height=420 if n > 10 else None,
    )  # fmt: skip


def _gap(lang: str) -> str:
    """Between two sentences: a space in English, nothing after Chinese full stops."""
    return "" if lang == "zh" else " "
