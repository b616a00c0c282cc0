"""SIGKILL an ingest, a build and a publish at random points, over and over.

After each kill: the published snapshot is the one before, byte for byte, with the same
`summary --json` (or, when the kill came after CURRENT was replaced, the new one, whole);
the next run of the same command removes every temporary and orphan file the killed one left
and ends equal to a clean run, every table of the snapshot row for row.

Each killed run is `greenstats.cli.main` in a child forked from a forkserver that has
greenstats imported, so a kill costs milliseconds of start-up, not a second of imports. Where a
run is killed does not depend on how busy the machine is: a kill comes while a statement drawn
at random among the run's SQL statements runs (0-20 ms after it starts: inside a COPY to the
lake, a model, a checkpoint), just before a step of publish (each write, sync, rename and
removal of a file) or just after it returns; a few more at a random moment of the run.
GREENSTATS_CRASH_SEED replays another sequence.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import sys
import threading
import time
import types
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from greenstats.data.warehouse import Warehouse
from tests import handbuilt, ops

pytestmark = pytest.mark.crash

SEED = int(os.environ.get("GREENSTATS_CRASH_SEED", "20261129"))
#: Kills during a statement drawn at random, per command.
STATEMENT_KILLS = {"first ingest": 3, "ingest": 10, "build": 6}
#: Kills at a random moment (uniform over a clean run's time), per command.
TIMED_KILLS = {"first ingest": 1, "ingest": 2, "build": 2}
#: Publish steps after the two renames at which a kill is also tried (chosen at random).
LATE_PUBLISH_KILLS = 1


# --- in the child -------------------------------------------------------------------------


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _CountedConnection:
    """The work connection of an ingest or build, counting its statements: SIGKILL comes
    `offset` seconds after statement `kill_at` starts."""

    def __init__(self, con: duckdb.DuckDBPyConnection, state: dict) -> None:
        self._con, self._state = con, state

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def _count(self) -> None:
        self._state["statements"] += 1
        if self._state["statements"] == self._state["kill_statement"]:
            threading.Timer(self._state["offset"], _die).start()

    def execute(self, *args, **kwargs):
        self._count()
        return self._con.execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        self._count()
        return self._con.executemany(*args, **kwargs)


def _arm(kill: tuple, record: str | None) -> None:
    """Kill this process at `kill`: ("statement", n, offset) or ("step", n) (before the n-th
    file step of publish, or just after publish returns when n is one past the last); write
    the number of statements and the names of publish's steps to `record` when it returns."""
    from greenstats.data.warehouse import folder

    state: dict = {"on": False, "steps": [], "statements": 0, "kill_statement": None}
    kill_step = None
    if kill[0] == "statement":
        state["kill_statement"], state["offset"] = kill[1], kill[2]
    elif kill[0] == "step":
        kill_step = kill[1]

    def step(name: str, fn):
        def counted(*args, **kwargs):
            if state["on"]:
                state["steps"].append(name)
                if len(state["steps"]) == kill_step:
                    _die()
            return fn(*args, **kwargs)

        return counted

    folder._fsync_file = step("fsync file", folder._fsync_file)
    folder._fsync_dir = step("fsync folder", folder._fsync_dir)
    os.replace = step("rename", os.replace)
    Path.write_text = step("write", Path.write_text)
    Path.unlink = step("remove", Path.unlink)
    Path.rmdir = step("remove folder", Path.rmdir)
    publish = folder.Warehouse.publish

    def counted_publish(self, *args, **kwargs):
        state["on"] = True
        try:
            return publish(self, *args, **kwargs)
        finally:
            state["on"] = False
            if record:
                with open(record, "w") as fh:
                    fh.write("\n".join([str(state["statements"]), *state["steps"]]))
            if kill_step == len(state["steps"]) + 1:
                _die()

    folder.Warehouse.publish = counted_publish
    connect = duckdb.connect

    def counted_connect(*args, **kwargs):
        con = connect(*args, **kwargs)
        return _CountedConnection(con, state) if not args and not kwargs else con

    duckdb.connect = counted_connect


