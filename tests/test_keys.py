"""A key is its canonical form (docs/CONTRACT.md, Keys; issue 26): the SQL both engines run
(ingest.rules.canonical) gives what contract.canonical_key says, for any text. The re-send routes
themselves (CSV ↔ Parquet, int ↔ float ↔ text, white space, BOM, NFD), each loaded twice and
counted once, are cases of tests/corpus.py (`dup-resend-*`), which test_spark_ingest.py also
loads on Spark; the Spark SQL of the canonical form is held to DuckDB's in its TYPED_VALUES."""

from __future__ import annotations

import unicodedata

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from greenstats.data.contract import KEY_SPACE, canonical_key
from greenstats.data.ingest.rules import canonical

#: Text made of what the canonical form works on: digits, a point and signs (integral
#: decimals), every white space character and the BOM, letters that compose (e + U+0301 = é)
#: and other text.
_ALPHABET = st.sampled_from(
    list("0123456789.+-eE")
    + list(KEY_SPACE)
    + ["e", "\u0301", "\u00e9", "用", "x", "\x1f", "\u200b"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(_ALPHABET, max_size=12), min_size=1, max_size=40))
def test_the_sql_canonical_form_is_the_contracts(values: list[str]) -> None:
    got = duckdb.execute(
        f"SELECT {canonical('x')} FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(x, i) ORDER BY i",
        [values],
    ).fetchall()
    assert [g for (g,) in got] == [canonical_key(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.text(_ALPHABET, max_size=12))
def test_a_canonical_key_is_its_own_canonical_form(value: str) -> None:
    key = canonical_key(value)
    assert canonical_key(key) == key
    assert unicodedata.is_normalized("NFC", key)
    assert key == key.strip(KEY_SPACE)
    assert "\ufeff" not in key


def test_the_re_sent_forms_of_one_id_are_one_key() -> None:
    forms = ["9002", "9002.0", " 9002.00 ", "9002\u00a0", "\u30009002", "\ufeff9002", "90\ufeff02"]
    assert {canonical_key(f) for f in forms} == {"9002"}
    assert canonical_key("cafe\u0301") == canonical_key("caf\u00e9")
    # Not one key: another number, a fraction, leading zeros, case, a space inside.
    assert len({canonical_key(f) for f in ["9002", "9002.5", "09002", "9.002e3", "90 02"]}) == 5
    assert canonical_key("B1") != canonical_key("b1")
