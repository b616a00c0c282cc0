"""User ids never reach the disk: the keyed hash ingest stores in their place.

Every `user_id` of the tables that carry one (`TABLES_WITH_USERS`) is replaced, before anything
is written, by its pseudonym: HMAC-SHA-256 of the id's canonical form (UTF-8) under the user
key, cut to its first 64 bits, stored as the signed 64-bit integer with those bits (BIGINT,
big-endian: half the bytes of the 16 hex characters stored before issue 28, and grouped and
joined as a number). The same person has the same pseudonym in every load made with the same
key, so distinct counts, marts and sketches read the pseudonym as they read the id; the
sketches read its bits (greenstats/data/build.py). With another key every person counts as new
(README, "User ids"). Where a pseudonym is shown as text (a hidden reject's marker, the key's
fingerprint) it is the same 64 bits as 16 lowercase hex characters.

A load hashes each distinct id once (`Pseudonyms`, in Python's memory: never DuckDB's, which
may spill to disk), not once per row: a file of a million actions has some ten thousand users.

The key is, in this order:

1. the environment variable `GREENSTATS_USER_KEY`: any text of at least `MIN_KEY_CHARS`
   characters, used as its UTF-8 bytes (a hex string is used as text, not decoded);
2. the git-ignored file `data/user_key` of the project: the same, its text stripped; generated
   once with `secrets.token_hex(32)` when it is missing (the demo and the tests).

The key itself is never written into SQL text: `install` hands DuckDB its HMAC pads as BLOB
variables of the work connection, which `sql` reads with `getvariable`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from greenstats.data.contract import TABLES, canonical_key
from greenstats.data.paths import PROJECT_ROOT
from greenstats.data.warehouse import WarehouseError

#: The environment variable that holds the key (any text; see the module's docstring).
ENV_VAR = "GREENSTATS_USER_KEY"
#: The key's file when the environment names none: generated once, git-ignored.
KEY_FILE = PROJECT_ROOT / "data" / "user_key"
#: A shorter key could be found by trying keys against a guessed id: refused.
MIN_KEY_CHARS = 16
#: Hex characters of a pseudonym shown as text (64 bits).
HEX_CHARS = 16
#: The most ids a load keeps the pseudonyms of (`Pseudonyms`): about 100 MB of Python's memory.
KEPT_IDS = 1_000_000
#: The tables whose rows carry a user id.
TABLES_WITH_USERS = frozenset(t.name for t in TABLES if "user_id" in t.names)
#: The rules whose rejected value such a table keeps as it is: a blank, or a date or a time
#: that broke a bound; it cannot be a user id. A value that broke any other rule may be
#: anything, a user id shifted into another column included, and so may a number out of its
#: bounds: many ids are numbers (Alipay's are 16 digits), and a swapped header puts one in
#: `energy_g`, whose bound it breaks.
SHOWN_RULES = frozenset({"missing", "too_early", "too_late", "bad_offset"})
#: What a rejected row of such a table stores instead of a line it could not split into columns.
LINE_HIDDEN = "(line hidden: it may hold a user id)"
#: How a rejected value of such a table that broke a type, code, length or control rule is
#: stored: this prefix, the value's pseudonym, ")" (the same pseudonym the lake would give it).
HIDDEN_PREFIX = "(hidden: "

_BLOCK = 64  # SHA-256's block size: the HMAC pads' length
_IPAD_VAR, _OPAD_VAR = "greenstats_user_ipad", "greenstats_user_opad"
#: What the key's fingerprint is the pseudonym of (a snapshot records it: see `fingerprint`).
_FINGERPRINT_OF = "greenstats user key fingerprint v1"


class UserKeyError(WarehouseError):
    """The key cannot be had: the message says where it was looked for and what to do (the CLI
    prints it as any warehouse error)."""


@dataclass(frozen=True)
class UserKey:
    """The secret of the pseudonyms and where it came from (never its value in a repr)."""

    secret: bytes = field(repr=False)
    source: str

    def pseudonym(self, user_id: str) -> int:
        """The stored form of a user id: the keyed hash of its canonical form (white space at
        either end and BOMs removed, NFC, `2088.0` as `2088`: contract.canonical_key), its
        first 64 bits as a signed integer."""
        digest = hmac.new(self.secret, canonical_key(user_id).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def pseudonym_hex(self, user_id: str) -> str:
        """The pseudonym as text: its 64 bits as 16 hex characters."""
        return hex_text(self.pseudonym(user_id))

    @property
    def fingerprint(self) -> str:
        """A name for the key that does not reveal it: a snapshot records it, and a load with
        another key into the same warehouse is refused (it would count everyone twice)."""
        return self.pseudonym_hex(_FINGERPRINT_OF)

    def pads(self) -> tuple[bytes, bytes]:
        """HMAC's inner and outer padded keys (RFC 2104): a key longer than a block is hashed."""
        key = self.secret
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hex_text(value: int) -> str:
    """A pseudonym's 64 bits as 16 lowercase hex characters (as SHA-256 writes them)."""
    return f"{value & 0xFFFF_FFFF_FFFF_FFFF:016x}"


