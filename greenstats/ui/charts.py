"""Plotly figure builders: a frame in, a figure out, one template and one palette for all.

The colour of a thing is the same on every page (each habitat, action category, IUCN category);
the palette is Okabe–Ito, which stays distinct for colour-blind readers. Hover text is passed in
already formatted (numbers with units, in the reader's language), so charts never format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from greenstats.ui import fmt, geo

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
GREY = "#9A9A9A"

HABITAT_COLORS = {
    "desert": "#E69F00",
    "forest": "#009E73",
    "grassland": "#56B4E9",
    "coastal": "#0072B2",
}
CATEGORY_COLORS = {
    "mobility": "#0072B2",
    "paperless": "#009E73",
    "consumption": "#D55E00",
    "other": GREY,
}
IUCN_COLORS = {
    "EX": "#000000",
    "EW": "#CC79A7",
    "CR": "#D55E00",
    "EN": "#E69F00",
    "VU": "#F0E442",
    "NT": "#56B4E9",
    "LC": "#009E73",
    "DD": GREY,
    "NE": "#D0D0D0",
}
HORIZON_COLORS = {1: "#56B4E9", 3: "#0072B2", 5: "#000000"}
KIND_COLORS = {"afforestation": "#E69F00", "coastal": "#0072B2", "conservation": "#009E73"}

pio.templates["greenstats"] = go.layout.Template(
    layout=go.Layout(
        colorway=OKABE_ITO,
        font={"family": "Source Sans Pro, Noto Sans CJK SC, sans-serif", "size": 13},
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -0.18,
            "xanchor": "left",
            "x": 0,
            "title": {"text": ""},
        },
        hoverlabel={"font": {"size": 13}},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        # No SI prefixes on ticks (μ on tonnes, k on counts): values come in the unit the axis
        # title names, with thousands separators.
        separators=".,",
        xaxis={
            "gridcolor": "#ECECEC",
            "zeroline": False,
            "automargin": True,
            "exponentformat": "none",
            "separatethousands": True,
        },
        yaxis={
            "exponentformat": "none",
            "separatethousands": True,
            "gridcolor": "#ECECEC",
            "zeroline": True,
            "zerolinecolor": "#BBBBBB",
            "automargin": True,
            "rangemode": "tozero",
        },
    )
)
# Merged once: a "plotly_white+greenstats" string is merged again for every figure (half of
# a small chart's build time).
pio.templates["greenstats_white"] = pio.templates.merge_templates("plotly_white", "greenstats")
TEMPLATE = "greenstats_white"
HEIGHT = 340


def _layout(
    fig: go.Figure, *, y_title: str = "", x_title: str = "", height: int = HEIGHT
) -> go.Figure:
    fig.update_layout(template=TEMPLATE, height=height, hovermode="closest")
    fig.update_yaxes(title_text=y_title)
    fig.update_xaxes(title_text=x_title)
    return fig


def time_band(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    low: str,
    high: str,
    hover: str,
    name: str,
    band_name: str,
    y_title: str,
    color: str = OKABE_ITO[2],
    height: int = HEIGHT,
) -> go.Figure:
    """A series over time with its low–high range as a shaded band."""
    fig = go.Figure()
    fig.add_scatter(
        x=frame[x],
        y=frame[high],
        mode="lines",
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
    )
    fig.add_scatter(
        x=frame[x],
        y=frame[low],
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=_alpha(color, 0.22),
        name=band_name,
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=frame[x],
        y=frame[y],
        mode="lines+markers" if len(frame) <= 12 else "lines",
        line={"color": color, "width": 2.4},
        name=name,
        customdata=frame[[hover]],
        hovertemplate="%{customdata[0]}<extra></extra>",
    )
    return _layout(fig, y_title=y_title, height=height)


#: The only markup greenstats writes into chart text itself: bold and line breaks.
_OWN_TAGS = re.compile(r"(</?b>|<br>)")


def safe_markup(text: object) -> object:
    """Chart text as the characters it holds: Plotly reads a subset of HTML in names, labels and
    hover text (links among it), so every '<' and '&' but those of greenstats' own <b> and
    <br> is written as an entity. Non-text values pass through."""
    if not isinstance(text, str) or ("<" not in text and "&" not in text):
        return text
    parts = _OWN_TAGS.split(text)
    return "".join(
        part if i % 2 else part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for i, part in enumerate(parts)
    )


def _safe_values(values: object) -> object:
    if isinstance(values, str):
        return safe_markup(values)
    if isinstance(values, np.ndarray | list | tuple):
        array = np.asarray(values, dtype=object)
        if any(isinstance(v, str) and ("<" in v or "&" in v) for v in array.ravel()):
            return np.vectorize(safe_markup, otypes=[object])(array)
    return values


def sanitize(fig: go.Figure) -> go.Figure:
    """Every text of a figure that may come from the data (trace names, categories, text,
    hover text and its custom data, annotations, tick labels) made safe with `safe_markup`:
    drawing a figure never turns a name from the data into a link or markup."""
    for trace in fig.data:
        for attr in ("name", "text", "hovertext", "customdata", "x", "y", "labels", "ids"):
            if attr in trace and trace[attr] is not None:
                trace[attr] = _safe_values(trace[attr])
    for note in fig.layout.annotations or ():
        note.text = safe_markup(note.text)
    return fig


def carbon_band(
    frame: pd.DataFrame, name: str, band_name: str, lang: str, *, prefix: str = "co2e_t",
    x: str = "period", hover: str = "hover", color: str = OKABE_ITO[2], height: int = HEIGHT,
    unit: tuple[float, str] | None = None,
) -> go.Figure:  # fmt: skip
    """Carbon in tonnes over time with its range as a band, drawn in the unit that suits its
    size (kg, t, kt …) so ticks never carry μ or k, and the axis names that unit; `unit`
    (tonnes per unit, label) forces one, e.g. the unit of the sentence above the chart."""
    per_unit, unit = unit or fmt.carbon_unit(float(frame[f"{prefix}_high"].abs().max() or 0), lang)
    scaled = frame.assign(**{f"{prefix}{b}": frame[f"{prefix}{b}"] / per_unit
                             for b in ("", "_low", "_high")})  # fmt: skip
    fig = time_band(scaled, x=x, y=prefix, low=f"{prefix}_low", high=f"{prefix}_high",
                    hover=hover, name=name, band_name=band_name, y_title=unit, color=color,
                    height=height)  # fmt: skip
    return localise_dates(fig, lang)


#: Date ticks in Chinese, by zoom: 2026年1月3日, 2026年1月, 2026年 (d3 time formats).
_ZH_DATE_STOPS = [
    {"dtickrange": [None, 86_400_000 * 27], "value": "%-m月%-d日\n%Y年"},
    {"dtickrange": [86_400_000 * 27, 86_400_000 * 360], "value": "%Y年%-m月"},
    {"dtickrange": [86_400_000 * 360, None], "value": "%Y年"},
]


def localise_dates(fig: go.Figure, lang: str) -> go.Figure:
    """Date axes in the reader's language ('Jan 2026' in English, '2026年1月' in Chinese)."""
    if lang == "zh":
        fig.update_xaxes(tickformatstops=_ZH_DATE_STOPS)
    return fig


