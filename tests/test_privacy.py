"""Counts of people that differencing cannot undo (docs/CONTRACT.md, Privacy): 0 is 0, 1 to
k − 1 is "< k", and every other count is rounded to a multiple of k, up with probability
(n mod k) / k, by a keyed hash of what was counted, so the same question gets the same answer.

The rounding itself (`privacy.rounded`) on many counts and cells; then the pages' counts of
people (the Overview's active users, the Actions page's new, returning and active users per
bar) on a warehouse of small groups, for pairs of filter sets that differ by one region,
action or brand, or by a day at either end of the period: no difference of two counts shown
is 1 to k − 1, and "< k" is shown exactly when the true count is 1 to k − 1."""

from __future__ import annotations

import math
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from greenstats.data import privacy_seed, pseudonym
from greenstats.data.contract import K_ANONYMITY as K
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Reader, Warehouse, WarehouseError
from greenstats.metrics import privacy
from greenstats.metrics.filters import Filters, where_actions
from greenstats.metrics.queries import base, headline, people
from greenstats.screens import actions, overview
from greenstats.ui import fmt, words
from tests import handbuilt

SEED = privacy_seed.derive(pseudonym.UserKey(b"a fixed user key for these tests", "test"))
CELL = privacy.Cell("users_active", ("CN-XZ",), date(2025, 3, 1), date(2025, 3, 31), "month")


def _cells(count: int) -> list[privacy.Cell]:
    """`count` distinct cells, as the users chart names its bars."""
    start = date(2020, 1, 1)
    return [
        privacy.Cell("users_active", ("CN-GD",), start + timedelta(days=i), None, "day")
        for i in range(count)
    ]


# --- the rounding ------------------------------------------------------------------------------


def test_zero_is_zero_and_a_count_under_k_reads_less_than_k() -> None:
    assert privacy.rounded(0, CELL, SEED) == 0
    assert fmt.people(privacy.rounded(0, CELL, SEED)) == "0"
    for n in range(1, K):
        shown = privacy.rounded(n, CELL, SEED)
        assert shown == privacy.UNDER_K, n  # the same for every small count: it tells nothing
        assert fmt.people(shown) == f"< {K}"
        assert fmt.people(shown, "zh") == f"< {K}"


def test_a_count_of_k_or_more_is_a_multiple_of_k_less_than_k_away_and_never_below_k() -> None:
    for cell in _cells(20):
        for n in range(K, 3_000, 7):
            shown = privacy.rounded(n, cell, SEED)
            assert shown % K == 0, (n, shown)
            assert abs(shown - n) < K, (n, shown)
            assert shown >= K, (n, shown)  # a true 12 shows 10 or 20, never 0
            assert shown in (n - n % K, n - n % K + K)
        for n in range(K, 300, K):
            assert privacy.rounded(n, cell, SEED) == n  # a multiple of k is shown as it is


def test_the_same_question_gets_the_same_answer() -> None:
    """Consistent: asked again (with a new Cell equal to the first, regions in another order),
    every count gets the answer it got before, so asking again gives nothing to average."""
    first = [privacy.rounded(n, c, SEED) for c in _cells(50) for n in range(K, 200)]
    again = [privacy.rounded(n, c, bytes(SEED)) for c in _cells(50) for n in range(K, 200)]
    assert first == again
    swapped = privacy.Cell("users_new", ("CN-XZ", "CN-XJ", "CN-XZ"), date(2025, 3, 2))
    ordered = privacy.Cell("users_new", ("CN-XJ", "CN-XZ"), date(2025, 3, 2))
    assert swapped.text() == ordered.text()
    assert [privacy.rounded(n, swapped, SEED) for n in range(K, 500)] == [
        privacy.rounded(n, ordered, SEED) for n in range(K, 500)
    ]


