"""Sign-ins and sign-outs, kept on the server: what makes sign-out end access.

Streamlit keeps a signed-in identity in a signed cookie (`_streamlit_user`) that it trusts for
30 days, and its sign-out only asks the browser to forget it: a copy of the cookie would still
sign in. So greenstats keeps, for each subject, when it last signed out, and refuses a cookie
whose ID token was issued (`iat`) at or before that moment; and it refuses any cookie whose ID
token is older than `GREENSTATS_SESSION_HOURS` (default 12: a working day).

It also keeps each sign-in it has seen (a hash of subject, `iat` and nonce), so that the audit
log writes `sign_in` once per sign-in and `session_resumed` for every other browser session the
same cookie opens.

SQLite (the standard library's), one small file at GREENSTATS_SESSIONS, else
data/sessions.sqlite, made 0600 (its owner's only, as the audit log): several server processes
may share it, each write is one transaction, and nothing in it identifies a user of the action
logs.
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from greenstats.data.paths import PROJECT_ROOT

ENV = "GREENSTATS_SESSIONS"
DEFAULT_PATH = PROJECT_ROOT / "data" / "sessions.sqlite"
ENV_HOURS = "GREENSTATS_SESSION_HOURS"
DEFAULT_HOURS = 12.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sign_outs (subject TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sign_ins (
    sign_in TEXT PRIMARY KEY, subject TEXT NOT NULL, first_seen REAL NOT NULL);
"""


class SessionSettingError(ValueError):
    """GREENSTATS_SESSION_HOURS is not a number of hours above zero."""


def store_path() -> Path:
    return Path(os.environ.get(ENV) or DEFAULT_PATH)


def max_hours() -> float:
    """How long a sign-in lasts: GREENSTATS_SESSION_HOURS, default 12."""
    text = os.environ.get(ENV_HOURS, "").strip()
    if not text:
        return DEFAULT_HOURS
    try:
        hours = float(text)
    except ValueError:
        hours = math.nan
    if not (math.isfinite(hours) and hours > 0):
        raise SessionSettingError(
            f"{ENV_HOURS}={text!r} is not a number of hours above zero (default {DEFAULT_HOURS:g})"
        )
    return hours


def _connect(path: Path | None) -> sqlite3.Connection:
    target = path or store_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Its owner's only, as the audit log (SQLite gives its journal the file's mode).
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
    con = sqlite3.connect(target, timeout=30, isolation_level=None)
    con.executescript(_SCHEMA)
    return con


def record_sign_out(subject: str, at: float | None = None, path: Path | None = None) -> None:
    """Every sign-in of `subject` issued until now ends (a later sign-in is not affected)."""
    now = time.time() if at is None else at
    with closing(_connect(path)) as con:
        con.execute(
            "INSERT INTO sign_outs VALUES (?, ?) "
            "ON CONFLICT (subject) DO UPDATE SET at = max(at, excluded.at)",
            [subject, now],
        )


def ended(subject: str, issued_at: float, now: float | None = None,
          path: Path | None = None) -> str | None:  # fmt: skip
    """Why a sign-in of `subject` whose ID token was issued at `issued_at` (seconds since 1970)
    no longer opens the dashboard ("signed out", "expired"), or None."""
    now = time.time() if now is None else now
    if now - issued_at > max_hours() * 3600:
        return "expired"
    with closing(_connect(path)) as con:
        row = con.execute("SELECT at FROM sign_outs WHERE subject = ?", [subject]).fetchone()
    if row is not None and issued_at <= row[0]:
        return "signed out"
    return None


def first_session(sign_in: str, subject: str, now: float | None = None,
                  path: Path | None = None) -> bool:  # fmt: skip
    """Whether this is the first browser session of the sign-in `sign_in` (an id the same in
    every session its cookie opens), and remember it."""
    now = time.time() if now is None else now
    with closing(_connect(path)) as con:
        cur = con.execute(
            "INSERT INTO sign_ins VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [sign_in, subject, now]
        )
        return cur.rowcount == 1
