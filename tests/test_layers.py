"""The folders are the layers, in the order data flows: `data` (files → snapshot), `metrics`
(snapshot → numbers), `ui` (how numbers read and are drawn), `screens` (one module per page),
`reports` (the screens' blocks laid out as PDFs), and on top the command line and the Streamlit
app. Nothing reaches back up; only the frame imports Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "greenstats"
#: Each layer may import itself and the layers before it, never one after it.
LAYERS = ("data", "metrics", "ui", "screens", "reports")
#: The modules above every layer: they wire the layers together.
TOP = ("__init__", "__main__", "cli")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every module a file imports (at the top or inside a function), by its full name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            # `from greenstats.ui import fmt` imports the module greenstats.ui.fmt
            found |= {f"{node.module}.{a.name}" for a in node.names
                      if f"{node.module}.{a.name}" in MODULES}  # fmt: skip
    return found


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS)  # the package itself
    if parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    assert parts[1] in TOP, f"{module} is in no layer: put it in one of {LAYERS}"
    return len(LAYERS)


def test_the_package_top_holds_only_the_wiring() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= set(TOP), sorted(top - set(TOP))
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {*LAYERS, "cli"}  # the command line: a module per group of commands


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_layer_above_its_own(module: str) -> None:
    own = _layer(module)
    above = sorted(
        m for m in _imports(MODULES[module]) if m.startswith("greenstats.") and _layer(m) > own
    )
    assert above == [], f"{module} ({LAYERS[own] if own < len(LAYERS) else 'top'}) imports {above}"


#: The two edges where Streamlit is used: the pages' (the frame, a package of its parts) and
#: the web server's (the guard in front of the files, which reads Streamlit's sign-in cookie
#: and secrets).
FRAME = "greenstats.ui.frame"
STREAMLIT_EDGES = {FRAME, "greenstats.ui.server"}


def _edge(module: str) -> str | None:
    """The edge a module is part of (the frame's parts are the frame's), if any."""
    return next((e for e in STREAMLIT_EDGES if module == e or module.startswith(f"{e}.")), None)


def _streamlit(module: str) -> set[str]:
    return {m for m in _imports(MODULES[module]) if m.split(".")[0] == "streamlit"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_the_frame_and_the_server_import_streamlit(module: str) -> None:
    if _edge(module) is None:
        assert _streamlit(module) == set(), f"{module} imports {sorted(_streamlit(module))}"


@pytest.mark.parametrize("edge", sorted(STREAMLIT_EDGES))
def test_the_edges_are_where_streamlit_is_used(edge: str) -> None:
    assert any(_streamlit(m) for m in MODULES if _edge(m) == edge), f"{edge} uses no Streamlit"


def test_screens_never_draw_themselves() -> None:
    """A screen returns what a page shows; the page draws it through the frame."""
    for module, path in MODULES.items():
        if module.startswith("greenstats.screens"):
            assert not {m for m in _imports(path) if _edge(m) == FRAME}, module


def test_pages_reach_the_data_only_through_screens_and_the_frame() -> None:
    """A page file imports the frame, its screen and the reports (whose functions it hands to
    the frame's data door like a screen's `load`), never a query, the stats or DuckDB."""
    allowed = {"greenstats.ui", "greenstats.ui.frame", "greenstats.screens", "greenstats.reports"}
    for page in [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py"))]:
        ours = {m for m in _imports(page) if m.split(".")[0] in ("greenstats", "duckdb")}
        reached = {m for m in ours if not any(
            m == a or m.startswith(("greenstats.screens.", "greenstats.reports.")) for a in allowed
        )}  # fmt: skip
        assert reached == set(), (page.name, sorted(reached))