def test_the_rounding_depends_on_the_seed_as_two_independent_coins_would() -> None:
    """Under another user key's seed a count rounds the other way about as often as two
    independent coins disagree: Σ 2p(1 − p) of the counts, p = (n mod k) / k, within four
    standard deviations."""
    other = privacy_seed.derive(pseudonym.UserKey(b"another user key, another warehouse", "test"))
    assert other != SEED
    assert privacy_seed.derive(pseudonym.UserKey(b"a fixed user key for these tests", "x")) == SEED
    rng = random.Random(1)
    asked = [(rng.randrange(K, 5_000), cell) for cell in _cells(4_000)]
    differ = sum(privacy.rounded(n, c, SEED) != privacy.rounded(n, c, other) for n, c in asked)
    chance = [2 * (n % K / K) * (1 - n % K / K) for n, _ in asked]
    mean, sd = sum(chance), math.sqrt(sum(q * (1 - q) for q in chance))
    assert abs(differ - mean) <= 4 * sd, (differ, mean, sd)


def test_the_rounding_is_unbiased_over_many_cells() -> None:
    """The shown count is the true one on average: over many cells the mean error is within
    four standard errors of 0, the standard error from the variance of each rounding,
    k² p (1 − p) with p = (n mod k) / k. And one count, 23, rounds up in 3 cells out of 10."""
    rng = random.Random(2)
    asked = [(rng.randrange(K, 100_000), cell) for cell in _cells(20_000)]
    errors = [privacy.rounded(n, c, SEED) - n for n, c in asked]
    variance = sum(K * K * (n % K / K) * (1 - n % K / K) for n, _ in asked)
    assert abs(sum(errors)) <= 4 * math.sqrt(variance), sum(errors) / len(errors)
    cells = _cells(10_000)
    up = sum(privacy.rounded(23, c, SEED) == 30 for c in cells) / len(cells)
    assert abs(up - 0.3) <= 4 * math.sqrt(0.3 * 0.7 / len(cells)), up


def test_a_bar_s_total_is_the_sum_of_its_shown_parts() -> None:
    """New and returning users both shown: the active users shown are their sum (the stacked
    bar and its table agree). One of them under k: the total is rounded on its own."""
    cells = (privacy.Cell("users_new"), privacy.Cell("users_returning"), CELL)
    for new, returning in ((12, 15), (0, 37), (40, 0), (19, 11)):
        shown = privacy.parts(new, returning, new + returning, cells, SEED)
        assert shown[2] == shown[0] + shown[1]
        assert shown[0] % K == shown[1] % K == 0
    new, returning, active = privacy.parts(3, 24, 27, cells, SEED)
    assert (new, active) == (privacy.UNDER_K, privacy.rounded(27, CELL, SEED))
    assert returning in (20, 30)


# --- the pages, on small groups ------------------------------------------------------------------

#: Distinct users per region (Xinjiang's 3 and Xizang's 12 are the reviewer's case); Hainan has
#: none. Four users of Guangdong also act in Beijing, so regions' users do not simply add up.
GROUPS = {"CN-XJ": 3, "CN-XZ": 12, "CN-GD": 60, "CN-BJ": 20, "CN-NM": 1, "CN-SH": 9}
REGIONS = (*GROUPS, "CN-HI")
ACTIONS = ("walking", "metro_ride", "e_invoice")
BRANDS = ("brand-a", "brand-b")
FIRST, LAST = date(2025, 3, 1), date(2025, 4, 15)
#: The user key the small groups are loaded with.
SMALL_GROUPS_KEY = "a fixed user key for the small groups"
AS_OF = date(2025, 5, 1)


