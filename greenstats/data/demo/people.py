"""Users and their actions: the program's calendar (weekends, Spring Festival, the 2020
lockdowns, shopping festivals), a population of users (join dates on an adoption curve, heavy-
tailed activity, home regions, a newcomer every week), the partner brands that credit actions,
and each chunk of action events: who, what, where, when, which brand and how much energy."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenstats.data import contract

if TYPE_CHECKING:
    from greenstats.data.demo.redemptions import _Catalog


DEMO_START = date(2016, 8, 27)  # Ant Forest's launch
DEMO_END = date(2026, 11, 27)  # last day with events, inclusive

# Action events per distinct user, on average. With the awards of ACTIONS (about 60 g an event
# once the caps bind) a user earns about 40 kg of energy over the demo, as Ant Forest's did
# (37.68 Mt in eight years from more than 600M users: at most 63 kg each), and the demo's users
# plant 0.8 trees each, between Ant Forest's 0.54 (326M trees, 600M users, 2021) and 1.03
# (619M trees by 2025): PROGRAM_USERS, PROGRAM_TREES.
EVENTS_PER_USER = 700
MIN_USERS = 200
CHUNK_ROWS = 2_000_000  # at most about this many events in memory at once


#: Ant Forest's published users and trees by a date; the demo's users, trees and newcomers
#: follow them (docs/DEMO.md). Sources: chinaplus.cri.cn/video/trending-videos/166/20171023/
#: 42843.html (200M users); retailnews.asia/500-million-users-have-joined-alipay-ant-forest-
#: initiative-planting-100-million-trees; socialnews.xyz/2021/08/25/over-600-million-people-
#: planted-more-than-326-million-trees-via-alipay-ant-forest-in-five-years; 163.com/dy/article/
#: K81EHCQ50519EI0N.html (619M trees in 2025; 37.68 Mt of energy in eight years:
#: chaguwang.cn/neimu/688688/202409064443.html).
PROGRAM_USERS: tuple[tuple[date, float], ...] = (
    (date(2017, 10, 23), 200e6), (date(2019, 4, 15), 500e6), (date(2021, 8, 25), 600e6),
)  # fmt: skip
PROGRAM_TREES: tuple[tuple[date, float], ...] = (
    (date(2019, 4, 15), 100e6), (date(2021, 8, 25), 326e6),
    (date(2025, 12, 31), 619e6),  # "2025", the month not given: the year's end
)  # fmt: skip

# Users: the share of all users who have joined by a date, at the published 200 : 500 : 600
# (Oct 2017, Apr 2019, Aug 2021), then growing a little slower than in 2019-2021 (4-5 % a
# year against 8 %), and how they behave.
ADOPTION_CURVE: tuple[tuple[date, float], ...] = (
    (DEMO_START, 0.0), (date(2016, 12, 31), 0.09), (date(2017, 10, 15), 0.26),
    (date(2018, 6, 30), 0.45), (date(2019, 4, 15), 0.65), (date(2020, 6, 30), 0.73),
    (date(2021, 8, 25), 0.78), (date(2023, 6, 30), 0.87), (DEMO_END, 1.0),
)  # fmt: skip
POPULATION_PER_ACTIVE_USER = 1.14  # users generated per user seen with ≥ 1 event
MEAN_LIFETIME_DAYS = 6_000  # a user stays active this long on average (about 6% leave a year)
ACTIVITY_SIGMA = 1.2  # lognormal spread of per-user activity: a few users do much of it ...
ACTIVITY_CAP_Z = 3.7  # ... capped at this many sigmas (about 1 user in 10,000): no bots
HOME_SHARE = 0.93  # share of a user's actions in their home region
COMMUTER_SHARE = 0.45
PLANTER_SHARE = 0.75  # users who ever spend energy; the rest only collect it


class Region(NamedTuple):
    """How many people live in a region, how much they use Alipay, how big its metro is."""

    population_m: float
    alipay: float
    metro: float


REGIONS: dict[str, Region] = {
    "CN-AH": Region(61.0, 1.0, 1.0), "CN-BJ": Region(21.9, 1.4, 3.0),
    "CN-CQ": Region(32.1, 1.0, 2.0), "CN-FJ": Region(41.5, 1.2, 1.0),
    "CN-GD": Region(126.0, 1.3, 3.0), "CN-GS": Region(25.0, 0.75, 0.3),
    "CN-GX": Region(50.1, 0.9, 0.8), "CN-GZ": Region(38.6, 0.8, 0.6),
    "CN-HA": Region(99.4, 0.9, 1.0), "CN-HB": Region(57.8, 1.0, 2.0),
    "CN-HE": Region(74.6, 0.9, 0.6), "CN-HI": Region(10.1, 1.0, 0.05),
    "CN-HK": Region(7.5, 0.3, 2.0), "CN-HL": Region(31.9, 0.8, 0.6),
    "CN-HN": Region(66.4, 0.95, 1.0), "CN-JL": Region(24.1, 0.8, 0.6),
    "CN-JS": Region(84.7, 1.3, 2.0), "CN-JX": Region(45.2, 0.9, 0.6),
    "CN-LN": Region(42.6, 0.9, 1.0), "CN-MO": Region(0.7, 0.3, 0.3),
    "CN-NM": Region(24.0, 0.8, 0.3), "CN-NX": Region(7.2, 0.8, 0.05),
    "CN-QH": Region(5.9, 0.75, 0.05), "CN-SC": Region(83.7, 1.0, 2.0),
    "CN-SD": Region(101.5, 1.0, 1.0), "CN-SH": Region(24.9, 1.5, 3.0),
    "CN-SN": Region(39.5, 0.95, 2.0), "CN-SX": Region(34.9, 0.85, 0.6),
    "CN-TJ": Region(13.9, 1.1, 2.0), "CN-TW": Region(23.6, 0.01, 0.0),
    "CN-XJ": Region(25.9, 0.7, 0.3), "CN-XZ": Region(3.6, 0.7, 0.0),
    "CN-YN": Region(47.2, 0.9, 0.6), "CN-ZJ": Region(64.6, 1.6, 2.0),
}  # fmt: skip


class ActionSpec(NamedTuple):
    """How often an action happens, what it earns, when, and which brands credit it."""

    share: float  # share of events by count, before regional and daily modifiers
    energy_g: int  # fixed award; 0 = drawn per event (see _energy)
    launched: date  # first day it earns energy
    weekend: float  # intensity on Saturday and Sunday relative to a weekday
    hours: str  # time-of-day profile, a key of HOURS
    brand_group: str  # partner brands that credit it, a key of BRAND_GROUPS ("" = none)
    brand_share: float  # share of its events that carry a brand
    cap: tuple[str, int] | None  # at most n per user per "day" or "month"


# Excess events over a cap become offline payments, so offline_payment comes first.
ACTIONS: dict[str, ActionSpec] = {
    "offline_payment": ActionSpec(0.34, 5, DEMO_START, 1.10, "meals", "merchant", 0.30, None),
    "walking": ActionSpec(0.27, 0, DEMO_START, 1.30, "steps", "", 0.0, ("day", 1)),
    "metro_ride": ActionSpec(0.10, 52, date(2017, 1, 10), 0.55, "commute", "", 0.0, None),
    "bus_ride": ActionSpec(0.08, 80, date(2017, 6, 1), 0.65, "commute", "", 0.0, None),
    "e_invoice": ActionSpec(0.064, 5, date(2017, 4, 1), 0.50, "office", "", 0.0, None),
    "delivery_no_cutlery": ActionSpec(
        0.046, 16, date(2017, 9, 1), 1.20, "meals", "delivery", 1.0, None
    ),
    "bike_share": ActionSpec(0.035, 0, date(2017, 5, 15), 0.90, "commute", "bikeshare", 1.0, None),
    "utility_bill_online": ActionSpec(0.02, 262, DEMO_START, 1.0, "office", "", 0.0, ("month", 3)),
    "no_plastic_packaging": ActionSpec(
        0.02, 0, date(2019, 6, 1), 1.15, "evening", "retail", 1.0, None
    ),
    "e_ticket": ActionSpec(0.012, 180, DEMO_START, 1.6, "evening", "ticketing", 1.0, ("month", 10)),
    "hospital_online": ActionSpec(
        0.006, 277, date(2018, 3, 1), 0.6, "office", "", 0.0, ("month", 2)
    ),
    "efficient_appliance": ActionSpec(
        0.0015, 0, date(2020, 6, 1), 1.3, "evening", "appliance", 1.0, ("month", 2)
    ),
}
TRANSIT_ACTIONS = ("metro_ride", "bus_ride", "bike_share")
SHOPPING_ACTIONS = ("no_plastic_packaging", "efficient_appliance")

# Relative intensity by hour of day (China time), 0 h … 23 h.
HOURS: dict[str, tuple[int, ...]] = {
    "steps": (1, 0, 0, 0, 1, 3, 8, 12, 12, 8, 5, 3, 3, 2, 2, 2, 2, 2, 3, 4, 5, 6, 5, 3),
    "commute": (0, 0, 0, 0, 0, 1, 4, 12, 14, 6, 3, 3, 3, 3, 3, 3, 4, 9, 12, 7, 4, 3, 2, 1),
    "meals": (1, 1, 0, 0, 0, 1, 2, 5, 6, 4, 4, 7, 9, 6, 4, 3, 4, 6, 9, 8, 6, 4, 3, 2),
    "office": (0, 0, 0, 0, 0, 0, 1, 2, 5, 8, 9, 8, 5, 6, 8, 8, 7, 5, 3, 3, 2, 2, 1, 0),
    "evening": (2, 1, 1, 0, 0, 0, 0, 1, 2, 3, 4, 4, 5, 4, 4, 4, 5, 6, 8, 10, 11, 10, 8, 5),
}

# Lunar new year's days; activity dips from the eve to the sixth day.
SPRING_FESTIVALS: tuple[date, ...] = (
    date(2017, 1, 28), date(2018, 2, 16), date(2019, 2, 5), date(2020, 1, 25),
    date(2021, 2, 12), date(2022, 2, 1), date(2023, 1, 22), date(2024, 2, 10),
    date(2025, 1, 29), date(2026, 2, 17),
)  # fmt: skip
FESTIVAL_DIP: dict[int, float] = {-1: 0.72, 0: 0.48, 1: 0.5, 2: 0.55, 3: 0.6, 4: 0.67, 5: 0.75,
                                  6: 0.85}  # fmt: skip
# (date, factor) knots of the 2020 Covid lockdowns, for all actions and for public transport.
COVID_ALL = ((date(2020, 1, 20), 1.0), (date(2020, 1, 24), 0.8), (date(2020, 2, 29), 0.85),
             (date(2020, 4, 15), 1.0))  # fmt: skip
COVID_TRANSIT = ((date(2020, 1, 20), 1.0), (date(2020, 1, 24), 0.15), (date(2020, 2, 29), 0.2),
                 (date(2020, 3, 31), 0.55), (date(2020, 4, 30), 0.8),
                 (date(2020, 6, 30), 1.0))  # fmt: skip


# Partner brands: how many per group and the word endings of their (fictional) names.
BRAND_GROUPS: dict[str, tuple[int, tuple[str, ...]]] = {
    "delivery": (6, ("bite", "dash", "bowl", "runner", "eats", "spoon")),
    "retail": (45, ("mart", "goods", "basket", "market", "store", "cart", "grocer", "pantry")),
    "appliance": (30, ("volt", "home", "cool", "electric", "kitchen", "appliance")),
    "ticketing": (10, ("cinema", "tix", "stage", "screens", "pass")),
    "bikeshare": (4, ("bike", "cycle", "wheels", "ride")),
    "merchant": (25, ("cafe", "tea", "noodle", "bakery", "pharmacy", "fresh")),
}
BRAND_WORDS: tuple[str, ...] = (
    "green", "jade", "bamboo", "pine", "willow", "cedar", "orchid", "cloud", "meadow", "pebble",
    "sprout", "fern", "moss", "birch", "peony", "camellia", "juniper", "heron", "lark", "magpie",
    "ginkgo", "tealeaf", "plum", "apricot", "sesame", "millet", "lantern", "kite", "ribbon",
    "amber", "coral", "indigo", "saffron", "sunny", "dewdrop", "breeze", "acorn", "clover",
    "thistle", "hazel", "linden", "wisteria", "jasmine", "osmanthus", "lychee", "longan",
    "pomelo", "kumquat", "oolong", "matcha", "tofu", "mochi", "dumpling", "noodle", "walnut",
    "chestnut", "pepper", "ginger", "lotusleaf", "reed",
)  # fmt: skip

#: Chinese for the brand words and endings: a brand's Chinese name is its word's then its
#: ending's ("竹子小食" for Bamboo Bite).
BRAND_WORD_ZH: dict[str, str] = {
    "green": "绿野", "jade": "翡翠", "bamboo": "竹子", "pine": "青松", "willow": "垂柳",
    "cedar": "香杉", "orchid": "幽兰", "cloud": "云朵", "meadow": "草甸", "pebble": "石子",
    "sprout": "新芽", "fern": "蕨叶", "moss": "青苔", "birch": "白桦", "peony": "牡丹",
    "camellia": "山茶", "juniper": "香柏", "heron": "白鹭", "lark": "云雀", "magpie": "喜鹊",
    "ginkgo": "银杏", "tealeaf": "茶叶", "plum": "梅子", "apricot": "杏子", "sesame": "芝麻",
    "millet": "小米", "lantern": "灯笼", "kite": "风筝", "ribbon": "丝带", "amber": "琥珀",
    "coral": "珊瑚", "indigo": "靛蓝", "saffron": "藏红花", "sunny": "晴天", "dewdrop": "露珠",
    "breeze": "清风", "acorn": "橡果", "clover": "三叶草", "thistle": "蓟花", "hazel": "榛子",
    "linden": "椴树", "wisteria": "紫藤", "jasmine": "茉莉", "osmanthus": "桂花",
    "lychee": "荔枝", "longan": "龙眼", "pomelo": "柚子", "kumquat": "金桔", "oolong": "乌龙",
    "matcha": "抹茶", "tofu": "豆腐", "mochi": "麻薯", "dumpling": "饺子", "noodle": "面条",
    "walnut": "核桃", "chestnut": "栗子", "pepper": "胡椒", "ginger": "生姜",
    "lotusleaf": "荷叶", "reed": "芦苇",
}  # fmt: skip
BRAND_ENDING_ZH: dict[str, str] = {
    "bite": "小食", "dash": "速送", "bowl": "饭碗", "runner": "跑腿", "eats": "外卖",
    "spoon": "小勺", "mart": "超市", "goods": "良品", "basket": "菜篮", "market": "市集",
    "store": "商店", "cart": "优购", "grocer": "杂货铺", "pantry": "食品铺", "volt": "伏特",
    "home": "家电", "cool": "制冷", "electric": "电气", "kitchen": "厨电", "appliance": "电器",
    "cinema": "影城", "tix": "票务", "stage": "剧场", "screens": "影院", "pass": "通票",
    "bike": "单车", "cycle": "骑行", "wheels": "车轮", "ride": "出行", "cafe": "咖啡",
    "tea": "茶饮", "noodle": "面馆", "bakery": "烘焙", "pharmacy": "大药房", "fresh": "生鲜",
}  # fmt: skip
#: How a brand word is written in an English brand name, where not just capitalised.
BRAND_WORD_EN: dict[str, str] = {"tealeaf": "Tea Leaf", "lotusleaf": "Lotus Leaf"}


_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
_CST_US = 8 * _HOUR_US  # China Standard Time is UTC+08:00


# --- the calendar and the users ----------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    """One entry per demo day (index 0 = DEMO_START), China time."""

    days: np.ndarray  # datetime64[D]
    months: np.ndarray  # datetime64[M], the distinct months
    month_of_day: np.ndarray  # index into months
    action_mix: np.ndarray  # (days, actions) relative intensity of each action
    intensity: np.ndarray  # (days,) relative intensity of all actions
    midnight_us: np.ndarray  # (days,) the day's China midnight as UTC µs since the epoch
    weekend: np.ndarray  # (days,) Saturday or Sunday


@dataclass(frozen=True)
class _Users:
    """Per-user state that does not change; index = user number."""

    ids: pa.Array
    join: np.ndarray  # first active day
    leave: np.ndarray  # first inactive day (n_days: never)
    rate: np.ndarray  # relative activity
    home: np.ndarray  # home region index
    commuter: np.ndarray
    planter: np.ndarray
    # One user per full week (Monday to Sunday) whose first action is on a busy day of it, so
    # that every week has new users: who, and that day (see _weekly_newcomers).
    newcomer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    newcomer_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def _rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent generator for one named stream of the demo."""
    return np.random.default_rng([seed, *stream])


