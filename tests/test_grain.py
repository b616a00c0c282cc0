"""Every model's stated grain is a key: on a built warehouse, no two rows of a staging table or
a mart share the columns its `-- grain:` line names (jaffle-shop's unique-key tests).

Checked on the hand-built warehouse, on a small demo warehouse, and on that demo after one
more day was loaded into it (an incremental build: partitions replaced, users merged), where a
partition rebuilt twice or a merge that appends would show as repeated keys.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
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
def one_more_day(
    shape_db: Callable[[str], Path], shape_demo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A copy of the demo warehouse, then the demo's last day of actions again under new ids."""
    root = tmp_path_factory.mktemp("grain")
    db, day = root / "wh-one-more-day", root / "one-more-day"
    shutil.copytree(shape_db("demo"), db)
    last = "(SELECT max(CAST(occurred_at AS DATE)) FROM actions)"
    shapes.derive(
        shape_demo, day,
        {"actions": "SELECT * REPLACE ('again-' || event_id AS event_id) FROM actions "
                    f"WHERE CAST(occurred_at AS DATE) = {last}"},
    )  # fmt: skip
    loaded = ingest_folder(day, db).reports
    assert sum(r.accepted for r in loaded) > 0  # the day did go in
    return db


@pytest.fixture(scope="module", params=["handbuilt", "demo", "demo + one more day"])
def reader(
    request: pytest.FixtureRequest, handbuilt_db: Path, shape_db: Callable[[str], Path]
) -> Iterator[Reader]:
    if request.param == "handbuilt":
        db = handbuilt_db
    elif request.param == "demo":
        db = shape_db("demo")
    else:
        db = request.getfixturevalue("one_more_day")
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


def test_the_demo_fills_every_model(shape_db: Callable[[str], Path]) -> None:
    """So that the checks above are not vacuous (the hand-built data have no brands)."""
    warehouse = Warehouse(shape_db("demo"))
    with warehouse.open_snapshot(warehouse.require_current()) as r:
        empty = [m for m in MODELS if r.scalar(f"SELECT count(*) FROM {m}") == 0]
    assert empty == []