def _events() -> str:
    rng = random.Random(26)
    rows = ["event_id,user_id,occurred_at,action,region,energy_g,brand_id"]
    members = [(region, f"{region}-{i}") for region, n in GROUPS.items() for i in range(n)]
    members += [("CN-BJ", f"CN-GD-{i}") for i in range(4)]
    for region, user in members:
        # Once in the last 30 days (the reviewer's period), and up to twice at any time.
        days = [LAST - timedelta(days=rng.randrange(30))]
        days += [FIRST + timedelta(days=rng.randrange((LAST - FIRST).days + 1))
                 for _ in range(rng.randint(0, 2))]  # fmt: skip
        for day in days:
            action, brand = rng.choice(ACTIONS), rng.choice(("", *BRANDS))
            rows.append(f"e{len(rows)},{user},{day} 10:00,{action},{region},100,{brand}")
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def small_groups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse of GROUPS, loaded under a fixed user key, for which no two of its 105 users
    share a register of the sketch: every count the pages estimate is then the exact one, so a
    count shown can be held to the true count."""
    root = tmp_path_factory.mktemp("small-groups")
    (root / "input").mkdir()
    (root / "input" / "actions.csv").write_text(_events(), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(pseudonym.ENV_VAR, SMALL_GROUPS_KEY)
        ingest_folder(root / "input", root / "warehouse", handbuilt.REFERENCE_MIN)
    with Warehouse(root / "warehouse").open_snapshot() as r:
        everyone = Filters(as_of=AS_OF)
        assert people.users_active_exact(r, everyone) == 105
        assert people.users_active_sketch(r, everyone) == 105
    return root / "warehouse"


@pytest.fixture(scope="module")
def small_groups_reader(small_groups: Path) -> Iterator[Reader]:
    """One reader of the small groups for every example the hypothesis test draws."""
    with Warehouse(small_groups).open_snapshot() as r:
        yield r


def _number(text: str) -> int | str:
    """A count as shown: the number, or the words ("< 10", "not shown")."""
    return int(text.replace(",", "")) if re.fullmatch(r"[\d,]+", text) else text


def _true_users(r: Reader, f: Filters) -> int:
    """Distinct users in the period and regions, counted from the lake (all actions and
    brands, as the contract counts users)."""
    return people.users_active_exact(r, replace(f, actions=(), brands=()))


def _true_bars(r: Reader, f: Filters, grain: str) -> dict[str, tuple[int, int, int]]:
    """Per bar label: the true new, returning and active users, from the lake and the exact
    mart of new users."""
    w = where_actions(replace(f, actions=(), brands=()))
    bucket = base.TIME_GRAINS[grain]
    active = dict(r.rows(
        f"SELECT CAST({bucket} AS DATE), count(DISTINCT user_id) FROM read_parquet(?::VARCHAR[]) "
        f"{w.sql} GROUP BY 1", [r.lake_paths("actions"), *w.params],
    ))  # fmt: skip
    w = where_actions(Filters(f.date_from, f.date_to, f.regions))
    new = dict(r.rows(
        f"SELECT CAST({bucket} AS DATE), sum(count_new_users)::BIGINT FROM mart_new_users_daily "
        f"{w.sql} GROUP BY 1", w.params,
    ))  # fmt: skip
    return {
        words.period_label(day, grain, "en"): (new.get(day, 0), n - new.get(day, 0), n)
        for day, n in active.items()
    }


def _shown(r: Reader, f: Filters, grain: str) -> tuple[int | str, dict[str, list[int | str]]]:
    """What a reader reads: the Overview's active users card, and the Actions page's users
    table (new, returning, active per bar), from the functions the pages call."""
    cards = overview.overview_cards(headline.page_summary(r, f), (0.0, 0.0, 0.0), "en")
    card = next(c.value for c in cards if c.key == "users_active")
    _, table, _ = actions.cohorts(people.users_shown(r, f, grain), grain, "en")
    bars = {
        row.label: [_number(row.users_new), _number(row.users_returning), _number(row.users_active)]
        for row in table.itertuples()
    }
    return _number(card), bars


def _check_against_truth(shown: int | str, truth: int, slack: int = K) -> None:
    """`< k` exactly for 1 to k − 1, 0 for 0, else a multiple of k within `slack` of it."""
    if 0 < truth < K:
        assert shown == f"< {K}", (shown, truth)
    elif truth == 0:
        assert shown == 0, (shown, truth)
    else:
        assert isinstance(shown, int), (shown, truth)
        assert shown % K == 0, (shown, truth)
        assert shown >= K, (shown, truth)
        assert abs(shown - truth) < slack, (shown, truth)


def _check(r: Reader, f: Filters, grain: str) -> tuple[int | str, dict[str, list[int | str]]]:
    card, bars = _shown(r, f, grain)
    _check_against_truth(card, _true_users(r, f))
    truths = _true_bars(r, f, grain)
    for label, (new, returning, active) in bars.items():
        true_new, true_returning, true_active = truths.get(label, (0, 0, 0))
        split = "not shown" not in (new, returning)
        # Shown as the sum of its two shown parts, a bar's total is within 2k of the truth.
        _check_against_truth(active, true_active, 2 * K if split else K)
        for part, truth, other in ((new, true_new, returning), (returning, true_returning, new)):
            if part == "not shown":  # the other part is under k: this one would give it away
                assert other == f"< {K}", (label, bars[label])
                assert truth >= K, (label, bars[label])
            else:
                _check_against_truth(part, truth)
    return card, bars


@st.composite
def neighbours(draw: st.DrawFn) -> tuple[str, Filters, Filters]:
    """Two filter sets that differ by one value: a region, an action or a brand added or
    removed, or the period's first or last day moved by one."""
    lo = draw(st.dates(FIRST - timedelta(days=3), LAST + timedelta(days=1)))
    hi = draw(st.dates(lo, LAST + timedelta(days=3)))
    chosen = {
        "region": draw(st.sets(st.sampled_from(REGIONS), max_size=4)),
        "action": draw(st.sets(st.sampled_from(ACTIONS))),
        "brand": draw(st.sets(st.sampled_from(BRANDS))),
    }
    change = draw(st.sampled_from(["region", "action", "brand", "first day", "last day"]))
    step = timedelta(days=draw(st.sampled_from([-1, 1])))
    base = Filters(lo, hi, *(tuple(sorted(chosen[k])) for k in ("region", "action", "brand")),
                   as_of=AS_OF)  # fmt: skip
    if change == "first day":
        lo2 = min(lo + step, hi)
        return change, base, replace(base, date_from=lo2 if lo2 != lo else lo - step)
    if change == "last day":
        hi2 = max(hi + step, lo)
        return change, base, replace(base, date_to=hi2 if hi2 != hi else hi - step)
    toggled = chosen[change] ^ {draw(st.sampled_from({"region": REGIONS, "action": ACTIONS,
                                                      "brand": BRANDS}[change]))}  # fmt: skip
    field = {"region": "regions", "action": "actions", "brand": "brands"}[change]
    return change, base, replace(base, **{field: tuple(sorted(toggled))})


