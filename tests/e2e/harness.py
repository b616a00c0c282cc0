"""The end-to-end harness: a Streamlit server on a free loopback port, Debian's Chromium, waiting
until Streamlit has finished, and the checks every page must pass.

Each check raises AssertionError with what a reader would see, so the same functions serve the
product's tests and the harness's own tests (against tests/e2e/broken_app, where each must fail).
"""

from __future__ import annotations

import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, WebError, WebSocket
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SCRIPT_TIMEOUT_MS = 120_000  # a first run on 2 cores reads the snapshot and fills the caches
CHARTS_TIMEOUT_MS = 30_000


# --- the browser ------------------------------------------------------------------------------


def require_chromium(path: Path = CHROMIUM, ci: bool | None = None) -> Path:
    """The browser, or a skip with the reason; on CI (CI=true) a missing browser fails."""
    if ci is None:
        ci = os.environ.get("CI", "").strip().lower() == "true"
    if path.is_file() and os.access(path, os.X_OK):
        return path
    reason = (
        f"end-to-end tests need Debian's Chromium at {path}, which is not installed "
        "(apt-get install chromium; never `playwright install`)"
    )
    if ci:
        pytest.fail(f"{reason}. CI=true: a missing browser is a failure, not a skip.")
    pytest.skip(reason)
    raise AssertionError("unreachable")  # pytest.skip raises


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    log: Path

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def last_error(self, lines: int = 12) -> str:
        """The end of the last traceback the server logged, without colours or frames."""
        text = re.sub(r"\x1b\[[0-9;]*m", "", self.log.read_text(errors="replace"))
        tail = [ln for ln in text.splitlines() if ln.strip() and not set(ln.strip()) <= set("─│")]
        return "\n".join(tail[-lines:])


@contextmanager
def streamlit_server(script: str, env: dict[str, str], timeout: float = 120) -> Iterator[Server]:
    """`streamlit run SCRIPT` headless on a free loopback port (from the project root, so the
    project's .streamlit/config.toml applies); stopped with its whole process group."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])
    command = [
        sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(server, proc, timeout)
        yield server
    finally:
        _stop(proc)


def _wait_healthy(server: Server, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited with {proc.returncode}:\n{server.tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise AssertionError(
        f"streamlit did not answer at {server.url} in {timeout}s:\n{server.tail()}"
    )


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- what the browser did ---------------------------------------------------------------------

# Streamlit's own probe (streamlit/streamlit#7074, open): opened on a page's path (/actions),
# the frontend first asks /actions/_stcore/health and /actions/_stcore/host-config, gets 404,
# then finds the server at /. Chromium logs each 404 as a console error. Only these two URLs,
# on the app's own host, one path segment deep, are forgiven.
_PROBE_404 = "Failed to load resource: the server responded with a status of 404"


@dataclass
class Watch:
    """Everything a browser context logged or asked for, from the moment it is attached."""

    origin: str
    errors: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    also: tuple[str, ...] = ()  # other origins the browser may visit (a sign-in provider)

    def attach(self, context: BrowserContext) -> Watch:
        context.on("console", self._console)
        context.on("weberror", self._weberror)
        context.on("request", lambda r: self.urls.append(r.url))
        context.on("page", self._page)
        for page in context.pages:
            self._page(page)
        return self

    def _page(self, page: Page) -> None:
        page.on("websocket", self._websocket)

    def _websocket(self, ws: WebSocket) -> None:
        self.urls.append(ws.url)

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if msg.text.startswith(_PROBE_404) and re.fullmatch(
            re.escape(self.origin) + r"/[^/?#]+/_stcore/(health|host-config)", where
        ):
            return
        self.errors.append(f"console error: {msg.text} (at {where or 'unknown'})")

    def _weberror(self, error: WebError) -> None:
        self.errors.append(f"uncaught error: {error.error}")

    def reset(self) -> None:
        self.errors.clear()
        self.urls.clear()


def check_console(watch: Watch) -> None:
    """No console error and no uncaught error in any page of the context."""
    assert not watch.errors, "the browser logged errors:\n" + "\n".join(watch.errors)


def check_own_host_only(watch: Watch) -> None:
    """Every request went to the app's own host (http(s) and its websocket) or to one of
    `watch.also` (a sign-in provider on loopback), or was a data: or blob: URL made in the page:
    nothing reaches the internet."""
    own = {urlsplit(origin).netloc for origin in (watch.origin, *watch.also)}
    foreign = []
    for url in watch.urls:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            continue
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc in own:
            continue
        foreign.append(url)
    hosts = ", ".join(sorted(own))
    assert not foreign, f"requests to other hosts than {hosts}:\n" + "\n".join(sorted(set(foreign)))


# --- waiting for Streamlit --------------------------------------------------------------------

_SCRIPT_DONE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-testid="stSkeleton"]')
    && !document.querySelector('[data-stale="true"]');
}"""

_CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
  .every(el => {
  const gd = el.querySelector('.js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd.querySelector('.main-svg')) return false;
  if (!gd._fullLayout.map) return true;
  const sub = gd._fullLayout.map._subplot;
  return !!(sub && sub.map && sub.map.loaded() && !sub.map.isMoving());
})"""


def wait_for_app(page: Page) -> None:
    """Until Streamlit has run the script to the end (connected, not running, no skeleton or
    stale element left) and every Plotly chart has drawn (maps: style loaded, not moving).

    A chart that never draws is not a timeout here: the chart check says which one it is.
    A run that ends by asking for another (`st.rerun`, as a page linked to on a server's
    first request does) is not the end: the script must still be done after the last paint."""
    for _ in range(5):
        try:
            page.wait_for_function(_SCRIPT_DONE, timeout=SCRIPT_TIMEOUT_MS, polling=100)
        except PlaywrightTimeout as exc:
            state = page.evaluate(
                "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
                " return a ? [a.getAttribute('data-test-script-state'),"
                " a.getAttribute('data-test-connection-state')] : null; }"
            )
            raise AssertionError(f"Streamlit did not finish running {page.url}: {state}") from exc
        with suppress(PlaywrightTimeout):
            page.wait_for_function(_CHARTS_DRAWN, timeout=CHARTS_TIMEOUT_MS, polling=200)
        page.wait_for_timeout(300)  # one more frame for Plotly's and MapLibre's last paint
        if page.evaluate(_SCRIPT_DONE):
            return


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)


_WATCH_RUNS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__e2eRuns = 0;
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') !== 'notRunning') window.__e2eRuns++;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def rerun_after(page: Page, action: Callable[[], object]) -> None:
    """Do what a reader does (pick an option, click), then wait for the rerun it starts to end."""
    page.evaluate(_WATCH_RUNS)
    action()
    page.wait_for_function("() => window.__e2eRuns > 0", timeout=SCRIPT_TIMEOUT_MS)
    wait_for_app(page)


# --- what the page shows ----------------------------------------------------------------------


def check_no_exception(page: Page, server: Server | None = None) -> None:
    """No Streamlit error box on the page (the server's log says what it was: the page itself
    only says that an error happened, as .streamlit/config.toml hides the details)."""
    boxes = page.locator('[data-testid="stException"]')
    texts = [t.strip().splitlines()[0][:300] for t in boxes.all_inner_texts() if t.strip()]
    if texts and server is not None:
        texts.append("server log:\n" + server.last_error())
    assert not texts, f"{page.url} shows an error:\n" + "\n".join(texts)


_CHARTS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map((el, i) => {
  const gd = el.querySelector('.js-plotly-plot');
  const heading = (() => {  // the subheader just above the chart, to name it in a message
    let block = el.closest('[data-testid="stVerticalBlock"]');
    const hs = block ? [...block.querySelectorAll('h2, h3')] : [];
    const above = hs.filter(h => h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
    return above.length ? above[above.length - 1].innerText : '';
  })();
  const out = {index: i, title: heading, rendered: false};
  if (!gd || !gd._fullLayout) return out;
  const box = gd.getBoundingClientRect();
  out.rendered = !!gd.querySelector('.main-svg') && box.width > 0 && box.height > 0;
  out.size = [Math.round(box.width), Math.round(box.height)];
  // Traces the figure asks to show (Plotly itself hides a trace without data: it counts here).
  const hidden = t => [false, 'legendonly'].includes((gd.data[t.index] || {}).visible);
  const traces = (gd._fullData || []).filter(t => !hidden(t));
  out.traces = traces.map(t => ({
    type: t.type, name: t.name || '', points: t.visible === true ? (t._length ?? 0) : 0,
  }));
  const map = gd._fullLayout.map && gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
  if (gd._fullLayout.map) {
    out.map = {loaded: false};
    if (!map) return out;
    const canvas = map.getCanvas();
    const layers = map.getStyle().layers.map(l => l.id);
    const count = ids =>
      ids.length ? map.queryRenderedFeatures(undefined, {layers: ids}).length : 0;
    const circles = layers.filter(
      id => id.startsWith('plotly-trace-layer-') && id.endsWith('-circle'));
    out.map = {
      loaded: map.loaded(),
      canvas: [canvas.clientWidth, canvas.clientHeight],
      markers: count(circles),
      shapes: count(layers.filter(id => id.startsWith('plotly-layout-layer-'))),
    };
    return out;
  }
  // Cartesian: the marks each trace drew (bars, line and area paths, points, text labels)
  // with a size.
  const sized = p => { const b = p.getBBox(); return b.width > 0 || b.height > 0; };
  const drawn = [...gd.querySelectorAll('.trace')].filter(g => !g.closest('.legend'))
    .map(g => [...g.querySelectorAll('path, .point, .textpoint text')].filter(sized).length);
  out.drawn = drawn;
  return out;
})"""


def charts(page: Page) -> list[dict]:
    """Every Plotly chart on the page: its traces with their points, what it drew."""
    return page.evaluate(_CHARTS)


def check_charts(page: Page, expected: int | None = None) -> list[dict]:
    """Every chart drew its data: each visible trace has points and drew visible marks; a map
    has a canvas of non-zero size, drew its outlines and one marker per point."""
    found = charts(page)
    problems = []
    if expected is not None and len(found) != expected:
        titles = [c["title"] for c in found]
        problems.append(f"expected {expected} charts, the page shows {len(found)}: {titles}")
    for chart in found:
        name = f"chart {chart['index'] + 1} ({chart['title'] or 'untitled'})"
        if not chart["rendered"]:
            problems.append(f"{name} was not drawn")
            continue
        traces = chart.get("traces", [])
        if not traces:
            problems.append(f"{name} has no trace")
        empty = [t["name"] or t["type"] for t in traces if not t["points"]]
        if empty:
            problems.append(f"{name} has traces without data: {empty}")
        if "map" in chart:
            m = chart["map"]
            points = sum(t["points"] for t in traces)
            if not m.get("loaded"):
                problems.append(f"{name}: the map did not load")
            elif min(m["canvas"]) <= 0:
                problems.append(f"{name}: the map canvas is {m['canvas']}")
            elif not m["shapes"]:
                problems.append(f"{name}: the map drew no outlines")
            elif m["markers"] < points or not points:
                problems.append(f"{name}: the map drew {m['markers']} of {points} markers")
        else:
            drawn = chart.get("drawn", [])
            if len(drawn) < len(traces) or not all(drawn):
                problems.append(f"{name}: drawn marks per trace {drawn} for {len(traces)} traces")
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
    return found


_SCROLL = """() => {
  const out = [];
  const se = document.scrollingElement;
  const main = document.querySelector('[data-testid="stMain"]');
  for (const [name, el] of [['document', se], ['stMain', main]]) {
    if (el && el.scrollWidth > el.clientWidth) out.push([name, el.scrollWidth, el.clientWidth]);
  }
  return out;
}"""


def check_no_horizontal_scroll(page: Page) -> None:
    """The page does not scroll sideways: neither the document nor Streamlit's scrolling main
    area ([data-testid=stMain], overflow auto) is wider than the screen."""
    wide = page.evaluate(_SCROLL)
    assert not wide, f"{page.url} scrolls sideways (element, scrollWidth, clientWidth): {wide}"


_METRICS = """() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => {
  const card = m.closest('[data-testid="stVerticalBlock"]');
  const caption = card && card.querySelector('[data-testid="stCaptionContainer"]');
  return {
    label: m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
    value: m.querySelector('[data-testid="stMetricValue"]').innerText.trim(),
    note: caption ? caption.innerText.trim() : '',
  };
})"""


def metrics(page: Page) -> dict[str, dict[str, str]]:
    """The headline cards: label → {value, note} as shown."""
    cards = page.evaluate(_METRICS)
    out = {c["label"]: c for c in cards}
    assert len(out) == len(cards), f"two cards with the same label: {[c['label'] for c in cards]}"
    return out


def metric(page: Page, label: str) -> str:
    cards = metrics(page)
    assert label in cards, f"no card {label!r} on {page.url}: {list(cards)}"
    return cards[label]["value"]


# --- figures as shown -------------------------------------------------------------------------

_SCALES = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12, "万": 1e4, "亿": 1e8}
# Carbon units in tonnes (greenstats.ui.fmt.carbon_unit), longest first so 'kt' wins over 't'.
# 万 and 亿 before 吨 are read as the number's scale.
_CARBON = {"百万吨": 1e6, "千吨": 1e3, "千克": 1e-3, "吨": 1.0, "Mt": 1e6, "kt": 1e3, "kg": 1e-3,
           "t": 1.0}  # fmt: skip
