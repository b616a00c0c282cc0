"""A deliberately broken dashboard, for testing the end-to-end harness (never the product).

Each page breaks one thing a reader would notice; "good" breaks nothing. tests/e2e/
test_harness.py runs the product's checks on each and asserts that the right one fails.
"""

import plotly.graph_objects as go
import streamlit as st
import streamlit.components.v1 as components

st.set_page_config(page_title="broken", layout="wide")

# A square "outline" drawn from inline GeoJSON: nothing is fetched, as in the product's maps.
OUTLINE = {
    "type": "Feature",
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[100, 30], [110, 30], [110, 40], [100, 40], [100, 30]]],
    },
}


def a_map(lat: list[float], lon: list[float]) -> go.Figure:
    fig = go.Figure(go.Scattermap(lat=lat, lon=lon, mode="markers", marker={"size": 12}))
    fig.update_layout(
        map={
            "style": "white-bg",
            "center": {"lat": 35, "lon": 105},
            "zoom": 3,
            "layers": [{"sourcetype": "geojson", "source": OUTLINE, "type": "line"}],
        },
        height=320,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
    )
    return fig


def good() -> None:
    st.title("Good")
    st.metric("Trees planted", "1,234 trees")
    st.plotly_chart(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])))
    st.plotly_chart(a_map([34.0, 36.0, 38.0], [104.0, 106.0, 108.0]))


def raises() -> None:
    st.title("Raises")
    raise RuntimeError("deliberately broken page")


def console_error() -> None:
    st.title("Console error")
    st.html(
        "<script>console.error('deliberate console error')</script>",
        unsafe_allow_javascript=True,
    )


def js_error() -> None:
    st.title("Uncaught error")
    components.html("<script>throw new Error('deliberate uncaught error')</script>", height=10)


def external() -> None:
    st.title("External request")
    st.html('<img src="http://example.invalid/x.png" alt="">')


def empty_chart() -> None:
    st.title("Empty chart")
    st.plotly_chart(go.Figure())


def empty_trace() -> None:
    st.title("Empty trace")
    st.plotly_chart(go.Figure(go.Bar(x=[], y=[], name="nothing")))


def blank_map() -> None:
    st.title("Blank map")
    st.plotly_chart(a_map([], []))


def offscreen_map() -> None:
    st.title("Markers off the map")
    st.plotly_chart(a_map([-60.0, -61.0, -62.0], [-120.0, -121.0, -122.0]))


def wide() -> None:
    st.title("Too wide")
    st.html('<div style="width: 1200px; background: #eee">a fixed 1,200 px box</div>')


PAGES = [good, raises, console_error, js_error, external, empty_chart, empty_trace, blank_map,
         offscreen_map, wide]  # fmt: skip
st.navigation(
    [st.Page(p, url_path=p.__name__.replace("_", "-"), default=p is good) for p in PAGES],
    position="hidden",
).run()
