"""The audit log: one JSON object per line, appended, for each sign-in, each access refused and
each download (README, "Sign-in and roles").

A line holds the time (UTC), the event, the signed-in identity (its verified email, else `sub:`
and its OIDC subject), its subject and its normalised email (as claimed: verified or not), the
role, the page, the filters the page read with, and what was refused or downloaded. A sign-in is
`sign_in` once, in its first browser session; every other browser session its cookie opens is
`session_resumed`. Nothing from the
action logs goes into it: no user id, no event. Lines are written with O_APPEND in one
`write`, so lines of concurrent sessions never interleave; the file is never truncated or
rewritten by greenstats. The path is GREENSTATS_AUDIT_LOG, else data/audit.jsonl.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from greenstats.data.paths import PROJECT_ROOT

ENV = "GREENSTATS_AUDIT_LOG"
DEFAULT_AUDIT_LOG = PROJECT_ROOT / "data" / "audit.jsonl"
#: What a line can record.
EVENTS = frozenset({"sign_in", "session_resumed", "sign_out", "denied", "download"})

_log = logging.getLogger("greenstats.audit")


def audit_path() -> Path:
    return Path(os.environ.get(ENV) or DEFAULT_AUDIT_LOG)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list | frozenset | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def line(event: str, *, identity: str | None, role: str, page: str | None = None,
         filters: dict[str, Any] | None = None, subject: str | None = None,
         email: str | None = None, **detail: Any) -> str:  # fmt: skip
    """One audit line (no newline), keys in a fixed order."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    record = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event": event,
        "identity": identity,
        "subject": subject,
        "email": email,
        "role": role,
        "page": page,
        "filters": _plain(filters or {}),
        **{k: _plain(v) for k, v in detail.items()},
    }
    return json.dumps(record, ensure_ascii=False, sort_keys=False)


def record(event: str, *, identity: str | None, role: str, page: str | None = None,
           filters: dict[str, Any] | None = None, path: Path | None = None,
           subject: str | None = None, email: str | None = None,
           **detail: Any) -> bool:  # fmt: skip
    """Append one line; False (and an error in the server log) when it cannot be written."""
    text = line(event, identity=identity, role=role, page=page, filters=filters,
                subject=subject, email=email, **detail)  # fmt: skip
    target = path or audit_path()
    data = (text + "\n").encode("utf-8")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        _log.error("audit log %s could not be written (%s): %s", target, exc, text)
        return False
    if written != len(data):
        _log.error("audit log %s: short write (%d of %d bytes)", target, written, len(data))
        return False
    return True


def read(path: Path | None = None) -> list[dict[str, Any]]:
    """Every line of the audit log, parsed (tests and reviews)."""
    target = path or audit_path()
    if not target.exists():
        return []
    return [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines() if x]
