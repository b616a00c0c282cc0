"""The input folder's files: actions and redemptions generated and streamed month by month
to Parquet (with the balances carried between chunks), the other tables written as CSV, and
the bad rows each table carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from greenstats.data import contract
from greenstats.data.demo.people import (
    ACTIONS,
    REGIONS,
    _Calendar,
    _chunks,
    _events,
    _ids,
    _rng,
    _Users,
)
from greenstats.data.demo.projects import SPECIES
from greenstats.data.demo.redemptions import _Catalog, _Ledger, _month_of, _redeem

BAD_ROW_RATE = 1e-4  # share of each table's rows that break the contract (bad_rows=True) ...
MIN_BAD_ROWS = 2  # ... but at least this many
ROW_GROUP_SIZE = 262_144


# Bad rows: realistic wrong values that the contract rejects.
UNKNOWN_ACTIONS = ("walk", "Metro_Ride", "offline-payment", "bike_sharing")
UNKNOWN_REGIONS = ("CN-NMG", "CN-XX", "GD", "CN-00")
UNKNOWN_SPECIES = ("saxual", "Saxaul", "sand-willow", "pine")
UNKNOWN_PROJECTS = ("AF-NM-99", "CO-XX-01", "PRJ-0042")


_ACTIONS_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("user_id", pa.string()),
    ("occurred_at", pa.timestamp("us", tz="UTC")), ("action", pa.string()),
    ("region", pa.string()), ("energy_g", pa.int64()), ("brand_id", pa.string()),
])  # fmt: skip
_REDEMPTIONS_SCHEMA = pa.schema([
    ("redemption_id", pa.string()), ("user_id", pa.string()),
    ("redeemed_at", pa.timestamp("us", tz="UTC")), ("project_id", pa.string()),
    ("species", pa.string()), ("units", pa.float64()), ("energy_g", pa.int64()),
])  # fmt: skip


# --- bad rows ----------------------------------------------------------------------------------

Fault = Callable[[dict[str, np.ndarray], np.ndarray, np.random.Generator], None]


def _unknown_action(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["action"][rows] = len(ACTIONS) + rng.integers(0, len(UNKNOWN_ACTIONS), rows.sum())


def _unknown_region(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["region"][rows] = len(REGIONS) + rng.integers(0, len(UNKNOWN_REGIONS), rows.sum())


def _negative_energy(
    bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator
) -> None:
    bad["energy"][rows] = -np.maximum(bad["energy"][rows], 1)  # a sign error upstream


def _no_energy(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["energy"][rows] = 0


def _no_time(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["t_null"][rows] = True


def _no_user(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["user_null"][rows] = True


def _duplicate(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["dup"][rows] = True  # the same row sent twice: same id, same values


def _unknown_species(
    bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator
) -> None:
    bad["species"][rows] = len(SPECIES) + rng.integers(0, len(UNKNOWN_SPECIES), rows.sum())


def _unknown_project(
    bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator
) -> None:
    bad["project"][rows] = -1 - rng.integers(0, len(UNKNOWN_PROJECTS), rows.sum())


def _no_units(bad: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> None:
    bad["units"][rows] = 0.0


ACTION_FAULTS: tuple[Fault, ...] = (
    _unknown_action, _negative_energy, _unknown_region, _no_time, _duplicate, _no_user,
)  # fmt: skip
REDEMPTION_FAULTS: tuple[Fault, ...] = (
    _unknown_species, _unknown_project, _no_units, _no_time, _duplicate, _no_energy,
)  # fmt: skip


def _bad_quota(good_rows: int, bad_so_far: int) -> int:
    """Bad rows still due once `good_rows` good rows exist: 0.01%, at least MIN_BAD_ROWS."""
    if good_rows == 0:
        return 0
    return max(MIN_BAD_ROWS, int(good_rows * BAD_ROW_RATE)) - bad_so_far


def _add_bad_rows(
    good: dict[str, np.ndarray], n_bad: int, first_fault: int, faults: tuple[Fault, ...],
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], np.ndarray]:  # fmt: skip
    """Good rows plus `n_bad` broken copies, each right after its original.

    Adds "seq", each row's number in the file (a duplicate repeats its original's). Returns the
    rows and the originals that were duplicated.
    """
    n = good["dup"].size
    templates = np.sort(rng.choice(n, n_bad, replace=n_bad > n)) if n_bad else np.zeros(0, int)
    bad = {k: v[templates].copy() for k, v in good.items()}
    kind = (first_fault + np.arange(n_bad)) % len(faults)
    for k, fault in enumerate(faults):
        if (kind == k).any():
            fault(bad, kind == k, rng)
    order = np.argsort(np.r_[np.arange(n), templates], kind="stable")
    rows = {k: np.concatenate([good[k], bad[k]])[order] for k in good}
    position = np.empty(n + n_bad, np.int64)
    position[order] = np.arange(n + n_bad)
    seq = position.copy()
    seq[n:][bad["dup"]] = position[templates[bad["dup"]]]
    rows["seq"] = seq[order]
    return rows, templates[bad["dup"]]


# --- writing Parquet ---------------------------------------------------------------------------


def _codes(names: tuple[str, ...], index: np.ndarray) -> pa.Array:
    """Strings for code indices; negative indices count from the end (bad codes)."""
    return pa.array(names).take(pa.array(np.where(index < 0, len(names) + index, index)))


def _actions_table(
    rows: dict[str, np.ndarray], first_id: int, users: _Users, cat: _Catalog
) -> pa.Table:
    """Arrow table of action rows, columns as in the contract."""
    return pa.Table.from_arrays(
        [
            _ids("ev", first_id + rows["seq"], 10),
            users.ids.take(pa.array(rows["user"], mask=rows["user_null"])),
            pa.array(rows["t"], _ACTIONS_SCHEMA.field("occurred_at").type, mask=rows["t_null"]),
            _codes((*ACTIONS, *UNKNOWN_ACTIONS), rows["action"]),
            _codes((*contract.REGION_CODES, *UNKNOWN_REGIONS), rows["region"]),
            pa.array(rows["energy"], pa.int64()),
            cat.brands.take(pa.array(rows["brand"], mask=rows["brand"] < 0)),
        ],
        schema=_ACTIONS_SCHEMA,
    )


def _redemptions_table(
    rows: dict[str, np.ndarray], first_id: int, users: _Users, cat: _Catalog
) -> pa.Table:
    """Arrow table of redemption rows, columns as in the contract."""
    project_ids = (*(p.project_id for p in cat.projects), *reversed(UNKNOWN_PROJECTS))
    return pa.Table.from_arrays(
        [
            _ids("rd", first_id + rows["seq"], 10),
            users.ids.take(pa.array(rows["user"], mask=rows["user_null"])),
            pa.array(rows["t"], _REDEMPTIONS_SCHEMA.field("redeemed_at").type, mask=rows["t_null"]),
            _codes(project_ids, rows["project"]),
            _codes((*cat.species_codes, *UNKNOWN_SPECIES), rows["species"]),
            pa.array(rows["units"], pa.float64()),
            pa.array(rows["energy"], pa.int64()),
        ],
        schema=_REDEMPTIONS_SCHEMA,
    )


def _parquet_writer(path: Path, schema: pa.Schema, dictionary: list[str]) -> pq.ParquetWriter:
    """A writer with fixed settings, so that the same rows give the same bytes."""
    return pq.ParquetWriter(
        path, schema, compression="zstd", compression_level=3, use_dictionary=dictionary,
        write_statistics=True, version="2.6", data_page_version="1.0",
    )  # fmt: skip


def _concat(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([a[k], b[k]]) for k in a} if a else b


def _take(rows: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in rows.items()}


# --- streaming the events ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """Everything fixed that the stream of events draws on."""

    seed: int
    users: _Users
    cal: _Calendar
    cat: _Catalog
    counts: np.ndarray  # events per day
    bad_rows: bool


def _stream(model: _Model, out_dir: Path, progress: Callable[[int, int], None] | None) -> _Ledger:
    """Generate and write actions and redemptions month by month, chunk by chunk."""
    n_users, cal = model.users.rate.size, model.cal
    ledger = _Ledger(
        balance=np.zeros(n_users, np.int64),
        seen=np.zeros(n_users, bool),
        adopted=np.zeros((model.cat.pair_project.size, cal.months.size)),
        target_pair=np.full(n_users, -1, np.int32),
        target_units=np.zeros(n_users, np.int16),
    )
    pending: dict[str, np.ndarray] = {}
    total, done, chunk_no = int(model.counts.sum()), 0, 0
    for month, chunks in enumerate(_chunks(cal, model.counts)):
        path = out_dir / "actions" / f"{cal.months[month]}.parquet"
        writer = None
        for days in chunks:
            chunk_no += 1
            n = int(model.counts[days].sum())
            if n == 0:
                continue
            rows, new = _action_chunk(model, days, ledger, _rng(model.seed, 4, chunk_no))
            pending = _concat(pending, new)
            writer = writer or _parquet_writer(
                path, _ACTIONS_SCHEMA, ["action", "region", "brand_id"]
            )
            table = _actions_table(rows, ledger.events_written + 1, model.users, model.cat)
            writer.write_table(table, ROW_GROUP_SIZE)
            ledger.events_written += rows["seq"].size
            done += n
            if progress:
                progress(done, total)
        if writer:
            writer.close()
        pending = _flush_redemptions(model, month, pending, ledger, out_dir)
    return ledger


def _action_chunk(
    model: _Model, days: np.ndarray, ledger: _Ledger, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One chunk's action rows (bad ones included) and the redemptions its energy pays for."""
    good = _events(days, model.counts, model.users, model.cal, model.cat, rng)
    ledger.good_events += good["dup"].size
    n_bad = _bad_quota(ledger.good_events, ledger.bad_events) if model.bad_rows else 0
    rows, duplicated = _add_bad_rows(good, n_bad, ledger.bad_events, ACTION_FAULTS, rng)
    ledger.bad_events += n_bad
    ledger.seen[good["user"]] = True
    credit = good["energy"].copy()
    credit[duplicated] = 0  # whatever a loader does with a repeated id, nobody spends it
    new = _redeem(
        good["user"], good["t"], credit, int(days[0]), model.users, model.cat, ledger, rng
    )
    np.add.at(ledger.adopted, (new["pair"], _month_of(new["t"], model.cal)), new["units"])
    return rows, new