def _run(args: list[str], log: str, kill: tuple, record: str | None) -> None:
    """`python -m greenstats ARGS` in a forked child, its output to `log`."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    _arm(kill, record)
    from greenstats.cli import main

    sys.argv = ["greenstats", *args]
    main()


# --- in the test ---------------------------------------------------------------------------

#: The commands killed: a first ingest into an empty folder, an ingest of more events into the
#: base warehouse, a full build of the base warehouse.
OPS = ("first ingest", "ingest", "build")


@pytest.fixture(scope="module")
def fork() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.test_crash", "greenstats.cli", "greenstats.data.pipeline"])
    return ctx


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The base warehouse, the folders loaded, and what a clean run of each command ends with
    (contents, summary, good rows)."""
    root = tmp_path_factory.mktemp("crash")
    base, more = ops.base_warehouse(root)
    world = {"root": root, "base": base, "more": more, "handbuilt": root / "handbuilt"}
    world["expected"] = {"first ingest": _state(base)}
    for op in ("ingest", "build"):
        db = _fresh(world, op, root / f"clean-{op}")
        code, _, err = ops.cli(*_args(world, op, db))
        assert code == 0, err
        world["expected"][op] = _state(db)
    world["before"] = ops.published(base), _state(base)
    return world


def _state(db: Path) -> tuple[dict, dict, int]:
    return ops.contents(db), ops.summary(db), ops.good_rows(db)


def _fresh(world: dict, op: str, db: Path) -> Path:
    """Where `op` runs: a copy of the base warehouse, or nothing yet for a first ingest."""
    return db if op == "first ingest" else ops.copy(world["base"], db)


def _args(world: dict, op: str, db: Path) -> list[str]:
    if op == "first ingest":
        reference = str(handbuilt.REFERENCE_MIN)
        return ["ingest", str(world["handbuilt"]), "--db", str(db), "--reference", reference]
    if op == "ingest":
        return ["ingest", str(world["more"]), "--db", str(db)]
    return ["build", "--db", str(db)]


def _start(world: dict, fork, op: str, db: Path, kill: tuple = ("none",),
           record: Path | None = None) -> multiprocessing.Process:  # fmt: skip
    log = str(db.parent / f"{db.name}.log")
    args = (_args(world, op, db), log, kill, record and str(record))
    proc = fork.Process(target=_run, args=args)
    # multiprocessing re-runs the parent's main script in the child; under pytest that is
    # pytest's (skipped), but after an AppTest it is dashboard.py. The child needs none.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        proc.start()
    finally:
        sys.modules["__main__"] = main
    return proc


def _kill(proc: multiprocessing.Process) -> bool:
    """SIGKILL the run; False if it had already finished."""
    if proc.exitcode is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    if proc.exitcode == 0:
        return False
    assert proc.exitcode == -signal.SIGKILL, proc.exitcode
    return True


def _what_was_left(db: Path) -> str:
    """Where the killed run was, told by what it left: the outcome's class for the tally."""
    left = Warehouse(db).leftovers() if db.exists() else []
    names = {p.relative_to(db).parts[0] for p in left}
    if "snapshots" in names:
        return "snapshot renamed, CURRENT not yet replaced"
    if "tmp" in names:
        return "snapshot being built in tmp/"
    if "lake" in names:
        return "lake files written, no snapshot yet"
    if any(p.name.startswith("CURRENT.") for p in left):
        return "pointer written, not renamed"
    return "nothing left"


def _check_after_kill(world: dict, op: str, db: Path) -> str:
    """The published snapshot is the one before, whole, or the new one, whole."""
    pointer, (_, summary, rows) = world["before"]
    if op == "first ingest" and not (db / "CURRENT").exists():
        outcome = _what_was_left(db)
        code, _, err = ops.cli("summary", "--db", str(db))
        assert code == 1
        assert ops.one_sentence(err).startswith("error: No warehouse at")
    elif op != "first ingest" and ops.published(db) == pointer:
        outcome = _what_was_left(db)
        assert ops.summary(db) == summary
        assert ops.good_rows(db) == rows
    else:
        outcome = "published (killed while tidying up or exiting)"
        assert _state(db) == world["expected"][op]
    return outcome


def _check_rerun(world: dict, op: str, db: Path) -> None:
    """The next run leaves nothing behind and ends equal to a clean run."""
    code, _, err = ops.cli(*_args(world, op, db))
    assert code == 0, err
    assert Warehouse(db).leftovers() == []
    assert _state(db) == world["expected"][op]


