"""How each step of the data core grows with the number of events: 1M, 10M, 100M, 1B.

    python bench/scaling.py --events 1000000 10000000 100000000 1000000000 [--write]

For each size, as a user would run them (`python -m greenstats ...` under `/usr/bin/time -v`):
generate the demo, ingest it into a new warehouse, rebuild every model; then the page
queries' p95 over `--combos` random filter bars from one client (bench/reads.py), the worst
query's, and the sizes on disk. Each size's figures are kept in `--json` as it finishes (a
run of hours can be resumed: a size already there is skipped unless `--again`). With `--write`
the "Scaling" section of BENCHMARKS.md gets the table, the slope of each step between sizes
(log-log: 1.0 is linear, above it grows faster than the data) and the plot
`bench/scaling.png`. Benchmarks are not tests: a slope above linear is reported, not raised.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import reads
from run import MB, PY, ROOT, by_name, du_mb, machine, step, write_section

from greenstats.data.warehouse import Warehouse

SECTION = "## Scaling: 1M to 1B events"
STEPS = {"generate": "generate", "ingest": "ingest", "build": "full build"}
PLOT = ROOT / "bench" / "scaling.png"


def measure(events: int, work: Path, combos: int, keep: bool) -> dict:
    """One size's figures; its input and warehouse are removed afterwards (disk) unless `keep`
    (for bench/day_load.py)."""
    folder, db = work / "input", work / "warehouse"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    m: dict = {"events": events}
    generate = step(f"generate {events:,}", [*PY, "demo", str(folder), "--events", str(events)])
    ingest = step("ingest", [*PY, "ingest", str(folder), "--db", str(db)])
    build = step("full build", [*PY, "build", "--db", str(db)])
    for name, t in (("generate", generate), ("ingest", ingest), ("build", build)):
        m[name] = {"wall": t.wall, "rss": t.rss}
    print("page queries…", flush=True)
    with reads.open_reader(str(db)) as plain:
        bars = reads.page_loads(plain, combos)
        reader = reads.TimedReader(plain)
        reads.run_single(reader, bars[:1])  # warm the file cache once
        single = reads.run_single(reader, bars)
    by_query = by_name([s for t in single for s in t.statements])  # ms
    worst = max(by_query, key=lambda n: reads.percentile(by_query[n], 95))
    m["worst_query"] = worst
    m["worst_p95_ms"] = reads.percentile(by_query[worst], 95)
    m["calls"] = sum(len(v) for v in by_query.values())
    snapshot = Warehouse(db).require_current().path
    m["input_mb"] = du_mb(folder)
    m["lake_mb"] = du_mb(db / "lake")
    m["snapshot_mb"] = snapshot.stat().st_size / MB
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return m


def slope(a: float, b: float, n_a: int, n_b: int) -> float:
    """The log-log slope between two sizes: 1.0 is linear."""
    return math.log(b / a) / math.log(n_b / n_a)


SERIES = [
    ("generate, s", lambda m: m["generate"]["wall"]),
    ("ingest, s", lambda m: m["ingest"]["wall"]),
    ("full build, s", lambda m: m["build"]["wall"]),
    ("ingest peak memory, MB", lambda m: m["ingest"]["rss"]),
    ("worst page query p95, ms", lambda m: m["worst_p95_ms"]),
    ("lake, MB", lambda m: m["lake_mb"]),
    ("snapshot, MB", lambda m: m["snapshot_mb"]),
]


def report(runs: list[dict], command: str) -> str:
    runs = sorted(runs, key=lambda m: m["events"])
    sizes = [f"{m['events']:,}" for m in runs]
    head = (
        "| events | "
        + " | ".join(sizes)
        + " | "
        + " | ".join(f"slope {a}→{b}" for a, b in zip(_short(runs), _short(runs[1:]), strict=False))
        + " |"
    )
    rule = "|---" * (1 + 2 * len(runs) - 1) + "|"
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}.",
        "",
        f"Command: `{command}`. Each step is `python -m greenstats ...` under "
        "`/usr/bin/time -v`; the page queries are every page's SQL over random filter "
        "bars from one client (bench/reads.py). A slope is the log-log slope between two "
        "sizes: 1.0 grows as the data does, above it faster.",
        "",
        head,
        rule,
    ]
    for label, get in SERIES:
        values = [get(m) for m in runs]
        pairs = zip(values, values[1:], runs, runs[1:], strict=False)
        slopes = [slope(a, b, m["events"], n["events"]) for a, b, m, n in pairs]
        lines.append(f"| {label} | " + " | ".join(f"{v:,.1f}" for v in values) + " | "
                     + " | ".join(f"{s:.2f}" for s in slopes) + " |")  # fmt: skip
    lines += [
        "",
        "The worst page query at each size: "
        + "; ".join(f"{_short([m])[0]} `{m['worst_query']}`" for m in runs)
        + ".",
        "",
        f"![Each step's time against the events, log-log]({PLOT.relative_to(ROOT)})",
    ]
    return "\n".join(lines) + "\n"


def _short(runs: list[dict]) -> list[str]:
    out = []
    for m in runs:
        n = m["events"]
        out.append(
            next(
                f"{n // u:,}{s}"
                for u, s in ((10**9, "B"), (10**6, "M"), (10**3, "k"), (1, ""))
                if n >= u
            )
        )
    return out


def plot(runs: list[dict]) -> None:
    import plotly.graph_objects as go

    runs = sorted(runs, key=lambda m: m["events"])
    x = [m["events"] for m in runs]
    fig = go.Figure()
    for label, get in SERIES[:3]:
        fig.add_trace(go.Scatter(x=x, y=[get(m) for m in runs], name=label, mode="lines+markers"))
    lin = [runs[0]["ingest"]["wall"] * n / x[0] for n in x]
    fig.add_trace(go.Scatter(x=x, y=lin, name="linear, from ingest at the smallest size",
                             mode="lines", line={"dash": "dot", "color": "grey"}))  # fmt: skip
    fig.update_xaxes(type="log", title="action events")
    fig.update_yaxes(type="log", title="wall time, s")
    fig.update_layout(title="Data core: time against events (log-log, 2 cores)",
                      width=900, height=520, template="plotly_white")  # fmt: skip
    fig.write_image(PLOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+",
                        default=[1_000_000, 10_000_000, 100_000_000, 1_000_000_000])  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--combos", type=int, default=50, help="filter bars for the page queries")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "out" / "scaling.json")
    parser.add_argument("--again", action="store_true", help="measure sizes already in --json")
    parser.add_argument("--keep", type=int, nargs="*", default=[],
                        help="sizes whose input and warehouse stay in --workdir")  # fmt: skip
    parser.add_argument("--write", nargs="?", const=ROOT / "BENCHMARKS.md", type=Path)
    a = parser.parse_args()
    runs = {m["events"]: m for m in json.loads(a.json.read_text())} if a.json.exists() else {}
    for n in a.events:
        if n in runs and not a.again:
            print(f"{n:,}: kept from {a.json}", flush=True)
            continue
        runs[n] = measure(n, a.workdir / f"scaling-{n}", a.combos, n in a.keep)
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(list(runs.values()), indent=1))
    chosen = [runs[n] for n in sorted(set(a.events))]
    command = "python bench/scaling.py --events " + " ".join(str(n) for n in sorted(set(a.events)))
    text = report(chosen, command + " --write")
    print(text)
    if a.write:
        plot(chosen)
        write_section(a.write, SECTION, text)


if __name__ == "__main__":
    main()