def _flush_redemptions(
    model: _Model, month: int, pending: dict[str, np.ndarray], ledger: _Ledger, out_dir: Path
) -> dict[str, np.ndarray]:
    """Write the month's redemptions (in time order); keep those that fall in a later month."""
    if not pending:
        return pending
    in_month = _month_of(pending["t"], model.cal) == month
    now = _take(pending, np.flatnonzero(in_month))
    later = _take(pending, np.flatnonzero(~in_month))
    if now["t"].size:
        now = _take(now, np.argsort(now["t"], kind="stable"))
        ledger.good_redemptions += now["t"].size
        rng = _rng(model.seed, 5, month)
        n_bad = _bad_quota(ledger.good_redemptions, ledger.bad_redemptions) if model.bad_rows else 0
        rows, _ = _add_bad_rows(now, n_bad, ledger.bad_redemptions, REDEMPTION_FAULTS, rng)
        ledger.bad_redemptions += n_bad
        table = _redemptions_table(rows, ledger.redemptions_written + 1, model.users, model.cat)
        path = out_dir / "redemptions" / f"{model.cal.months[month]}.parquet"
        with _parquet_writer(path, _REDEMPTIONS_SCHEMA, ["project_id", "species"]) as writer:
            writer.write_table(table, ROW_GROUP_SIZE)
        ledger.redemptions_written += table.num_rows
    return later


