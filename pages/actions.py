"""Actions (program managers): which actions, regions and partner brands drive energy and carbon."""

import streamlit as st

from greenstats import charts, fmt, geo, stats, ui, views
from greenstats.contract import K_ANONYMITY

f, applies = ui.page_filters()
lang = ui.lang()
ui.page_header("page.actions", f, applies)

s = ui.query("page_summary", f)
with st.container(key="kpis"):
    cols = st.columns(4)
    ui.kpi(
        cols[0],
        "kpi.actions",
        fmt.compact_quantity(s["actions"], "unit.actions", lang),
        help_text=ui.tr("help.exact", value=fmt.quantity(s["actions"], "unit.actions", lang)),
    )
    ui.kpi(
        cols[1],
        "kpi.energy",
        fmt.compact_quantity(s["energy_issued_g"], "unit.g", lang),
        help_text=ui.tr(
            "help.exact", value=fmt.quantity(s["energy_issued_g"], "unit.g_energy", lang)
        ),
    )
    ui.carbon_kpi(cols[2], "kpi.co2e", s, "co2e_avoided_kg", "help.co2e")
    ui.kpi(cols[3], "kpi.brands", fmt.number(s["brands"], lang), help_text=ui.tr("help.brands"))

auto = views.trend_grain(f.date_from, f.date_to, *ui.data_days())
grain = st.segmented_control(
    ui.tr("actions.grain"),
    ["day", "week", "month"],
    default=auto,
    key="grain",
    bind="query-params",
    format_func=lambda g: ui.tr(f"grain.by_{g}"),
    required=True,
)
ref_actions = ui.query("reference_frames", f)[0]
categories = {c: ui.vocab("category", c) for c in ref_actions["category"].unique()}
action_names = ui.names("actions")

series = views.by_time_and(
    ui.query("carbon_series", f, grain, ("category",)), "category", categories, grain, lang
)
left, right = st.columns(2, gap="large")
with left:
    fig = (
        charts.stacked_bars(
            series,
            x="period",
            y="co2e_t",
            color="category",
            labels=categories,
            hover="hover_carbon",
            y_title=ui.tr("unit.t_co2e"),
            colors=charts.CATEGORY_COLORS,
        )
        if len(series)
        else None
    )
    ui.chart_block(
        ui.tr("actions.carbon_over_time"),
        views.share_insight(series, "category", categories, "co2e_avoided_kg", lang),
        fig,
        series.drop(columns=["hover_carbon", "hover_energy"]),
        "actions-carbon",
        empty=ui.tr("empty.actions"),
    )
with right:
    energy = series.assign(energy_kg=series["energy_g"] / 1000.0)
    fig = (
        charts.stacked_bars(
            energy,
            x="period",
            y="energy_kg",
            color="category",
            labels=categories,
            hover="hover_energy",
            y_title=ui.tr("unit.kg_energy"),
            colors=charts.CATEGORY_COLORS,
        )
        if len(energy)
        else None
    )
    ui.chart_block(
        ui.tr("actions.energy_over_time"),
        views.share_insight(series, "category", categories, "energy_g", lang),
        fig,
        energy.drop(columns=["hover_carbon", "hover_energy"]),
        "actions-energy",
        empty=ui.tr("empty.actions"),
    )

by_action = ui.query("carbon_series", f, None, ("action",))
shares, insight = views.energy_vs_carbon(
    stats.energy_vs_carbon_share(by_action, ref_actions), action_names, lang
)
fig = (
    charts.grouped_bars(
        shares,
        category="label",
        series=[
            ("energy_share", ui.tr("actions.energy_share"), charts.OKABE_ITO[1], "hover_energy"),
            ("carbon_share", ui.tr("actions.carbon_share"), charts.OKABE_ITO[2], "hover_carbon"),
        ],
        value_title=ui.tr("unit.share"),
    )
    if len(shares)
    else None
)
if fig is not None:
    fig.update_xaxes(tickformat=".0%")
ui.chart_block(
    ui.tr("actions.shares"),
    insight,
    fig,
    shares.drop(columns=["hover_energy", "hover_carbon"]),
    "actions-shares",
    empty=ui.tr("empty.actions"),
)

left, right = st.columns(2, gap="large")
with left:
    regions = views.regions_map(
        ui.query("carbon_series", f, None, ("region",)), geo.regions(), lang
    )
    fig = (
        charts.sites_map(
            regions,
            size="co2e_t",
            color="kind",
            labels={"region": ui.tr("kpi.co2e")},
            colors={"region": charts.OKABE_ITO[2]},
            hover="hover",
            height=380,
        )
        if len(regions)
        else None
    )
    top = regions.iloc[0] if len(regions) else None
    insight = (
        ui.tr(
            "insight.top_region",
            name=top["name"],
            pct=views.fmt.percent(top["co2e_t"] / regions["co2e_t"].sum(), lang),
        )
        if top is not None
        else ""
    )
    ui.chart_block(
        ui.tr("actions.by_region"),
        insight,
        fig,
        regions.drop(columns=["hover", "kind"]),
        "actions-regions",
        empty=ui.tr("empty.actions"),
    )
with right:
    brands, insight = views.brands(ui.query("carbon_series", f, None, ("brand_id",)), 10, lang)
    fig = (
        charts.bars(
            brands,
            category="brand_id",
            value="co2e_t",
            hover="hover",
            value_title=ui.tr("unit.t_co2e"),
            color=charts.OKABE_ITO[0],
        )
        if len(brands)
        else None
    )
    ui.chart_block(
        ui.tr("actions.by_brand"),
        insight,
        fig,
        brands.drop(columns=["hover"]),
        "actions-brands",
        empty=ui.tr("empty.brands"),
    )

cohort_grain = "month" if grain == "month" or auto == "month" else grain
users = ui.query("users_series", f, cohort_grain)
cohorts, insight = views.cohorts(users, cohort_grain, lang, K_ANONYMITY)
fig = (
    charts.stacked_bars(
        cohorts,
        x="period",
        y="users",
        color="kind",
        labels={"new": ui.tr("users.new"), "returning": ui.tr("users.returning")},
        hover="hover",
        y_title=ui.tr("unit.users"),
        colors={"new": charts.OKABE_ITO[1], "returning": charts.OKABE_ITO[0]},
    )
    if len(cohorts)
    else None
)
ui.chart_block(
    ui.tr("actions.cohorts"),
    insight,
    fig,
    cohorts[["period", "kind", "users_shown"]] if len(cohorts) else cohorts,
    "actions-users",
    empty=ui.tr("empty.actions"),
)
notes = [views.users_note(users, lang, K_ANONYMITY)]
if f.actions or f.brands:
    notes.append(ui.tr("actions.users_all_actions"))
st.caption(" ".join(notes))