_NUMBER = re.compile(r"(-?[\d,]+(?:\.(\d+))?)\s*([KMBT万亿](?![a-zA-Z]))?")


@dataclass(frozen=True)
class Shown:
    """A figure as a reader sees it: its value and the resolution it is written to."""

    value: float
    step: float

    def matches(self, exact: float) -> bool:
        """True if `exact`, written the way the page writes it, gives what is shown."""
        return abs(exact - self.value) <= self.step / 2 + 1e-9 * max(1.0, abs(exact))


def shown(text: str) -> Shown:
    """'200K actions' → 200,000 ± 500; '1,234.6万' → 12,346,000 ± 500; '0.2 ha' → 0.2 ± 0.05."""
    match = _NUMBER.search(text)
    assert match, f"no number in {text!r}"
    decimals = len(match.group(2) or "")
    scale = _SCALES.get(match.group(3) or "", 1.0)
    value = float(match.group(1).replace(",", "")) * scale
    return Shown(value, 10.0**-decimals * scale)


def shown_tonnes(text: str) -> Shown:
    """A carbon figure in tonnes, whatever unit it is written in ('28.4 t CO₂e', '1.83 kg')."""
    figure = shown(text)
    rest = text[_NUMBER.search(text).end() :].strip()
    unit = next((u for u in _CARBON if rest.startswith(u)), None)
    assert unit, f"no carbon unit in {text!r}"
    return Shown(figure.value * _CARBON[unit], figure.step * _CARBON[unit])


def check_figure(label: str, text: str, exact: float, *, tonnes: bool = False) -> None:
    """The figure shown equals `exact` to the resolution it is written to."""
    seen = shown_tonnes(text) if tonnes else shown(text)
    assert seen.matches(exact), f"{label} shows {text!r}; the summary says {exact!r}"


def check_close(label: str, text: str, exact: float, rel: float) -> None:
    """An estimate shown within `rel` of the exact figure (distinct users: HyperLogLog)."""
    seen = shown(text)
    assert math.isclose(seen.value, exact, rel_tol=rel, abs_tol=seen.step / 2), (
        f"{label} shows {text!r}; the exact figure is {exact!r} (allowed ±{rel:.0%})"
    )


def help_text(page: Page, label: str) -> str:
    """The text a reader sees on hovering a card's (?) icon."""
    page.get_by_role("button", name=f"Help for {label}", exact=True).hover()
    tip = page.get_by_test_id("stTooltipContent")
    tip.wait_for(state="visible")
    text = tip.inner_text().strip()
    page.mouse.move(0, 0)
    tip.wait_for(state="hidden")
    return text