# --- writing CSV -------------------------------------------------------------------------------

RowFault = tuple[str | None, Callable[[dict, np.random.Generator], object]]  # None = duplicate


def _bad_date(row: dict, column: str, tail: str) -> str:
    return f"{row[column]:%Y}-{tail}"


PROJECT_FAULTS: tuple[RowFault, ...] = (
    ("region", lambda r, rng: "CN-NMG"),  # an old three-letter code
    ("started_on", lambda r, rng: _bad_date(r, "started_on", "13-01")),
    ("partner", lambda r, rng: None),
    ("lat", lambda r, rng: round(r["lat"] * 10, 2)),  # a lost decimal point
)
PLANTING_FAULTS: tuple[RowFault, ...] = (
    ("project_id", lambda r, rng: "AF-GS-99"),
    ("planted_on", lambda r, rng: _bad_date(r, "planted_on", "13-45")),
    ("units_planted", lambda r, rng: 0),
    (None, lambda r, rng: None),
    ("area_ha", lambda r, rng: -max(r["area_ha"], 0.1)),
)
SURVEY_FAULTS: tuple[RowFault, ...] = (
    ("units_alive", lambda r, rng: r["units_sampled"] + int(rng.integers(1, 40))),
    ("surveyed_on", lambda r, rng: _bad_date(r, "surveyed_on", "02-30")),
    ("project_id", lambda r, rng: "CO-XX-01"),
    (None, lambda r, rng: None),
    ("units_sampled", lambda r, rng: 0),
)
AREA_FAULTS: tuple[RowFault, ...] = (
    ("area_ha", lambda r, rng: 0.0),
    ("region", lambda r, rng: "CN-XX"),
    ("established_on", lambda r, rng: _bad_date(r, "established_on", "02-30")),
)
BRAND_FAULTS: tuple[RowFault, ...] = (
    (None, lambda r, rng: None),  # the same brand sent twice
    ("name", lambda r, rng: None),
)
AREA_SPECIES_FAULTS: tuple[RowFault, ...] = (
    ("iucn_category", lambda r, rng: "LR/nt"),  # a category retired in 2001
    ("scientific_name", lambda r, rng: None),
    ("area_id", lambda r, rng: "PA-XX-99"),
    ("last_observed_on", lambda r, rng: "2023-02-30"),
)


