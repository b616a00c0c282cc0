"""What a notification of alerts gives (docs/ALERTS.md): in full only what is new since
the last notification delivered, a count of the others still open and of those that went away.

An alert is known by its kind and subject; one whose severity rose since is new again. What
the last notification gave (its state) is JSON that `state_json` writes and `read_state`
checks whole: anything else is a StateError, never a partial state. Pure: the file itself is
read and written by greenstats/data/alert_state.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from greenstats.data.alert_state import StateError
from greenstats.metrics.alerts import SEVERITIES, Alert, ordered

#: What names a state file as greenstats' own, and the version of its shape.
FORMAT = "greenstats alerts notified"
VERSION = 1

#: An alert's identity: its kind and its subject's (id, value) pairs, sorted.
Key = tuple[str, tuple[tuple[str, str], ...]]


def key(a: Alert) -> Key:
    """The identity of an alert across runs: kind and subject (not its figures or since)."""
    return a.kind, tuple(sorted(a.subject.items()))


def recipients(urls: list[str]) -> str:
    """A fingerprint of the --notify URLs (the state is theirs: other URLs have heard nothing).
    A hash, so the file holds no token of a URL."""
    return hashlib.sha256("\n".join(sorted(set(urls))).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Notified:
    """What the last delivered notification gave: its as-of day, to whom (`recipients`) and
    each alert's severity, by key."""

    as_of: date
    recipients: str
    severities: dict[Key, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Digest:
    """One notification: `new` in full (ordered), the number of others `still_open` since the
    `previous` notification and the number `resolved` since (alerts it gave that are gone)."""

    new: list[Alert]
    still_open: list[Alert]
    resolved: int
    previous: Notified | None

    @property
    def found(self) -> list[Alert]:
        return ordered([*self.new, *self.still_open])

    @property
    def worth_sending(self) -> bool:
        """Something the recipients have not heard: an alert new to them, or one that went."""
        return bool(self.new or self.resolved)


def compare(found: list[Alert], previous: Notified | None) -> Digest:
    """The digest of `found` after the notification `previous` (None: there was none, and every
    alert is new)."""
    if previous is None:
        return Digest(ordered(found), [], 0, None)
    rank = {s: len(SEVERITIES) - i for i, s in enumerate(SEVERITIES)}  # critical ranks highest

    def is_new(a: Alert) -> bool:
        before = previous.severities.get(key(a))
        return before is None or rank[a.severity] > rank[before]

    keys = {key(a) for a in found}
    return Digest(
        new=ordered([a for a in found if is_new(a)]),
        still_open=ordered([a for a in found if not is_new(a)]),
        resolved=sum(k not in keys for k in previous.severities),
        previous=previous,
    )


def state_json(found: list[Alert], as_of: date, to: str, at: datetime) -> str:
    """The state to keep once a notification of `found` reached the recipients `to`."""
    return json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "as_of": as_of.isoformat(),
            "notified_at": at.isoformat(timespec="seconds"),  # for a reader: not checked
            "recipients": to,
            "alerts": [
                {"kind": a.kind, "subject": dict(sorted(a.subject.items())),
                 "severity": a.severity}
                for a in ordered(found)
            ],
        },
        ensure_ascii=False,
        indent=1,
    ) + "\n"  # fmt: skip


def _text(value: object, what: str, longest: int | None = 100) -> str:
    """A text of the state, of 1 to `longest` characters (None: any, which the file's own size
    bounds: a subject's value is an id or a name, as the alert had it)."""
    if not isinstance(value, str) or (longest and not 0 < len(value) <= longest):
        what = f"{what} that is not a text" + (f" of 1 to {longest} characters" if longest else "")
        raise StateError(f"has {what}")
    return value


def read_state(text: str) -> Notified:
    """The state in a file's text, checked whole; a StateError says what is wrong with it."""
    try:
        data: Any = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise StateError("is not JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateError("is not a state of greenstats' notifications")
    if data.get("version") != VERSION:
        raise StateError(f"is not of version {VERSION} of the state's shape")
    try:
        as_of = date.fromisoformat(_text(data.get("as_of"), "an as-of day", 10))
    except ValueError:
        raise StateError("has an as-of day that is not a date (YYYY-MM-DD)") from None
    to = _text(data.get("recipients"), "a fingerprint of its recipients", 64)
    entries = data.get("alerts")
    if not isinstance(entries, list):
        raise StateError("has no list of alerts")
    severities: dict[Key, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("subject"), dict):
            raise StateError("has an alert that is not a kind, a subject and a severity")
        kind = _text(entry.get("kind"), "an alert's kind")
        subject = {_text(k, "a subject's id"): _text(v, "a subject's value", None)
                   for k, v in entry["subject"].items()}  # fmt: skip
        severity = entry.get("severity")
        if severity not in SEVERITIES:
            raise StateError(f"has a severity that is not one of {', '.join(SEVERITIES)}")
        severities[(kind, tuple(sorted(subject.items())))] = severity
    return Notified(as_of, to, severities)


def _no_constant(name: str) -> None:
    raise ValueError(name)  # NaN, Infinity: not JSON
