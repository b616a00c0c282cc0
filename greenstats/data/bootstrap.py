"""First start: when no warehouse exists, generate the seeded demo data set and load it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from greenstats.data.paths import PROJECT_ROOT
from greenstats.data.warehouse import Snapshot, Warehouse

DEMO_INPUT = PROJECT_ROOT / "data" / "demo-input"
#: Size of the demo data set built on first start (GREENSTATS_DEMO_EVENTS overrides it).
DEFAULT_DEMO_EVENTS = 10_000_000
DEMO_SEED = 42

Progress = Callable[[float, str], None]


def demo_events() -> int:
    """How many action events the first-start demo has."""
    return int(os.environ.get("GREENSTATS_DEMO_EVENTS", DEFAULT_DEMO_EVENTS))


def build_demo_warehouse(
    warehouse: Warehouse,
    progress: Progress | None = None,
    *,
    events: int | None = None,
    input_dir: Path = DEMO_INPUT,
) -> Snapshot:
    """Generate the demo inputs (60 % of the bar), ingest them (the rest); return the snapshot."""
    from greenstats.data.demo import generate
    from greenstats.data.paths import DEMO_MARKER
    from greenstats.data.pipeline import ingest_folder

    events = events or demo_events()
    say = progress or (lambda _fraction, _text: None)
    if not (input_dir / DEMO_MARKER).exists():
        generate(
            input_dir,
            events=events,
            seed=DEMO_SEED,
            progress=lambda done, total: say(
                0.6 * done / max(total, 1), f"Generating demo data: {done:,} of {total:,} events"
            ),
        )
    say(0.6, "Loading the demo data into the warehouse…")
    loaded: list[str] = []

    def on_file(report: object) -> None:
        loaded.append(str(report))
        say(min(0.6 + 0.003 * len(loaded), 0.9), f"Loading: {getattr(report, 'name', '')}")

    result = ingest_folder(
        input_dir,
        warehouse.root,
        on_file=on_file,
        on_step=lambda model: say(0.92, f"Building {model}…"),
    )
    say(1.0, "Done")
    return result.snapshot