def _with_bad_rows(
    rows: list[dict], faults: tuple[RowFault, ...], enabled: bool, rng: np.random.Generator
) -> tuple[list[dict], int]:
    """Rows plus about 0.01% broken copies (at least 2), each right after its original."""
    n_bad = _bad_quota(len(rows), 0) if enabled and rows else 0
    after: dict[int, list[dict]] = {}
    for j, i in enumerate(np.sort(rng.choice(len(rows), n_bad, replace=n_bad > len(rows)))):
        bad = dict(rows[i])
        column, value = faults[j % len(faults)]
        if column is not None:
            bad[column] = value(bad, rng)
        after.setdefault(int(i), []).append(bad)
    out = []
    for i, row in enumerate(rows):
        out += [row, *after.get(i, [])]
    return out, n_bad


def _csv_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _write_csv(path: Path, table: contract.Table, rows: list[dict]) -> int:
    """One CSV table with the contract's columns in order; dates as YYYY-MM-DD."""
    types = {"text": pa.string(), "date": pa.string(), "int": pa.int64(), "number": pa.float64()}
    schema = pa.schema([(c.name, types[c.type]) for c in table.columns])
    data = [{c: _csv_value(r.get(c)) for c in schema.names} for r in rows]
    pa_csv.write_csv(pa.Table.from_pylist(data, schema=schema), path)
    return len(rows)