def stacked_bars(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    color: str,
    labels: dict[str, str],
    hover: str,
    y_title: str,
    colors: dict[str, str] | None = None,
    horizontal: bool = False,
    order: Sequence[str] | None = None,
) -> go.Figure:
    """Bars split by a category (stacked), e.g. carbon by action category over time."""
    fig = go.Figure()
    keys = list(order) if order is not None else list(dict.fromkeys(frame[color]))
    for i, key in enumerate(keys):
        part = frame[frame[color] == key]
        if part.empty:
            continue
        marker = (colors or {}).get(key, OKABE_ITO[i % len(OKABE_ITO)])
        args = (
            {"y": part[x], "x": part[y], "orientation": "h"}
            if horizontal
            else {"x": part[x], "y": part[y]}
        )
        fig.add_bar(
            **args,
            name=labels.get(key, str(key)),
            marker_color=marker,
            customdata=part[[hover]],
            hovertemplate="%{customdata[0]}<extra></extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.15)
    if horizontal:
        fig.update_yaxes(autorange="reversed", rangemode="normal")
        fig.update_xaxes(rangemode="tozero")
        return _layout(fig, x_title=y_title, height=max(HEIGHT, 26 * frame[x].nunique() + 80))
    return _layout(fig, y_title=y_title)


def bars(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    hover: str,
    value_title: str,
    color: str | Sequence[str] = OKABE_ITO[0],
) -> go.Figure:
    """One bar per category, largest first, horizontal (so long names fit)."""
    fig = go.Figure()
    fig.add_bar(
        y=frame[category],
        x=frame[value],
        orientation="h",
        marker_color=color,
        customdata=frame[[hover]],
        hovertemplate="%{customdata[0]}<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", rangemode="normal", type="category")
    return _layout(fig, x_title=value_title, height=max(220, 26 * len(frame) + 70))


def grouped_bars(
    frame: pd.DataFrame,
    *,
    category: str,
    series: Sequence[tuple[str, str, str, str]],
    value_title: str,
) -> go.Figure:
    """Several measures side by side per category, upright: series = (column, label, colour,
    hover)."""
    fig = go.Figure()
    for col, label, colour, hover in series:
        fig.add_bar(
            x=frame[category],
            y=frame[col],
            name=label,
            marker_color=colour,
            customdata=frame[[hover]],
            hovertemplate="%{customdata[0]}<extra></extra>",
        )
    fig.update_layout(barmode="group", bargap=0.2, bargroupgap=0.05)
    fig.update_xaxes(type="category")
    return _layout(fig, y_title=value_title)


def lines(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    color: str,
    labels: dict,
    hover: str,
    y_title: str,
    colors: dict | None = None,
    markers: bool = True,
) -> go.Figure:
    """One line per category, e.g. new and returning users, or survival by horizon."""
    fig = go.Figure()
    for i, key in enumerate(dict.fromkeys(frame[color])):
        part = frame[frame[color] == key]
        fig.add_scatter(
            x=part[x],
            y=part[y],
            mode="lines+markers" if markers else "lines",
            name=labels.get(key, str(key)),
            line={"color": (colors or {}).get(key, OKABE_ITO[i % len(OKABE_ITO)]), "width": 2.2},
            customdata=part[[hover]],
            hovertemplate="%{customdata[0]}<extra></extra>",
        )
    return _layout(fig, y_title=y_title)


def marker_size(values: pd.Series | float, biggest: float) -> pd.Series | float:
    """A site's point diameter in pixels: its area grows with the value (7 px to 33 px)."""
    share = (values.clip(lower=0) if isinstance(values, pd.Series) else max(values, 0.0)) / (
        biggest or 1.0
    )
    return 7 + 26 * share**0.5


def size_steps(values: pd.Series) -> list[float]:
    """Round values for a map's size legend: the largest 1-2-5 number not above the biggest
    value, and a tenth and a hundredth of it while the smallest site is that small."""
    positive = values[values > 0]
    if positive.empty:
        return []
    biggest, smallest = float(positive.max()), float(positive.min())
    power = 10 ** math.floor(math.log10(biggest))
    top = max(m * power for m in (1, 2, 5) if m * power <= biggest)
    return [s for s in (top, top / 10, top / 100) if s == top or s >= smallest * 0.5]


def _size_legend(fig: go.Figure, steps: Sequence[tuple[float, str]], biggest: float) -> None:
    """Circles of the sizes the points have for round values, with their words, in the
    bottom right corner (shapes and annotations in pixels: nothing to fetch)."""
    diameters = [float(marker_size(v, biggest)) for v, _ in steps]
    widest = max(diameters)
    bottom = 10.0
    for (_, words), d in zip(steps, diameters, strict=True):
        centre = bottom + widest / 2
        fig.add_shape(
            type="circle", xref="paper", yref="paper", xsizemode="pixel", ysizemode="pixel",
            xanchor=1, yanchor=0, x0=-10 - widest / 2 - d / 2, x1=-10 - widest / 2 + d / 2,
            y0=centre - d / 2, y1=centre + d / 2, line={"color": "#555555", "width": 1},
            fillcolor="rgba(154,154,154,0.35)", layer="above",
        )  # fmt: skip
        fig.add_annotation(
            x=1, y=0, xref="paper", yref="paper", xanchor="right", yanchor="middle",
            xshift=-16 - widest, yshift=centre, text=words, showarrow=False,
            font={"size": 12, "color": "#333333"}, bgcolor="rgba(255,255,255,0.8)",
        )  # fmt: skip
        bottom += widest + 6


def sites_map(
    frame: pd.DataFrame,
    *,
    lat: str = "lat",
    lon: str = "lon",
    size: str,
    color: str,
    labels: dict[str, str],
    colors: dict[str, str],
    hover: str,
    height: int = 420,
    provinces: bool = True,
    min_span: float = 2.0,
    size_legend: Sequence[tuple[float, str]] = (),
) -> go.Figure:
    """Sites as points sized by a measure and coloured by kind, on shipped country outlines
    and (`provinces`) the lines between China's provinces, in a view fitted to the points
    (at least `min_span` degrees wide). `size_legend` gives round values of the measure and
    their words (see `size_steps`) to draw as a size key.

    `scatter_map` with the white-bg style and GeoJSON line layers: no tile, font or sprite is
    fetched, so the map renders with no internet (and so text labels, which need fonts, are
    not drawn on the map).
    """
    fig = go.Figure()
    biggest = float(frame[size].max()) if len(frame) else 1.0
    for key in dict.fromkeys(frame[color]):
        part = frame[frame[color] == key]
        fig.add_scattermap(
            lat=part[lat],
            lon=part[lon],
            mode="markers",
            name=labels.get(key, str(key)),
            marker={
                "size": marker_size(part[size], biggest),
                "color": colors.get(key, GREY),
                "opacity": 0.78,
            },
            customdata=part[[hover]],
            hovertemplate="%{customdata[0]}<extra></extra>",
        )
    center, zoom = (
        geo.fit(frame[lat], frame[lon], min_span=min_span)
        if len(frame)
        else geo.fit(pd.Series(), pd.Series())
    )
    layers = [
        {
            "source": geo.outlines(),
            "type": "line",
            "color": "#8A8A8A",
            "line": {"width": 0.8},
            "below": "traces",
        }
    ]
    if provinces:
        layers.insert(
            0,
            {
                "source": geo.provinces(),
                "type": "line",
                "color": "#C4C4C4",
                "line": {"width": 0.6},
                "below": "traces",
            },
        )
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        map={"style": "white-bg", "center": center, "zoom": zoom, "layers": layers},
        legend={
            "orientation": "h",
            "y": 0.0,
            "yanchor": "bottom",
            "x": 0.01,
            "bgcolor": "rgba(255,255,255,0.8)",
        },
    )
    if size_legend and len(frame):
        _size_legend(fig, size_legend, biggest)
    return fig