def _day_index(d: date) -> int:
    return (d - DEMO_START).days


def _calendar() -> _Calendar:
    """Days, months and the daily rhythm of each action."""
    days = np.arange(np.datetime64(DEMO_START, "D"), np.datetime64(DEMO_END, "D") + 1)
    months, month_of_day = np.unique(days.astype("datetime64[M]"), return_inverse=True)
    ordinal = days.astype(np.int64)
    weekend = (ordinal + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    festival = _spring_festival(days)
    mix = np.stack(
        [_action_rhythm(code, spec, days, weekend, festival) for code, spec in ACTIONS.items()],
        axis=1,
    )
    overall = festival * _knots(days, COVID_ALL)
    midnight = ordinal * _DAY_US - _CST_US
    return _Calendar(days, months, month_of_day, mix, overall * mix.sum(axis=1), midnight, weekend)


def _action_rhythm(
    code: str, spec: ActionSpec, days: np.ndarray, weekend: np.ndarray, festival: np.ndarray
) -> np.ndarray:
    """Relative daily intensity of one action: weekends, launch, Covid, shopping festivals."""
    f = spec.share * np.where(weekend, spec.weekend, 1.0)
    f[days < np.datetime64(spec.launched)] = 0.0
    if code in TRANSIT_ACTIONS:  # city workers go home for the festival; Covid emptied trains
        f *= _knots(days, COVID_TRANSIT) * np.sqrt(festival)
    if code in SHOPPING_ACTIONS:
        f *= _shopping_festivals(days)
    return f


def _spring_festival(days: np.ndarray) -> np.ndarray:
    """Factor of all activity: the dip from lunar new year's eve to the sixth day."""
    f = np.ones(days.size)
    for new_year in SPRING_FESTIVALS:
        for offset, factor in FESTIVAL_DIP.items():
            i = _day_index(new_year) + offset
            if 0 <= i < days.size:
                f[i] = factor
    return f


def _knots(days: np.ndarray, knots: tuple[tuple[date, float], ...]) -> np.ndarray:
    """A factor interpolated linearly between (date, factor) knots, 1 outside them."""
    x = [np.datetime64(d, "D").astype(np.int64) for d, _ in knots]
    return np.interp(days.astype(np.int64), x, [v for _, v in knots], left=1.0, right=1.0)


def _shopping_festivals(days: np.ndarray) -> np.ndarray:
    """Factor of online shopping: Double-11 (Nov 11) and 618 (Jun 18)."""
    month = days.astype("datetime64[M]")
    dom = (days - month).astype(np.int64) + 1
    mon = month.astype(np.int64) % 12 + 1
    f = np.ones(days.size)
    f[(mon == 11) & (dom <= 9)] = 1.3
    f[(mon == 11) & ((dom == 10) | (dom == 12))] = 2.5
    f[(mon == 11) & (dom == 11)] = 7.0
    f[(mon == 6) & ((dom == 17) | (dom == 19))] = 1.5
    f[(mon == 6) & (dom == 18)] = 3.0
    return f


def _region_weights() -> np.ndarray:
    """Share of users per region (contract order): population × Alipay use."""
    w = np.array([REGIONS[c].population_m * REGIONS[c].alipay for c in contract.REGION_CODES])
    return w / w.sum()


def _users(seed: int, events: int, n_days: int) -> _Users:
    """Join dates on the adoption curve, heavy-tailed activity, home regions, pseudonymous ids."""
    rng = _rng(seed, 1)
    n = max(MIN_USERS, round(events / EVENTS_PER_USER * POPULATION_PER_ACTIVE_USER))
    knot_days = [_day_index(d) for d, _ in ADOPTION_CURVE]
    join = np.interp(rng.random(n), [s for _, s in ADOPTION_CURVE], knot_days).astype(np.int64)
    lifetime = 1 + rng.exponential(MEAN_LIFETIME_DAYS, n).astype(np.int64)
    leave = np.minimum(join + lifetime, n_days)
    rate = np.exp(np.minimum(rng.normal(0.0, ACTIVITY_SIGMA, n), ACTIVITY_CAP_Z * ACTIVITY_SIGMA))
    home = rng.choice(len(contract.REGION_CODES), n, p=_region_weights()).astype(np.int16)
    commuter = rng.random(n) < COMMUTER_SHARE
    planter = rng.random(n) < PLANTER_SHARE
    numbers = rng.choice(1_000_000_000, size=n, replace=False)
    return _Users(_ids("u", numbers, 9), join, leave, rate, home, commuter, planter)


def _weekly_newcomers(users: _Users, counts: np.ndarray, rng: np.random.Generator) -> _Users:
    """Users with one newcomer a week: a program gains users every week, not only in its
    first years. Each full week's newcomer is a user who joins in it (else, for a week nobody
    joins in, one moved there from another week, who is not that week's newcomer) and makes
    their first action on the week's busiest day; _events gives them an event that day."""
    n_days = counts.size
    first_monday = (7 - DEMO_START.weekday()) % 7
    n_weeks = (n_days - first_monday) // 7
    week_days = first_monday + 7 * np.arange(n_weeks)[:, None] + np.arange(7)
    busiest = week_days[np.arange(n_weeks), counts[week_days].argmax(axis=1)]
    has_events = counts[week_days].max(axis=1) > 0
    week = (users.join - first_monday) // 7
    week[(users.join < first_monday) | (week >= n_weeks)] = -1
    taken = week >= 0
    weeks, first = np.unique(week[taken], return_index=True)
    newcomer = np.full(n_weeks, -1, np.int64)
    newcomer[weeks] = np.flatnonzero(taken)[first]
    empty = np.flatnonzero((newcomer < 0) & has_events)
    others = np.setdiff1d(np.arange(users.join.size), newcomer[newcomer >= 0])
    k = min(empty.size, others.size)
    newcomer[np.sort(rng.choice(empty, k, replace=False))] = rng.choice(others, k, replace=False)
    chosen = np.flatnonzero((newcomer >= 0) & has_events)
    who, day = newcomer[chosen], busiest[chosen]
    join, leave = users.join.copy(), users.leave.copy()
    lifetime = np.maximum(leave[who] - join[who], 1)
    join[who] = day
    leave[who] = np.minimum(day + lifetime, n_days)
    return replace(users, join=join, leave=leave, newcomer=who, newcomer_day=day)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Strings `prefix` + zero-padded `numbers`, built by Arrow (no Python loop)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _random_day(rng: np.random.Generator, lo: date, hi: date) -> date:
    return lo + timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


def _brands(
    rng: np.random.Generator,
) -> tuple[pa.Array, list[dict], np.ndarray, np.ndarray, np.ndarray]:
    """About 120 fictional partner brands: ids, rows of brands.csv (id, English and Chinese
    name), group, Zipf-like popularity, appliance energy."""
    ids, rows, group, weight = [], [], [], []
    for g, (count, endings) in enumerate(BRAND_GROUPS.values()):
        for i in range(count):
            word, ending = (
                BRAND_WORDS[(g * 11 + i * 7) % len(BRAND_WORDS)],
                endings[i % len(endings)],
            )
            ids.append(f"brand-{word}{ending}")
            rows.append({"brand_id": ids[-1],
                         "name": f"{BRAND_WORD_EN.get(word, word.title())} {ending.title()}",
                         "name_zh": BRAND_WORD_ZH[word] + BRAND_ENDING_ZH[ending]})  # fmt: skip
        ranks = rng.permutation(count) + 1
        group += [g] * count
        weight += (1.0 / ranks**1.1).tolist()
    assert len(set(ids)) == len(ids), "brand ids must be unique"
    energy = rng.integers(10, 31, len(ids)) * 100  # 1,000–3,000 g per appliance
    return pa.array(ids), rows, np.array(group), np.array(weight), energy


# --- actions ---------------------------------------------------------------------------------


def _day_counts(
    seed: int, users: _Users, cal: _Calendar, events: int, exact: bool = False
) -> np.ndarray:
    """Events per day: the active users' activity × the day's rhythm, summing to `events`.
    `exact`: a day nobody is active on gets no event, where the sum of activities may leave a
    rounding error's weight (off by default: it would change every seed's draws)."""
    n_days = cal.days.size
    joins = np.bincount(users.join, users.rate, n_days)
    gone = users.leave < n_days
    leaves = np.bincount(users.leave[gone], users.rate[gone], n_days)
    weight = np.clip(np.cumsum(joins - leaves), 0.0, None) * cal.intensity
    if exact:
        weight[_active_users(users, n_days) == 0] = 0.0
    return _rng(seed, 3).multinomial(events, weight / weight.sum())


def _newcomers_and_days(
    seed: int, users: _Users, cal: _Calendar, events: int
) -> tuple[_Users, np.ndarray]:
    """The users with their weekly newcomers (_weekly_newcomers), and the events per day. A
    user moved to be a later week's newcomer may have been the only one active on some days
    (a small demo: seed 7 at 100,000 events): then the days' events follow the users as they
    now are, so that every event has a user active on its day (_pick_users)."""
    counts = _day_counts(seed, users, cal, events)
    users = _weekly_newcomers(users, counts, _rng(seed, 7))
    if _unattended(users, counts).size:
        counts = _day_counts(seed, users, cal, events, exact=True)
    return users, counts


def _active_users(users: _Users, n_days: int) -> np.ndarray:
    """How many users are active on each day."""
    joins = np.bincount(users.join, minlength=n_days + 1)[:n_days]
    leaves = np.bincount(users.leave, minlength=n_days + 1)[:n_days]
    return np.cumsum(joins - leaves)


def _unattended(users: _Users, counts: np.ndarray) -> np.ndarray:
    """The days that have events and no active user (each event needs one: _pick_users)."""
    return np.flatnonzero((counts > 0) & (_active_users(users, counts.size) == 0))


def _chunks(cal: _Calendar, counts: np.ndarray) -> list[list[np.ndarray]]:
    """Per month, its days split into chunks of about CHUNK_ROWS events at most."""
    out = []
    for m in range(cal.months.size):
        days = np.flatnonzero(cal.month_of_day == m)
        part = np.cumsum(counts[days]) // (CHUNK_ROWS + 1)
        out.append([days[part == k] for k in np.unique(part)])
    return out


def _pick_users(users: _Users, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each event, a user active that day, in proportion to their activity."""
    pool = np.flatnonzero((users.join <= day.max()) & (users.leave > day.min()))
    cdf = np.cumsum(users.rate[pool])
    cdf /= cdf[-1]
    out = np.empty(day.size, np.int64)
    todo = np.arange(day.size)
    while todo.size:  # redraw users who had not joined yet, or had left, on the event's day
        pick = pool[np.searchsorted(cdf, rng.random(todo.size), side="right")]
        ok = (users.join[pick] <= day[todo]) & (users.leave[pick] > day[todo])
        out[todo[ok]] = pick[ok]
        todo = todo[~ok]
    return out


def _first_actions(
    user: np.ndarray, day: np.ndarray, users: _Users, rng: np.random.Generator
) -> None:
    """Give each weekly newcomer whose day falls in this chunk one of that day's events (their
    first: they joined that day). `day` is in order."""
    due = (users.newcomer_day >= day[0]) & (users.newcomer_day <= day[-1])
    on = users.newcomer_day[due]
    lo, hi = np.searchsorted(day, on, side="left"), np.searchsorted(day, on, side="right")
    some = hi > lo
    pick = lo[some] + (rng.random(int(some.sum())) * (hi - lo)[some]).astype(np.int64)
    user[pick] = users.newcomer[due][some]


def _action_factors() -> tuple[np.ndarray, np.ndarray]:
    """(regions × actions) and (non-commuter/commuter × actions) factors, mean 1 per action."""
    codes = list(ACTIONS)
    metro = np.array([REGIONS[c].metro for c in contract.REGION_CODES])
    region = np.ones((metro.size, len(codes)))
    region[:, codes.index("metro_ride")] = metro
    region[:, codes.index("bus_ride")] = 1.5 - 0.5 * np.minimum(metro, 1.0)
    region[:, codes.index("bike_share")] = 0.4 + 0.3 * metro
    region /= _region_weights() @ region
    person = np.ones((2, len(codes)))
    for code, (other, commuter) in {"metro_ride": (0.3, 1.9), "bus_ride": (0.5, 1.6),
                                    "bike_share": (0.6, 1.5)}.items():  # fmt: skip
        person[:, codes.index(code)] = (other, commuter)
    person /= np.array([1 - COMMUTER_SHARE, COMMUTER_SHARE]) @ person
    return region, person


def _pick_actions(
    cal: _Calendar, day: np.ndarray, region: np.ndarray, commuter: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """Each event's action, given its day, its region and whether the user commutes."""
    by_region, by_person = _action_factors()
    d0 = int(day.min())
    mix = cal.action_mix[d0 : int(day.max()) + 1]
    w = mix[:, None, None, :] * by_region[None, :, None, :] * by_person[None, None, :, :]
    cdf = np.cumsum(w, axis=-1).reshape(-1, w.shape[-1])
    cdf /= cdf[:, -1:]
    combo = ((day - d0) * by_region.shape[0] + region) * 2 + commuter
    u = rng.random(day.size)
    action = np.zeros(day.size, np.int16)
    for k in range(cdf.shape[1] - 1):
        action += u >= cdf[combo, k]
    return action


def _apply_caps(action: np.ndarray, user: np.ndarray, day: np.ndarray, cal: _Calendar) -> None:
    """Events over a per-user cap (walking once a day, bills a few a month) become payments."""
    for a, spec in enumerate(ACTIONS.values()):
        if spec.cap is None:
            continue
        period, limit = spec.cap
        idx = np.flatnonzero(action == a)
        slot = day[idx] if period == "day" else cal.month_of_day[day[idx]]
        key = user[idx] * 8192 + slot
        order = np.argsort(key, kind="stable")
        k = key[order]
        first = np.r_[True, k[1:] != k[:-1]]
        pos = np.arange(k.size)
        rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
        action[idx[order[rank >= limit]]] = 0  # offline_payment


def _pick_brands(action: np.ndarray, cat: _Catalog, rng: np.random.Generator) -> np.ndarray:
    """The partner brand that credited each event (-1: none), Zipf-like within its group."""
    brand = np.full(action.size, -1, np.int16)
    groups = list(BRAND_GROUPS)
    for a, spec in enumerate(ACTIONS.values()):
        if not spec.brand_group:
            continue
        idx = np.flatnonzero(action == a)
        idx = idx[rng.random(idx.size) < spec.brand_share]
        members = np.flatnonzero(cat.brand_group == groups.index(spec.brand_group))
        cdf = np.cumsum(cat.brand_weight[members])
        brand[idx] = members[np.searchsorted(cdf / cdf[-1], rng.random(idx.size), side="right")]
    return brand


def _energy(
    action: np.ndarray, brand: np.ndarray, weekend: np.ndarray, cat: _Catalog,
    rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """Green energy awarded per event, g: fixed per action, or drawn for steps, bikes, goods."""
    codes = list(ACTIONS)
    energy = np.array([s.energy_g for s in ACTIONS.values()], np.int64)[action]
    walk = np.flatnonzero(action == codes.index("walking"))
    steps = rng.lognormal(np.log(6_500), 0.55, walk.size) * np.where(weekend[walk], 1.15, 1)
    energy[walk] = np.minimum(steps // 50, 296)  # 10,000 steps ≈ 200 g, at most 296 g a day
    bike = np.flatnonzero(action == codes.index("bike_share"))
    energy[bike] = rng.integers(20, 41, bike.size)
    bag = np.flatnonzero(action == codes.index("no_plastic_packaging"))
    energy[bag] = rng.choice([60, 80, 100, 120, 150], bag.size, p=[0.1, 0.2, 0.4, 0.2, 0.1])
    fridge = np.flatnonzero(action == codes.index("efficient_appliance"))
    model = rng.choice([0.8, 1.0, 1.2], fridge.size)
    energy[fridge] = np.clip(np.round(cat.brand_energy[brand[fridge]] * model, -1), 1_000, 3_000)
    return energy


def _clock(
    action: np.ndarray, day: np.ndarray, cal: _Calendar, rng: np.random.Generator
) -> np.ndarray:
    """UTC µs of each event: the action's time-of-day profile on its China-time day."""
    hour = np.empty(action.size, np.int64)
    u = rng.random(action.size)
    for a, spec in enumerate(ACTIONS.values()):
        idx = np.flatnonzero(action == a)
        cdf = np.cumsum(np.array(HOURS[spec.hours]) + 0.25)  # nobody sleeps everywhere at once
        hour[idx] = np.searchsorted(cdf / cdf[-1], u[idx], side="right")
    return cal.midnight_us[day] + hour * _HOUR_US + rng.integers(0, _HOUR_US, action.size)


def _events(
    days: np.ndarray, counts: np.ndarray, users: _Users, cal: _Calendar, cat: _Catalog,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:  # fmt: skip
    """One chunk of good action events, in time order (columns as arrays)."""
    day = np.repeat(days, counts[days])
    user = _pick_users(users, day, rng)
    _first_actions(user, day, users, rng)
    travel = rng.random(day.size) >= HOME_SHARE
    region = users.home[user].copy()
    region[travel] = rng.choice(len(contract.REGION_CODES), int(travel.sum()), p=_region_weights())
    action = _pick_actions(cal, day, region, users.commuter[user].astype(np.int64), rng)
    _apply_caps(action, user, day, cal)
    brand = _pick_brands(action, cat, rng)
    energy = _energy(action, brand, cal.weekend[day], cat, rng)
    t = _clock(action, day, cal, rng)
    order = np.argsort(t, kind="stable")
    cols = {"user": user, "t": t, "action": action, "region": region, "energy": energy,
            "brand": brand}  # fmt: skip
    out = {k: v[order] for k, v in cols.items()}
    out["user_null"] = np.zeros(day.size, bool)
    out["t_null"] = np.zeros(day.size, bool)
    out["dup"] = np.zeros(day.size, bool)
    return out
