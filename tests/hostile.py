"""Hostile input, in one place: the strings a hostile partner or a crafted link would use, a
warehouse whose every free text holds one of them, and the checks that they show as text.

The columns made hostile are derived from the contract (greenstats.data.contract.TABLES), never
listed by hand: a free text column added to the contract is swept without a change here.
"""

from __future__ import annotations

import ast
import csv
import json
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from greenstats.data import contract
from greenstats.data.contract import TABLES, Column, Table
from greenstats.data.pipeline import IngestResult, ingest_folder
from greenstats.ui.frame.filters import FILTER_KEYS
from tests import handbuilt

ROOT = Path(__file__).resolve().parent.parent

#: The host every hostile link, image and formula points at (TEST-NET-2: never routed).
HOST = "198.51.100.7"

HOSTILE = [
    f"[Click here to re-login](http://{HOST}/x)",
    f"![x](http://{HOST}/x.png)",
    f'<a href="http://{HOST}/">Alxa</a>',
    f"<img src=http://{HOST}/i.png>",
    "'; DROP TABLE actions; --",
    f'=HYPERLINK("http://{HOST}","x")',
    ":red[alarm] :material/warning: **bold** $x^2$",
]

#: The longest text the contract lets a value hold, made of markdown links.
LONG_TEXT = (f"[a](http://{HOST}/l)" * 100)[: contract.TEXT_MAX_CHARS]
#: A 10 kB URL value (a link is not bounded by the contract): links and images repeated.
LONG_URL_VALUE = (f"[a](http://{HOST}/u)![i](http://{HOST}/u.png)" * 300)[:10_000]

#: What a data value is drawn from, in turn.
DATA_VALUES = [*HOSTILE, LONG_TEXT]
#: What a URL value is drawn from, in turn.
URL_VALUES = [*HOSTILE, LONG_URL_VALUE]


def free_text_columns(table: Table) -> list[Column]:
    """The columns of a table a partner writes freely and a page can show: text with no code
    list and no reference, neither the table's own id (a one-column key) nor the pseudonymous
    user id. A column of a composite key (a species' scientific name) is free text too."""
    return [
        c
        for c in table.columns
        if c.type == "text"
        and not c.allowed
        and not c.references
        and c.name != "user_id"
        and (c.name,) != table.key
    ]


def swept_columns() -> dict[str, list[str]]:
    """Table → its free text columns, for every table of the contract that has some."""
    return {t.name: [c.name for c in free_text_columns(t)] for t in TABLES if free_text_columns(t)}


@dataclass
class Hostile:
    """Turns each distinct original value into a distinct hostile one, in turn through
    DATA_VALUES: a value that appeared twice (a duplicate key, a brand on many actions) is the
    same hostile value twice, and two values never collide (a suffix after the first round)."""

    values: dict[str, str] = field(default_factory=dict)

    def __call__(self, original: str) -> str:
        if original not in self.values:
            i = len(self.values)
            base = DATA_VALUES[i % len(DATA_VALUES)]
            suffix = f" {i // len(DATA_VALUES)}" if i >= len(DATA_VALUES) else ""
            self.values[original] = base[: contract.TEXT_MAX_CHARS - len(suffix)] + suffix
        return self.values[original]

    @property
    def shown(self) -> list[str]:
        return list(self.values.values())


#: Brands: the hand-built actions credit two; the first has a name here, the second has none and
#: is shown by its id. Both the id and the name are hostile.
BRANDS = [("brand-metro", "Metro Pay", "地铁支付")]


