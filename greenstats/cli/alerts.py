"""`alerts`: what needs attention in the published snapshot, printed, and with --notify sent
to apprise URLs as a digest of what is new since the last notification (its state kept in a
file)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from greenstats.cli.common import (
    AsOfOption,
    DbOption,
    JsonOption,
    err,
    fail,
    out,
    parse_date,
    strict_json,
    warn,
)
from greenstats.metrics.filters import Filters, today_cst

#: `greenstats alerts` exit codes (docs/ALERTS.md).
EXIT_NO_ALERTS, EXIT_ALERTS, EXIT_NOT_DELIVERED = 0, 3, 4

NotifyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--notify",
        help="Send the alerts to this apprise URL (mailto://, slack://, dingtalk://, wecombot://, "
        "json://host:port/path, …); repeat for several. Each alert new since the last "
        "notification is given in full, the others counted; nothing is sent when there is no "
        "alert or nothing new.",
    ),
]

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML file of thresholds overriding the defaults (README)."),
]

StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="With --notify: the file that keeps what the last notification gave (default: "
        "alerts_notified.json in the warehouse folder).",
    ),
]

FullOption = Annotated[
    bool,
    typer.Option("--full", help="With --notify: give every alert in full, not only the new ones."),
]

LinkBaseOption = Annotated[
    str,
    typer.Option(
        "--link-base",
        envvar="GREENSTATS_URL",
        help="The dashboard's address, which each alert's link in a notification starts with.",
    ),
]

DEFAULT_LINK_BASE = "http://localhost:8501"


def alerts(
    db: DbOption = None,
    as_json: JsonOption = False,
    notify: NotifyOption = None,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    state: StateOption = None,
    full: FullOption = False,
    link_base: LinkBaseOption = DEFAULT_LINK_BASE,
) -> None:
    """Check the published snapshot for what needs attention: projects behind plan, survival
    below default or falling, partners' data late, a jump in a load's rejected rows, an old
    planting backlog. Critical alerts first, then warnings, each by kind and subject.

    Exit code 0 when nothing needs attention, 3 when there are alerts (and every --notify URL
    took the notification, or there was nothing new to send), 4 when a notification could not
    be delivered, 1 on a warehouse fault or a state file that cannot be written after the
    notification, 2 on wrong usage (an unknown config key or a bad value, a URL apprise cannot
    use, a --link-base that is not an http(s) address, a state file that cannot be written).
    """
    from greenstats.data.warehouse import Warehouse, WarehouseError
    from greenstats.metrics import alerts as checks
    from greenstats.metrics.queries import alerting, naming
    from greenstats.ui.alert_words import alert_line

    try:
        thresholds = checks.load_config(config)
    except checks.ConfigError as exc:
        raise fail(str(exc), 2) from exc
    if (state is not None or full) and not notify:
        raise fail("--state and --full only apply to a notification: add --notify URL.", 2)
    base = _link_base(link_base) if notify else link_base
    senders = _senders(notify or [])
    f = Filters(as_of=parse_date(as_of, "--as-of") or today_cst())
    warehouse = Warehouse(db)
    try:
        with warehouse.open_snapshot() as r:
            found = alerting.alerts_for(r, f, thresholds)
            names = {k: naming.display_names(r, k, "en") for k in ("projects", "species",
                                                                       "partners")}  # fmt: skip
            version = r.info().get("snapshot")
            labels = _link_labels(r, f, names) if senders else {}
    except WarehouseError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        payload = {"as_of": f.as_of.isoformat(), "snapshot": version,
                   "alerts": [a.as_dict() for a in found]}  # fmt: skip
        sys.stdout.write(strict_json(payload) + "\n")
    elif not found:
        out.print(f"Nothing needs attention as of {f.as_of.isoformat()}.", highlight=False)
    else:
        table = RichTable(
            "severity", "kind", "subject", "since", "what",
            title=f"{len(found)} alert{'s' if len(found) != 1 else ''} as of {f.as_of}",
        )  # fmt: skip
        for a in found:
            subject = ", ".join(f"{k} {v}" for k, v in a.subject.items())
            since = a.since.isoformat() if a.since else ""
            table.add_row(a.severity, a.kind, escape(subject), since,
                          escape(alert_line(a, names, "en")))  # fmt: skip
        out.print(table)
    if senders:
        from greenstats.data import alert_state
        from greenstats.ui.alert_words import notification

        words = partial(notification, names=names, labels=labels, base=base, as_of=f.as_of)
        path = state or alert_state.default_path(warehouse.root)
        _notify(senders, notify or [], path, found, f.as_of, full, words)
    raise typer.Exit(EXIT_ALERTS if found else EXIT_NO_ALERTS)


def _link_base(text: str) -> str:
    """The dashboard's address for the alerts' links: http(s), a host, no query or fragment."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        ok = False
    if not ok or parts.query or parts.fragment or not text.isprintable() or " " in text:
        raise fail(f"--link-base {text[:200]!r} is not the http(s) address the dashboard is "
                    "served at (e.g. https://greenstats.example.org): set it, or GREENSTATS_URL, "
                    "to that address.", 2)  # fmt: skip
    return text