#: The reviewer's two pairs (issue 26): the last 30 days, Xinjiang + Xizang against Xizang and
#: Guangdong + Xinjiang against Guangdong. Xinjiang's 3 users were a difference of two counts.
LAST_30 = Filters(LAST - timedelta(days=29), LAST, as_of=AS_OF)
REVIEWED = [
    ("region", replace(LAST_30, regions=("CN-XZ",)), replace(LAST_30, regions=("CN-XJ", "CN-XZ"))),
    ("region", replace(LAST_30, regions=("CN-GD",)), replace(LAST_30, regions=("CN-GD", "CN-XJ"))),
]


@given(pair=neighbours(), grain=st.sampled_from(["day", "week", "month"]))
@example(pair=REVIEWED[0], grain="week")
@example(pair=REVIEWED[1], grain="month")
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_no_difference_of_two_counts_shown_gives_away_fewer_than_k_people(
    small_groups_reader: Reader, pair: tuple[str, Filters, Filters], grain: str
) -> None:
    change, a, b = pair
    card_a, bars_a = _check(small_groups_reader, a, grain)
    card_b, bars_b = _check(small_groups_reader, b, grain)
    if change in ("action", "brand"):  # users are counted across all actions and brands
        assert (card_a, bars_a) == (card_b, bars_b)
    shown = [(card_a, card_b)] + [
        (x, y) for label in bars_a.keys() & bars_b.keys()
        for x, y in zip(bars_a[label], bars_b[label], strict=True)
    ]  # fmt: skip
    for x, y in shown:
        if isinstance(x, int) and isinstance(y, int):
            assert abs(x - y) % K == 0, (change, a, b, x, y)  # never 1 to k − 1