def _rewrite(path: Path, table: Table, hostile: Hostile) -> None:
    """Every free text value of a CSV made hostile, and the free text columns the file lacks
    added with a hostile value in every row. An empty value stays empty (a missing name is
    rejected as before, an action without a brand keeps none)."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    columns = free_text_columns(table)
    added = {c.name for c in columns if c.name not in header}
    for col in columns:
        if col.name in added:
            header.append(col.name)
            for row in body:
                if len(row) >= len(header) - 1:  # a short row stays short (rejected as before)
                    row.append("")
    at = {name: i for i, name in enumerate(header)}
    for row in body:
        for col in columns:
            i = at[col.name]
            if i >= len(row):
                continue
            if row[i]:
                row[i] = hostile(row[i])
            elif col.name in added:
                row[i] = hostile(f"{table.name}.{col.name}:{len(hostile.values)}")
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *body])


def write_folder(folder: Path) -> tuple[Path, Path, Hostile]:
    """The hand-built input folder and a copy of the minimal reference with every free text
    hostile (names of actions and species too); returns (input folder, reference, values)."""
    hostile = Hostile()
    handbuilt.write(folder)
    brands = folder / "brands.csv"
    with brands.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([["brand_id", "name", "name_zh"], *BRANDS])
    by_name = contract.TABLES_BY_NAME
    for path in sorted(folder.glob("*.csv")):
        _rewrite(path, by_name[path.stem], hostile)
    # The brand ids the actions now carry: brands.csv names the first one.
    with brands.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[1][0] = hostile("brand-metro")
    with brands.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    _parquet_brands(folder / "actions" / "2025-04.parquet", hostile)
    reference = folder.parent / "reference"
    shutil.copytree(handbuilt.REFERENCE_MIN, reference)
    for kind in ("actions", "species"):
        path = reference / f"{kind}.csv"
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        rows[0] += ["name_en", "name_zh"]
        for row in rows[1:]:
            row += [hostile(f"{kind}.name_en:{row[0]}"), hostile(f"{kind}.name_zh:{row[0]}")]
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    return folder, reference, hostile


def _parquet_brands(path: Path, hostile: Hostile) -> None:
    """The brand ids of a Parquet file of actions made hostile, as in the CSV."""
    brands = [b for _, *_, b in handbuilt.ACTIONS_PARQUET_ROWS if b]
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE m (k VARCHAR, v VARCHAR)")
        con.executemany(
            "INSERT INTO m VALUES (?, ?)", [(b, hostile(b)) for b in dict.fromkeys(brands)]
        )
        source = str(path).replace("'", "''")
        con.execute(
            f"CREATE TABLE t AS SELECT a.* REPLACE (coalesce(m.v, a.brand_id) AS brand_id) "
            f"FROM read_parquet('{source}') a LEFT JOIN m ON a.brand_id = m.k"
        )
        con.execute(f"COPY t TO '{source}' (FORMAT parquet)")
    finally:
        con.close()


# --- the links ---------------------------------------------------------------------------------


def url_parameters() -> list[str]:
    """Every URL parameter the app reads, found in its source: the key of every widget bound
    to the link (`bind="query-params"`; the filter bar binds one per FILTER_KEYS in a loop)
    and every name read from st.query_params."""
    found: set[str] = set()
    files = [
        ROOT / "dashboard.py",
        *(ROOT / "pages").glob("*.py"),
        *(ROOT / "greenstats").rglob("*.py"),
    ]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            words = {k.arg: k.value for k in node.keywords}
            bind = words.get("bind")
            if isinstance(bind, ast.Constant) and bind.value == "query-params":
                key = words.get("key")
                if isinstance(key, ast.Constant):
                    found.add(key.value)
                else:  # the filter bar's loop over its keys
                    assert path.name == "filters.py", (path, node.lineno)
                    found.update(FILTER_KEYS)
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("get_all", "get", "__getitem__")
                and "query_params" in ast.unparse(func.value)
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return sorted(found)


URL_PARAMETERS = url_parameters()


def page_parameters(page: str) -> set[str]:
    """The parameters a page's own widgets read from the link (Actions' grain, Projects'
    partner and project), found in pages/<page>.py."""
    found = set()
    for node in ast.walk(ast.parse((ROOT / "pages" / f"{page}.py").read_text())):
        if isinstance(node, ast.Call):
            words = {k.arg: k.value for k in node.keywords}
            bind, key = words.get("bind"), words.get("key")
            if isinstance(bind, ast.Constant) and bind.value == "query-params":
                assert isinstance(key, ast.Constant), (page, node.lineno)
                found.add(key.value)
    return found


#: Parameters only one page reads, by page; the rest are read by the frame on every page.
OWN_PARAMETERS = {p.stem: page_parameters(p.stem) for p in sorted((ROOT / "pages").glob("*.py"))}
ALL_PAGES = set(URL_PARAMETERS) - set().union(*OWN_PARAMETERS.values())


def noticed(page: str) -> set[str]:
    """The parameters whose unrecognised value a page names in its notice: every parameter
    it reads (a mistyped or outdated link is never silently half-applied)."""
    return ALL_PAGES | OWN_PARAMETERS.get(page, set())


ROUNDS = range(len(URL_VALUES))


def link(round_: int) -> dict[str, str]:
    """Round k of the sweep: parameter i carries URL_VALUES[(i + k) % n], so over the rounds
    every parameter meets every hostile value (and the 10 kB one) on every page."""
    n = len(URL_VALUES)
    return {p: URL_VALUES[(i + round_) % n] for i, p in enumerate(URL_PARAMETERS)}


# --- the checks ---------------------------------------------------------------------------------


def renders_link_or_image(markdown: str) -> bool:
    """Whether markdown would draw a link or an image: an unescaped '](' or '<a' / '<img', or
    a bare web address or email address (markdown makes it a link)."""
    return bool(re.search(r"(?<!\\)\]\(|(?<!\\)<(a|img)\b|https?://|www\.|\w@\w", markdown))


#: An autolink, '<https://…>': a link whose text is its own address. Only the methodology's
#: sources are written so (fmt.escape_md(links=True)); a name is never.
AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>")


#: Markup a chart's text may hold: greenstats' own bold and line breaks, Plotly's <extra>.
_OWN_TAGS = re.compile(r"</?(b|br|extra|i|sup|sub)\s*/?>", re.IGNORECASE)
#: A tag: '<' before a letter, '/' or '!' (a name's '<' is written '&lt;', which Plotly shows).
_MARKUP = re.compile(r"<\s*[a-z/!]", re.IGNORECASE)


def strings(value: object) -> Iterator[str]:
    """Every string inside a JSON value (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def figure_strings(spec: str) -> list[str]:
    """Every string of a Plotly figure's JSON."""
    return list(strings(json.loads(spec)))


def figure_markup(spec: str) -> list[str]:
    """The strings of a Plotly figure's JSON that hold a tag other than greenstats' own (a
    link, an image, any other HTML): Plotly draws a subset of HTML in its texts. An href or a
    src outside a tag is text ('&lt;a href=…&gt;' shows as the characters it holds)."""
    return [s for s in figure_strings(spec) if _MARKUP.search(_OWN_TAGS.sub("", s))]


def plain(text: str) -> str:
    """Text as a reader reads it: without the zero-width spaces escaping inserts."""
    return text.replace("\u200b", "")


def appears(values: Iterable[str], texts: Iterable[str]) -> set[str]:
    """The values that appear, whole, in some text."""
    texts = [plain(t) for t in texts]
    return {v for v in values if any(v in t for t in texts)}


@dataclass(frozen=True)
class Built:
    """A warehouse loaded from the hostile folder: where it is, what ingest did, the values."""

    db: Path
    folder: Path
    reference: Path
    result: IngestResult
    values: list[str]


def build(root: Path) -> Built:
    """Write the hostile folder under `root` and ingest it into `root/wh`."""
    folder, reference, hostile = write_folder(root / "input")
    result = ingest_folder(folder, root / "wh", reference)
    return Built(root / "wh", folder, reference, result, hostile.shown)