def _link_labels(r: object, f: Filters, names: dict) -> dict[str, dict[str, str]]:
    """What the pages' pickers carry in a link, for the alerts' links (alert_words.alert_page):
    the Projects picker's labels of projects and names of partners, the species' names."""
    from greenstats.screens import projects

    return {
        "projects": projects.project_labels(r, f, "en", None),
        "partners": projects.partners(r, f, "en"),
        "species": dict(names["species"]),
    }


def _notify(senders: list, urls: list[str], path: Path, found: list, as_of: date, full: bool,
            words: Callable) -> None:  # fmt: skip
    """Send the digest of `found` after the notification kept at `path` (alert_digest), then
    keep this one's state there, once every URL took it. Nothing is sent when there is no
    alert, or nothing new and nothing resolved. A state file that is not greenstats' own, or
    that was kept for other URLs, is said in a warning and taken as no notification before:
    every alert is given in full."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from greenstats.data import alert_state
    from greenstats.data.contract import LOCAL_TZ
    from greenstats.data.paths import shown as shown_path
    from greenstats.metrics import alert_digest

    shown = shown_path(path)
    why = alert_state.writable(path)
    if why:
        raise fail(f"the notifications' state {shown} cannot be written ({why}): nothing "
                    "was sent; fix that, or pass --state FILE in a folder you can write to.",
                    2)  # fmt: skip
    to = alert_digest.recipients(urls)
    previous = None
    try:
        text = alert_state.read(path)
        previous = None if text is None else alert_digest.read_state(text)
    except alert_state.StateError as exc:
        warn(f"the notifications' state {shown} {exc}: it is taken as no notification before "
              "(every alert is given in full) and replaced once one is delivered.")  # fmt: skip
    if previous is not None and previous.recipients != to:
        warn(
            f"the notifications' state {shown} was kept for other --notify URLs: every alert "
            "is given in full, and it is replaced once the notification is delivered."
        )
        previous = None
    d = alert_digest.compare(found, previous)
    state = alert_digest.state_json(found, as_of, to, datetime.now(ZoneInfo(LOCAL_TZ)))
    if not found:  # nothing is sent; an alert that went and comes back is new again
        if previous is not None and previous.severities:
            _keep_state(path, state, "")
        return
    if previous is not None and not (d.worth_sending or full):
        n = len(found)
        err.print(f"Nothing new since the notification as of {previous.as_of.isoformat()}: its "
                  f"{n} alert{'s' if n != 1 else ''} still open, none resolved; nothing was "
                  "sent.", highlight=False, soft_wrap=True)  # fmt: skip
        return
    title, body, kind = words(d, full=full)
    failed = _deliver(senders, title, body, kind)
    if failed:
        raise fail(
            f"the alerts could not be delivered to {', '.join(failed)}: check the URL and "
            "that the service is reachable, then run the command again.",
            EXIT_NOT_DELIVERED,
        )
    _keep_state(path, state, "the notification was delivered, but ")


def _keep_state(path: Path, text: str, done: str) -> None:
    """Write the notifications' state; a failure is one sentence and exit 1 (the next
    notification then gives again what this one gave)."""
    from greenstats.data import alert_state
    from greenstats.data.paths import shown
    from greenstats.data.warehouse import WarehouseError

    try:
        alert_state.write(path, text)
    except (OSError, WarehouseError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise fail(f"{done}the notifications' state {shown(path)} could not be written "
                    f"({reason}): the next notification gives again every alert this one gave; "
                    "make its folder writable, or pass --state FILE.") from exc  # fmt: skip


def _senders(urls: list[str]) -> list:
    """One apprise object per --notify URL (so a failed delivery can be named); a URL apprise
    cannot use is wrong usage."""
    if not urls:
        return []
    import apprise

    senders = []
    for url in urls:
        sender = apprise.Apprise()
        if not sender.add(url):
            raise fail(
                f"--notify {url.split('://', 1)[0]}://… is not a URL apprise can send to "
                "(see https://github.com/caronc/apprise/wiki for the URL of each service).",
                2,
            )
        senders.append(sender)
    return senders


def _deliver(senders: list, title: str, body: str, kind: str) -> list[str]:
    """Send to each URL, as apprise's notify type `kind` ('failure', 'warning'); the ones that
    failed, as apprise writes them without secrets. Apprise's own log is silenced: a failure is
    said once, in the command's own sentence."""
    import logging

    import apprise

    log = logging.getLogger("apprise")
    was = log.disabled
    log.disabled = True
    try:
        kind_ = apprise.NotifyType(kind)
        failed = [s for s in senders if not s.notify(title=title, body=body, notify_type=kind_)]
        return [s[0].url(privacy=True).split("?", 1)[0] for s in failed]
    finally:
        log.disabled = was