def test_the_reviewer_s_xinjiang_is_less_than_10_and_no_difference_gives_its_3(
    small_groups: Path,
) -> None:
    with Warehouse(small_groups).open_snapshot() as r:
        truth = {
            g: _true_users(r, replace(LAST_30, regions=g))
            for g in (("CN-XJ",), ("CN-XZ",), ("CN-XJ", "CN-XZ"), ("CN-GD",), ("CN-GD", "CN-XJ"))
        }
        xinjiang = _shown(r, replace(LAST_30, regions=("CN-XJ",)), "week")[0]
        unions = {pair[2].regions: _shown(r, pair[2], "week")[0] for pair in REVIEWED}
        alone = {pair[1].regions: _shown(r, pair[1], "week")[0] for pair in REVIEWED}
    assert list(truth.values()) == [3, 12, 15, 60, 63]  # as the reviewer found them
    assert xinjiang == f"< {K}"
    for (union, u), (single, s) in zip(unions.items(), alone.items(), strict=True):
        assert isinstance(u, int), (union, u)
        assert isinstance(s, int), (single, s)
        assert (u - s) % K == 0, (union, u, single, s)  # 0 or ±10: never Xinjiang's 3


def test_the_same_people_asked_for_another_way_get_the_same_answer(small_groups: Path) -> None:
    """The cell of a count from the sketches is the people's sketch, not the words of the
    filters: adding a region where no one acted (Hainan), days after the last one with data,
    or an action or a brand (users are counted across them) asks the same question, and gets
    the same answer, so rewording it gives no second draw to average."""
    with Warehouse(small_groups).open_snapshot() as r:
        for regions in [("CN-XJ", "CN-XZ"), ("CN-SH",), ("CN-GD", "CN-BJ"), ()]:
            f = replace(LAST_30, regions=regions)
            card = _shown(r, f, "month")[0]
            assert isinstance(card, int) or card == f"< {K}", card
            for same in (
                replace(f, regions=(*regions, "CN-HI") if regions else ()),
                replace(f, date_to=LAST + timedelta(days=5)),
                replace(f, actions=("e_invoice",), brands=("brand-b",)),
            ):
                assert _shown(r, same, "month")[0] == card, (f, same)


def test_the_seed_is_kept_beside_the_snapshots_and_pages_need_no_user_key(
    small_groups: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest keeps the seed of its user key in the warehouse (not the key), so a dashboard
    that holds no key, or another one, shows the same counts; a warehouse without the file
    (last loaded before it was kept) derives it from the key in force; a damaged one says so."""
    key = pseudonym.UserKey(SMALL_GROUPS_KEY.encode(), "test")
    kept = (small_groups / privacy_seed.SEED_FILE).read_text(encoding="ascii")
    assert kept == privacy_seed.derive(key).hex() + "\n"
    assert SMALL_GROUPS_KEY.encode().hex() not in kept
    f = replace(LAST_30, regions=("CN-XJ", "CN-XZ"))
    monkeypatch.setenv(pseudonym.ENV_VAR, "another user key, not this warehouse's")
    with Warehouse(small_groups).open_snapshot() as r:
        shown = _shown(r, f, "week")
    copy = tmp_path / "copy"
    shutil.copytree(small_groups, copy)
    (copy / privacy_seed.SEED_FILE).unlink()
    monkeypatch.setenv(pseudonym.ENV_VAR, SMALL_GROUPS_KEY)
    with Warehouse(copy).open_snapshot() as r:
        assert _shown(r, f, "week") == shown
    (copy / privacy_seed.SEED_FILE).write_text("not hex\n", encoding="ascii")
    with Warehouse(copy).open_snapshot() as r, pytest.raises(WarehouseError) as err:
        headline.page_summary(r, f)
    assert str(err.value) == (
        f"{copy / privacy_seed.SEED_FILE} is damaged (it should hold 64 hex characters): nothing "
        "was changed; remove it, and the next ingest writes it again."
    )