def _alpha(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def top_n(frame: pd.DataFrame, key: str, value: str, n: int, other_label: str) -> pd.DataFrame:
    """The n largest rows by value, the rest summed into one 'Other' row (parts still sum up)."""
    ordered = frame.sort_values(value, ascending=False)
    head, rest = ordered.head(n), ordered.iloc[n:]
    if rest.empty:
        return head.reset_index(drop=True)
    numeric = rest.select_dtypes("number").sum()
    other = {col: numeric.get(col, other_label) for col in frame.columns}
    other[key] = other_label
    return pd.concat([head, pd.DataFrame([other])], ignore_index=True)


def bars_with_range(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    low: str,
    high: str,
    hover: str,
    value_title: str,
    color: str = OKABE_ITO[0],
) -> go.Figure:
    """Horizontal bars of a central value with its low–high range drawn as a whisker."""
    fig = go.Figure()
    fig.add_bar(
        y=frame[category],
        x=frame[value],
        orientation="h",
        marker_color=color,
        error_x={
            "type": "data",
            "symmetric": False,
            "array": frame[high] - frame[value],
            "arrayminus": frame[value] - frame[low],
            "color": "#555555",
            "thickness": 1.4,
            "width": 6,
        },
        customdata=frame[[hover]],
        hovertemplate="%{customdata[0]}<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", rangemode="normal", type="category")
    return _layout(fig, x_title=value_title, height=max(220, 30 * len(frame) + 80))


def labelled_bars(
    frame: pd.DataFrame,
    *,
    category: str,
    series: Sequence[tuple[str, str, str | Sequence[str], str]],
    value_title: str,
    tickformat: str = "",
) -> go.Figure:
    """Horizontal bars with each category's name written above its bars, not beside them, so
    on a phone the bars get the whole width however long the names are.

    series = (column, legend label, colour or one colour per row, hover column); several
    series are drawn side by side under one name (a legend names them).
    """

    step = len(series) + 1.2  # per category: a slot for its name, then one per series
    rows = range(len(frame))
    fig = go.Figure()
    for j, (col, label, colour, hover) in enumerate(series):
        fig.add_bar(
            y=[i * step + 1.2 + j for i in rows],
            x=frame[col],
            orientation="h",
            width=0.82,
            name=label,
            showlegend=len(series) > 1,
            marker_color=colour,
            customdata=frame[[hover]],
            hovertemplate="%{customdata[0]}<extra></extra>",
        )
    fig.add_scatter(  # the names, from the bars' zero line: one text trace, not n annotations
        x=[0] * len(frame), y=[i * step + 0.35 for i in rows], mode="text",
        text=[str(n) for n in frame[category]], textposition="middle right",
        textfont={"size": 13}, hoverinfo="skip", showlegend=False, cliponaxis=False,
    )  # fmt: skip
    # A tall chart: its legend above the bars, where it is read first.
    fig.update_layout(barmode="overlay", legend={"y": 1.0, "yanchor": "bottom"})
    fig.update_yaxes(
        range=[len(frame) * step - 0.6, -0.4], showticklabels=False, showgrid=False,
        zeroline=False, rangemode="normal", fixedrange=True,
    )  # fmt: skip
    if tickformat:
        fig.update_xaxes(tickformat=tickformat)
    fig.update_xaxes(rangemode="tozero")
    return _layout(fig, x_title=value_title, height=int(22 * len(frame) * step) + 110)


#: Each time bucket's step and its date label (d3 formats), per language, for short series.
_BUCKET_STEPS = {"day": 86_400_000, "week": 7 * 86_400_000, "month": "M1"}
_BUCKET_FORMATS = {
    ("en", "day"): "%-d %b\n%Y", ("en", "week"): "%-d %b\n%Y", ("en", "month"): "%b %Y",
    ("zh", "day"): "%-m月%-d日\n%Y年", ("zh", "week"): "%-m月%-d日\n%Y年",
    ("zh", "month"): "%Y年%-m月",
}  # fmt: skip


def time_ticks(fig: go.Figure, grain: str, periods: pd.Series, lang: str) -> go.Figure:
    """Date ticks for bars of one day, week or month: a few bars get one tick each at their
    start (not hours or weeks inside a bucket); many keep Plotly's ticks, in the reader's
    language."""
    starts = pd.to_datetime(pd.Series(periods)).drop_duplicates()
    if 0 < len(starts) <= 8 and grain in _BUCKET_STEPS:
        fig.update_xaxes(
            tick0=starts.min(), dtick=_BUCKET_STEPS[grain],
            tickformat=_BUCKET_FORMATS.get((lang, grain), _BUCKET_FORMATS[("en", grain)]),
        )  # fmt: skip
        return fig
    return localise_dates(fig, lang)
