"""First start: when no warehouse exists, the seeded demo data set is generated and loaded into
it, once, in a thread of its own. The server starts that build when it starts (app.py), and
says so in the terminal; a page opened meanwhile shows the same build's progress
(greenstats/ui/frame/chrome.py, ensure_warehouse) and never starts a second one."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from greenstats.data.warehouse import Snapshot, Warehouse, WarehouseBusyError, WarehouseError

#: Size of the demo data set built on first start (GREENSTATS_DEMO_EVENTS overrides it).
DEFAULT_DEMO_EVENTS = 10_000_000
DEMO_SEED = 42

#: Where each stage ends on the progress bar, from first starts of the 10M-event demo measured
#: on 2 cores (bench/first_start.py prints when the page first showed each stage): generating
#: took about a fifth of the build, loading three fifths, computing the figures the rest.
GENERATE_END = 0.2
LOAD_END = 0.8

_log = logging.getLogger("greenstats.bootstrap")


def demo_events() -> int:
    """How many action events the first-start demo has."""
    return int(os.environ.get("GREENSTATS_DEMO_EVENTS", DEFAULT_DEMO_EVENTS))


@dataclass(frozen=True)
class Progress:
    """Where a demo build is, for a page or a terminal to put in words (no file or model name):

    - `generate`: `done` of `total` action events generated;
    - `load`: `done` of `total` input files loaded into the warehouse;
    - `compute`: the figures computed up to `month` ('2024-10'; None before the first);
    - `ready`: published.

    `share` is the part of the whole build done, 0 to 1."""

    stage: str
    share: float
    done: int = 0
    total: int = 0
    month: str | None = None


def demo_years() -> tuple[int, int]:
    """The first and last year of the demo's activity."""
    from greenstats.data.demo import DEMO_END, DEMO_START

    return DEMO_START.year, DEMO_END.year


def progress_words(p: Progress) -> str:
    """A build's progress in English, for the terminal: stages, never files or models."""
    if p.stage == "generate":
        first, last = demo_years()
        return f"generating the demo's activity, {first}–{last}: {p.done:,} of {p.total:,} actions"
    if p.stage == "load":
        return f"loading into the warehouse: {p.done:,} of {p.total:,} files"
    if p.stage == "compute":
        return f"computing the figures, up to {p.month}" if p.month else "computing the figures"
    return "ready"


_PASS_MONTH = re.compile(r"\(to (\d{4})-(\d{2})\)$")


def _compute_progress(step: str) -> Progress:
    """A build step ('mart_actions_daily (to 2024-10)') as the share of the demo's months done."""
    from greenstats.data.demo import DEMO_END, DEMO_START

    m = _PASS_MONTH.search(step)
    if not m:
        return Progress("compute", LOAD_END)
    year, month = int(m.group(1)), int(m.group(2))
    months = (DEMO_END.year - DEMO_START.year) * 12 + DEMO_END.month - DEMO_START.month
    reached = (year - DEMO_START.year) * 12 + month - DEMO_START.month
    share = LOAD_END + (1 - LOAD_END) * min(max(reached / max(months, 1), 0.0), 0.99)
    return Progress("compute", share, month=f"{year:04d}-{month:02d}")


def build_demo_warehouse(
    warehouse: Warehouse,
    progress: Callable[[Progress], None] | None = None,
    *,
    events: int | None = None,
) -> Snapshot:
    """Generate the demo inputs into a temporary folder, load them into `warehouse` and publish;
    the inputs go once loaded (the warehouse's lake holds them). Returns the snapshot."""
    from greenstats.data.demo import generate
    from greenstats.data.pipeline import ingest_folder

    events = events or demo_events()
    say = progress or (lambda _p: None)
    inputs = Path(tempfile.mkdtemp(prefix="greenstats-demo-input-"))
    try:
        say(Progress("generate", 0.0, 0, events))
        generate(
            inputs,
            events=events,
            seed=DEMO_SEED,
            progress=lambda done, total: say(
                Progress("generate", GENERATE_END * done / max(total, 1), done, total)
            ),
        )
        files = sum(1 for p in inputs.rglob("*") if p.suffix in (".csv", ".parquet"))
        loaded = 0
        say(Progress("load", GENERATE_END, loaded, files))

        def on_file(_report: object) -> None:
            nonlocal loaded
            loaded += 1
            share = GENERATE_END + (LOAD_END - GENERATE_END) * min(loaded / max(files, 1), 1.0)
            say(Progress("load", share, loaded, files))

        result = ingest_folder(
            inputs, warehouse.root, on_file=on_file, on_step=lambda s: say(_compute_progress(s))
        )
    finally:
        shutil.rmtree(inputs, ignore_errors=True)
    say(Progress("ready", 1.0))
    return result.snapshot