def _clean_run(fork, world: dict, op: str) -> tuple[float, int, list[str]]:
    """A clean run of `op`: its duration, the number of statements of its work connection and
    the file steps of its publish."""
    db = _fresh(world, op, world["root"] / f"clean-run-{op}")
    record = world["root"] / f"clean-run-{op}.txt"
    started = time.monotonic()
    proc = _start(world, fork, op, db, record=record)
    proc.join()
    duration = time.monotonic() - started
    assert proc.exitcode == 0, (db.parent / f"{db.name}.log").read_text()
    shutil.rmtree(db)
    statements, *steps = record.read_text().splitlines()
    return duration, int(statements), steps


def _kill_and_rerun(fork, world: dict, name: str, op: str, kill: tuple) -> str | None:
    """One run of `op`, killed at `kill` (("time", seconds) or as _arm takes it); the checks
    after the kill and after the re-run. The outcome, or None if the run finished first."""
    db = _fresh(world, op, world["root"] / name)
    if kill[0] == "time":
        proc = _start(world, fork, op, db)
        time.sleep(kill[1])
        killed = _kill(proc)
    else:
        proc = _start(world, fork, op, db, kill)
        proc.join()
        killed = proc.exitcode == -signal.SIGKILL
        assert killed or proc.exitcode == 0, (kill, proc.exitcode)
    outcome = f"{op}: {_check_after_kill(world, op, db)}" if killed else None
    _check_rerun(world, op, db)
    shutil.rmtree(db)
    return outcome


def test_sigkill_at_random_points_loses_nothing_and_leaves_nothing(fork, world: dict) -> None:
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    finished = 0
    for op in OPS:
        duration, statements, steps = _clean_run(fork, world, op)
        renames = [i for i, name in enumerate(steps, 1) if name == "rename"]
        assert len(renames) >= 2, steps  # the snapshot into snapshots/, then CURRENT
        # Before every step of publish up to just after the second rename, a few later ones
        # at random, just after publish returns; statements and moments at random.
        points = list(range(1, renames[1] + 2))
        later = list(range(renames[1] + 2, len(steps) + 1))
        points += [*rng.sample(later, min(LATE_PUBLISH_KILLS, len(later))), len(steps) + 1]
        plan = [("step", k) for k in points]
        plan += [
            ("statement", rng.randint(1, statements), rng.uniform(0.0, 0.02))
            for _ in range(STATEMENT_KILLS[op])
        ]
        plan += [("time", rng.uniform(0.0, duration)) for _ in range(TIMED_KILLS[op])]
        for i, kill in enumerate(plan):
            outcome = _kill_and_rerun(fork, world, f"{op.replace(' ', '-')}-{i:02d}", op, kill)
            if outcome is None:
                finished += 1
            else:
                outcomes[outcome] += 1

    total = sum(outcomes.values())
    print(f"\n{total} kills ({finished} more runs finished before their kill), seed {SEED}:")
    for outcome, n in sorted(outcomes.items()):
        print(f"  {n:3d}  {outcome}")
    assert total >= 40
    # The kills reached every stage of a run, the narrow window between the renames included.
    reached = {outcome.split(": ", 1)[1] for outcome in outcomes}
    assert {
        "lake files written, no snapshot yet",
        "snapshot being built in tmp/",
        "snapshot renamed, CURRENT not yet replaced",
        "published (killed while tidying up or exiting)",
    } <= reached, outcomes


def test_leftovers_of_killed_runs_are_gone_after_the_next_run(fork, world: dict) -> None:
    """Killed late, each run leaves a snapshot in tmp/ and lake files no snapshot lists; the
    next run removes them first, so they never pile up, and once a run finishes none is left."""
    db = ops.copy(world["base"], world["root"] / "leftovers")
    published = (db / "snapshots" / "000001.duckdb").stat().st_size
    left_bytes = []
    for _ in range(5):
        proc = _start(world, fork, "ingest", db)
        deadline = time.monotonic() + 60
        # Once the published snapshot is copied into tmp/ (the build has begun).
        while not any(p.stat().st_size >= published for p in (db / "tmp").glob("*.duckdb")):
            assert proc.exitcode is None, "the ingest finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        assert _kill(proc)
        left = Warehouse(db).leftovers()
        assert any(p.parts[-2] == "tmp" for p in left)
        assert any("lake" in p.relative_to(db).parts for p in left)
        left_bytes.append(sum(p.stat().st_size for p in left))
        assert ops.published(db) == world["before"][0]
    # Each run removed what the one before it left: they never add up.
    print(f"\nleft behind after each kill: {[f'{b / 1e6:.1f} MB' for b in left_bytes]}")
    assert max(left_bytes) < 2 * min(left_bytes), left_bytes
    _check_rerun(world, "ingest", db)
