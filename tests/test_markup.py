"""Text from a link or from the data always shows as text: no markdown link or image, no HTML
in a chart, whatever a partner's names or a shared link hold (issue: hostile input).

The helpers one at a time; tests/test_injection.py sweeps every page with hostile data and
links, and tests/e2e/test_injection.py does so in Chromium."""

from __future__ import annotations

import ast

import plotly.graph_objects as go
import pytest

from greenstats.ui import charts, fmt
from tests.conftest import ROOT
from tests.hostile import HOSTILE, renders_link_or_image

#: Streamlit elements that read markdown: a page uses ui's helpers instead, which escape.
MARKDOWN_ELEMENTS = {"markdown", "caption", "info", "warning", "error", "success", "subheader",
                     "header", "title", "write", "progress", "metric", "toast"}  # fmt: skip


def test_pages_never_hand_text_to_markdown_themselves() -> None:
    for page in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(page.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "st"
            ):
                assert node.func.attr not in MARKDOWN_ELEMENTS, (page.name, node.lineno)


@pytest.mark.parametrize("text", [*HOSTILE, "eve@elsewhere.example", "mailto:a@b.example"])
def test_escaped_text_draws_no_link_image_or_markup(text: str) -> None:
    shown = fmt.escape_md(text)
    assert not renders_link_or_image(shown), shown
    assert "**" not in shown.replace("\\*\\*", "")
    safe = charts.safe_markup(f"<b>{text}</b><br>x")
    assert safe.startswith("<b>")
    assert "<br>" in safe
    assert "<a " not in safe
    assert "<img" not in safe


def test_a_figure_with_hostile_names_is_sanitised_everywhere() -> None:
    fig = go.Figure(go.Bar(x=[1, 2], y=HOSTILE[2:4], name=HOSTILE[2],
                           customdata=[[HOSTILE[2]], [HOSTILE[3]]],
                           hovertemplate="%{customdata[0]}"))  # fmt: skip
    charts.sanitize(fig)
    trace = fig.data[0]
    texts = [trace.name, *trace.y, *[c[0] for c in trace.customdata]]
    assert all("<a " not in t and "<img" not in t for t in texts), texts