class Pseudonyms:
    """The pseudonyms of the user ids a load has met, each id hashed once (HMAC's padded keys
    hashed once, each id's hash resumed from them). Held in Python's memory, which never
    reaches the disk, unlike DuckDB's, which may spill; at most KEPT_IDS ids are kept (then
    forgotten, and hashed again when met again)."""

    def __init__(self, key: UserKey) -> None:
        ipad, opad = key.pads()
        self._inner, self._outer = hashlib.sha256(ipad), hashlib.sha256(opad)
        self._known: dict[str, int] = {}

    def of(self, ids: list[str | None]) -> list[int | None]:
        """The pseudonyms of ids already in canonical form (None stays None)."""
        known = self._known
        if len(known) + len(ids) > KEPT_IDS:
            known.clear()
        out: list[int | None] = []
        for user_id in ids:
            value = known.get(user_id) if user_id is not None else None
            if value is None and user_id is not None:
                inner = self._inner.copy()
                inner.update(user_id.encode())
                outer = self._outer.copy()
                outer.update(inner.digest())
                value = known[user_id] = int.from_bytes(outer.digest()[:8], "big", signed=True)
            out.append(value)
        return out


def _from_text(text: str, source: str) -> UserKey:
    text = text.strip()
    if len(text) < MIN_KEY_CHARS:
        raise UserKeyError(
            f"The user key in {source} is {len(text)} characters long; it needs at least "
            f"{MIN_KEY_CHARS} (e.g. python -c 'import secrets; print(secrets.token_hex(32))'). "
            "Nothing was loaded."
        )
    return UserKey(text.encode(), source)


def user_key(environ: os._Environ[str] | dict[str, str] | None = None,
             key_file: Path | None = None) -> UserKey:  # fmt: skip
    """The key: `GREENSTATS_USER_KEY` if set, else the key file, generated if missing."""
    environ = os.environ if environ is None else environ
    key_file = KEY_FILE if key_file is None else Path(key_file)
    if environ.get(ENV_VAR):
        return _from_text(environ[ENV_VAR], ENV_VAR)
    try:
        return _from_text(key_file.read_text(encoding="utf-8"), str(key_file))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        raise UserKeyError(
            f"The user key file {key_file} cannot be read ({getattr(exc, 'strerror', '') or exc}):"
            f" make it readable, or set {ENV_VAR} to the key. Nothing was loaded."
        ) from None
    return _from_text(_generate(key_file), str(key_file))


def _generate(key_file: Path) -> str:
    """Write a new key to `key_file` (readable by its owner only) unless another process got
    there first; returns the key the file holds."""
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, key_file)  # fails if the file exists: the first key made is kept
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return key_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserKeyError(
            f"There is no user key: {ENV_VAR} is not set and {key_file} cannot be created "
            f"({exc.strerror or exc}). Set {ENV_VAR} to a secret of at least {MIN_KEY_CHARS} "
            "characters. Nothing was loaded."
        ) from None


def pad_variables(key: UserKey) -> dict[str, bytes]:
    """The key's HMAC pads by the name of the variable `sql` reads each from."""
    ipad, opad = key.pads()
    return {_IPAD_VAR: ipad, _OPAD_VAR: opad}


#: The function `sql` calls for the signed 64-bit integer of 16 hex characters (a macro on
#: DuckDB; on Spark, greenstats/data/spark/ingest/adapter.py registers a function of this name).
INT_OF_HEX = "greenstats_int_of_hex"
#: The macro on DuckDB: the two halves as integers, the first read as two's complement.
INT_OF_HEX_MACRO = (
    f"CREATE OR REPLACE TEMP MACRO {INT_OF_HEX}(h) AS "
    "(CAST('0x' || left(h, 8) AS BIGINT) - CASE WHEN left(h, 1) >= '8' THEN 4294967296 ELSE 0 END)"
    " * 4294967296 + CAST('0x' || substr(h, 9, 8) AS BIGINT)"
)


def install(con: duckdb.DuckDBPyConnection, key: UserKey) -> None:
    """Give a connection the key's HMAC pads (as parameters: the key is never SQL text) and
    the macro `sql` calls."""
    for name, pad in pad_variables(key).items():
        con.execute(f"SET VARIABLE {name} = ?::BLOB", [pad])
    con.execute(INT_OF_HEX_MACRO)


def hex_sql(value: str) -> str:
    """SQL for the pseudonym as text of a text value already in canonical form (NULL stays
    NULL), on a connection the key was installed on: HMAC = sha256(opad || sha256(ipad ||
    value)), its first 16 hex characters."""
    inner = f"unhex(sha256(getvariable('{_IPAD_VAR}') || encode({value})))"
    return f"left(sha256(getvariable('{_OPAD_VAR}') || {inner}), {HEX_CHARS})"


def sql(value: str) -> str:
    """SQL for the stored pseudonym (BIGINT) of a text value already in canonical form, hashed
    row by row (a CSV file's ids as they are read; `Pseudonyms` hashes each distinct id once)."""
    return f"{INT_OF_HEX}({hex_sql(value)})"


def hex_of_int_sql(value: str) -> str:
    """SQL for a stored pseudonym (BIGINT) as text: its 64 bits as 16 hex characters."""
    return f"lpad(lower(hex({value})), {HEX_CHARS}, '0')"


def hidden_sql(value: str) -> str:
    """SQL for a rejected value as a table with user ids stores it (NULL stays NULL)."""
    return f"'{HIDDEN_PREFIX}' || {hex_sql(value)} || ')'"


def is_hidden(value: object) -> bool:
    """Whether a stored rejected value is one of the markers above (no raw value to show)."""
    return isinstance(value, str) and value.startswith((HIDDEN_PREFIX, LINE_HIDDEN))
