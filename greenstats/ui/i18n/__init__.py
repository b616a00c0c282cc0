"""All UI text in one translation table (strings.csv: key, en, zh), and the language in use."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
TABLE = Path(__file__).with_name("strings.csv")


@cache
def _table() -> dict[str, dict[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as fh:
        return {row["key"]: {lang: row[lang] for lang in LANGUAGES} for row in csv.DictReader(fh)}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for `key` in `lang`, with {placeholders} filled; a missing key is an error."""
    try:
        text = _table()[key][lang if lang in LANGUAGES else DEFAULT_LANGUAGE]
    except KeyError:
        raise KeyError(f"no UI text {key!r} in greenstats/ui/i18n/strings.csv") from None
    return text.format(**values) if values else text


def collated(labels: Mapping[str, str], lang: str) -> list[str]:
    """The codes of `labels` (code → label) in the order a reader of `lang` expects of the
    labels: alphabetical in English, by pinyin in Chinese (ICU collation, built into DuckDB)."""
    import duckdb

    if not labels:
        return []
    collation = "zh" if lang == "zh" else "en"
    rows = duckdb.execute(
        "SELECT code FROM (SELECT unnest(?::VARCHAR[]) AS code, unnest(?::VARCHAR[]) AS label) "
        f"ORDER BY label COLLATE {collation}, code",
        [list(labels), [str(v) for v in labels.values()]],
    ).fetchall()
    return [code for (code,) in rows]


def keys() -> list[str]:
    """Every key of the table (the tests check each has both languages)."""
    return list(_table())
