"""Every model's stated grain is a key: on a built warehouse, no two rows of a staging table or
a mart share the columns its `-- grain:` line names (jaffle-shop's unique-key tests).

Checked on the hand-built warehouse, on a small demo warehouse, and on that demo after one
more day was loaded into it (an incremental build: partitions replaced, users merged), where a
partition rebuilt twice or a merge that appends would show as repeated keys.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from greenstats.data.build import load_models
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Reader, Warehouse
from tests import shapes

MODELS = {m.name: m.grain for m in load_models()}


def test_every_model_states_a_grain_it_selects() -> None:
    for model in load_models():
        select = model.sql[model.sql.index("SELECT") :]
        for column in MODELS[model.name]:
            assert re.search(rf"\b{column}\b", select), (model.name, column)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("grain")


def _one_more_day(demo_root: Path) -> Path:
    """A copy of the demo warehouse, then the demo's last day of actions again under new ids."""
    db, day = demo_root / "wh-one-more-day", demo_root / "one-more-day"
    if not db.exists():
        shutil.copytree(shapes.build("demo", demo_root), db)
        last = "(SELECT max(CAST(occurred_at AS DATE)) FROM actions)"
        shapes.derive(
            shapes.demo_folder(demo_root), day,
            {"actions": "SELECT * REPLACE ('again-' || event_id AS event_id) FROM actions "
                        f"WHERE CAST(occurred_at AS DATE) = {last}"},
        )  # fmt: skip
        loaded = ingest_folder(day, db).reports
        assert sum(r.accepted for r in loaded) > 0  # the day did go in
    return db


@pytest.fixture(scope="module", params=["handbuilt", "demo", "demo + one more day"])
def reader(request: pytest.FixtureRequest, handbuilt_db: Path, demo_root: Path) -> Iterator[Reader]:
    if request.param == "handbuilt":
        db = handbuilt_db
    elif request.param == "demo":
        db = shapes.build("demo", demo_root)
    else:
        db = _one_more_day(demo_root)
    warehouse = Warehouse(db)
    with warehouse.open_snapshot(warehouse.require_current()) as r:
        yield r


@pytest.mark.parametrize("model", sorted(MODELS))
def test_the_grain_is_unique(reader: Reader, model: str) -> None:
    cols = ", ".join(MODELS[model])
    repeated = reader.rows(
        f"SELECT {cols}, count(*) AS n FROM {model} GROUP BY ALL HAVING count(*) > 1 "
        f"ORDER BY n DESC, {cols} LIMIT 5"
    )
    assert repeated == [], f"{model}: rows sharing ({cols})"


def test_the_demo_fills_every_model(demo_root: Path) -> None:
    """So that the checks above are not vacuous (the hand-built data have no brands)."""
    warehouse = Warehouse(shapes.build("demo", demo_root))
    with warehouse.open_snapshot(warehouse.require_current()) as r:
        empty = [m for m in MODELS if r.scalar(f"SELECT count(*) FROM {m}") == 0]
    assert empty == []
