"""Text from a link or from the data always shows as text: no markdown link or image, no HTML
in a chart, whatever a partner's names or a shared link hold (issue: hostile input)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from greenstats.data.pipeline import ingest_folder
from greenstats.ui import charts, fmt
from tests import handbuilt
from tests.conftest import ROOT

HOSTILE = [
    "[Click here to re-login](http://198.51.100.7/x)",
    "![x](http://198.51.100.7/x.png)",
    '<a href="http://198.51.100.7/">Alxa</a>',
    "<img src=http://198.51.100.7/i.png>",
    "'; DROP TABLE actions; --",
    '=HYPERLINK("http://198.51.100.7","x")',
    ":red[alarm] :material/warning: **bold** $x^2$",
]

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


def _renders_link_or_image(markdown: str) -> bool:
    """Whether markdown would draw a link or an image: an unescaped '](' or '<a' / '<img'."""
    link = re.search(r"(?<!\\)\]\(|(?<!\\)<(a|img)\b|https?://|www\.", markdown)
    return bool(link)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_draws_no_link_image_or_markup(text: str) -> None:
    shown = fmt.escape_md(text)
    assert not _renders_link_or_image(shown), shown
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


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-built data with a hostile name in every text a page shows."""
    root = tmp_path_factory.mktemp("hostile")
    folder = handbuilt.write(root / "input")
    projects = (folder / "projects.csv").read_text()
    projects = projects.replace("Alxa saxaul belt", f'"{HOSTILE[2]}"')
    projects = projects.replace("Desert Green", f'"{HOSTILE[0]}"')
    (folder / "projects.csv").write_text(projects)
    areas = (folder / "protected_areas.csv").read_text().replace("Guanba reserve", HOSTILE[1])
    (folder / "protected_areas.csv").write_text(areas)
    species = (folder / "area_species.csv").read_text()
    (folder / "area_species.csv").write_text(species.replace("Giant panda", HOSTILE[6]))
    db = root / "wh"
    ingest_folder(folder, db, handbuilt.REFERENCE_MIN)
    return db


def _markdown_shown(at: AppTest) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "info", "subheader", "title"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [str(m.label) for m in at.metric]
    return out


@pytest.mark.parametrize("page", ["overview", "trees", "species", "projects", "funnel"])
def test_hostile_names_and_link_values_show_as_text(
    hostile_db: Path, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENSTATS_DB", str(hostile_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["period"] = "All time"
    at.query_params["region"] = HOSTILE[0]  # not a region: named in the notice, as text
    at.query_params["to"] = HOSTILE[1]
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception[0].message
    shown = _markdown_shown(at)
    assert any("198.51.100.7" in s for s in shown) or page != "overview"
    for text in shown:
        assert not _renders_link_or_image(text), (page, text)