class _StoppedError(Exception):
    """The server is stopping: the build ends where it is (nothing is published)."""


class DemoBuild:
    """One build of the demo warehouse in a thread of its own. Its progress and outcome can be
    read from any thread; `say`, when given, gets the terminal's lines: where the build goes,
    every tenth of the way, and when it is ready (or why not)."""

    def __init__(
        self,
        warehouse: Warehouse,
        events: int,
        say: Callable[[str], None] | None = None,
        url: str | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.events = events
        self.progress = Progress("generate", 0.0, 0, events)
        #: Why the build failed, in the sentence the command line would print; None otherwise.
        self.error: str | None = None
        #: Another process holds the warehouse's writer lock: it is building, not this one.
        self.elsewhere = False
        self.seconds: float | None = None
        self._say = say
        self._url = url
        self._tenths = 0
        self._started = 0.0
        self._done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="greenstats-demo-build", daemon=True)

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def start(self) -> None:
        follow = f"; open {self._url} to follow it" if self._url else ""
        self._tell(
            f"no warehouse at {self.warehouse.root} yet, so the demo data set "
            f"({self.events:,} action events) is being built there{follow}."
        )
        self._started = time.monotonic()
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the build has finished (succeeded or not), waiting up to `timeout` seconds."""
        return self._done.wait(timeout)

    def stop(self, timeout: float = 30) -> None:
        """End the build at its next step (the server is stopping) and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _tell(self, sentence: str) -> None:
        if self._say is not None:
            self._say(f"greenstats: {sentence}")

    def _report(self, p: Progress) -> None:
        if self._stop.is_set():
            raise _StoppedError
        self.progress = p
        tenths = int(p.share * 10)
        if 0 < tenths < 10 and tenths > self._tenths:
            self._tenths = tenths
            self._tell(f"{tenths * 10}% done, {progress_words(p)}.")

    def _run(self) -> None:
        try:
            build_demo_warehouse(self.warehouse, self._report, events=self.events)
        except _StoppedError:
            self.error = "The server stopped before the demo data set was built."
        except WarehouseBusyError:
            self.elsewhere = True
            self._tell("another process is building this warehouse; the pages open once it has.")
        except WarehouseError as exc:
            self.error = str(exc)
        except Exception as exc:  # a fault of greenstats itself: logged with its traceback
            _log.exception("the demo build failed")
            self.error = f"{type(exc).__name__}: {exc}"
        self.seconds = time.monotonic() - self._started
        if self.error:
            self._tell(f"the demo data set could not be built: {self.error}")
        elif not self.elsewhere:
            opened = f"; open {self._url}" if self._url else ""
            self._tell(f"the demo warehouse is ready, built in {self.seconds:.0f} s{opened}.")
        self._done.set()


_BUILDS: dict[Path, DemoBuild] = {}
_BUILDS_LOCK = threading.Lock()


def start_demo_build(
    db: str | Path | None = None,
    *,
    say: Callable[[str], None] | None = None,
    url: str | None = None,
    events: int | None = None,
) -> DemoBuild | None:
    """The demo build of warehouse `db` (default: GREENSTATS_DB, else data/warehouse): the one
    this process has running, has seen fail, or is waiting on in another process; else a new
    one, started, when nothing is published there; else None. So however many pages and the
    server ask, one build runs. A warehouse that cannot be read raises its WarehouseError."""
    warehouse = Warehouse(db)
    with _BUILDS_LOCK:
        build = _BUILDS.get(warehouse.root)
        if build is not None and (not build.finished or build.error or build.elsewhere):
            return build
        if warehouse.current() is not None:
            return None
        build = DemoBuild(warehouse, events or demo_events(), say, url)
        _BUILDS[warehouse.root] = build
        build.start()
        return build


def stop_demo_builds(timeout: float = 30) -> None:
    """Stop every demo build of this process (the server is stopping)."""
    with _BUILDS_LOCK:
        builds = list(_BUILDS.values())
    for build in builds:
        build.stop(timeout)
