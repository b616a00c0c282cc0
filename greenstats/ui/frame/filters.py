"""The one filter bar, in the sidebar and bound to the link, with the language switch; what a
link asked that no widget accepts, named on the page (and audited); the filters a page
reads, and its header, which says them in words."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import streamlit as st

from greenstats.data.contract import REGION_CODES
from greenstats.metrics import access
from greenstats.metrics.filters import PERIODS, Filters, period_bounds, today_cst
from greenstats.metrics.queries import naming, program
from greenstats.ui.frame.codes import names, region_label
from greenstats.ui.frame.door import cached, info, pin_snapshot
from greenstats.ui.frame.roles import _once, current_role
from greenstats.ui.frame.text import lang, md, tr
from greenstats.ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, collated

DEFAULT_PERIOD = "this-year"
FILTER_KEYS = ("region", "action", "brand", "project", "species")


LANGUAGE_LABELS = {"en": "English", "zh": "中文"}


def _options() -> dict[str, dict[str, str]]:
    """Every filter's options: code → the label shown, which is also what the URL carries;
    sorted by label in the reader's language (regions by pinyin in Chinese)."""
    projects = names("projects")
    role = current_role()
    if role.partner is not None:  # a partner picks among its own projects only
        own = set(cached(program.projects, Filters())["project_id"])
        projects = {code: name for code, name in projects.items() if code in own}
    options = {
        "region": {c: region_label(c) for c in REGION_CODES},
        "action": names("actions"),
        "brand": {b: b for b in cached(naming.brand_ids)},
        "project": {c: f"{n} · {c}" for c, n in projects.items()},
        "species": names("species"),
    }
    ordered = {"period": {p: tr(f"period.{p}") for p in PERIODS}}
    for key, labels in options.items():
        ordered[key] = {code: labels[code] for code in collated(labels, lang())}
    return ordered


def _check_link(options: dict[str, dict[str, str]]) -> None:
    """Read the link before the widgets do: a value no widget accepts is ignored by Streamlit;
    say which, so a mistyped or outdated link is never silently half-applied.

    A bound widget's URL value is its label (in the link's own language, which the link
    carries as `lang`), so links read naturally: ?lang=en&region=Guangdong&period=Last+30+days.
    """
    # The language switch ran first and dropped an unknown `lang`: it kept the value for here.
    ignored = [
        tr("link.ignored_value", field=tr("filter.lang"), value=v)
        for v in st.session_state.pop("_lang_ignored", [])
    ]
    # Only a value that came with the link: once a filter's widget exists, its value is the
    # reader's, and the link may still hold it in the words of the language just left (the
    # widgets write it again in the new one as they run: _relabel_link).
    for key, labels in options.items():
        if key in st.session_state:
            continue
        accepted = set(labels.values())
        refused = [v for v in st.query_params.get_all(key) if v and v not in accepted]
        _audit_refused(key, refused)
        ignored += [tr("link.ignored_value", field=tr(f"filter.{key}"), value=v) for v in refused]
    for key in ("from", "to"):
        if key in st.session_state:
            continue
        for value in st.query_params.get_all(key):
            try:
                date.fromisoformat(value)
            except ValueError:
                ignored.append(tr("link.ignored_value", field=tr(f"filter.{key}"), value=value))
    if ignored:
        st.session_state["link_notice"] = ignored


def _clear_notice() -> None:
    st.session_state.pop("link_notice", None)


def language_switch() -> None:
    """English / 中文, kept in the URL so a shared link opens in the same language."""
    if "lang" not in st.session_state:  # the link's value, read before the switch drops it
        st.session_state["_lang_ignored"] = [
            v for v in st.query_params.get_all("lang") if v and v not in LANGUAGE_LABELS.values()
        ]
    st.sidebar.segmented_control(
        "Language · 语言", list(LANGUAGES), default=DEFAULT_LANGUAGE, key="lang",
        bind="query-params", format_func=LANGUAGE_LABELS.get, required=True,
        on_change=_relabel_link,
    )  # fmt: skip


def _relabel_link() -> None:
    """After a language switch, write the filters into the link again in the new language.

    The link carries each filter as its label; without this it would keep the old language's
    labels ('period=All+time' beside 'lang=中文'), which the next page or a reload would no
    longer recognise. Assigning a bound widget's own value makes Streamlit rewrite its URL
    value with this run's labels; the chosen codes are unchanged.
    """
    for key in ("period", "from", "to", *FILTER_KEYS):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def filter_bar(applies: Iterable[str]) -> Filters:
    """The one filter bar, in the sidebar on every page and bound to the URL.

    Filters that do not apply to the page stay in the bar so the link keeps them: disabled,
    folded away under "Kept for the other pages" (the Projects page's own picker never stands
    beside a greyed-out Projects filter).
    """
    applies = set(applies)
    options = _options()
    _check_link(options)
    latest = _latest_day()
    side = st.sidebar
    side.markdown(f"**{tr('filter.heading')}**")
    here = side.container()
    if not applies:
        here.caption(tr("filter.none_here"))
    kept = side.expander(tr("filter.elsewhere")) if {"period", *FILTER_KEYS} - applies else None

    def place(key: str) -> Any:
        return here if key in applies else kept

    # The default period, until the widget has a value: once it has one, index 0 says "no
    # default" (a keyed widget's identity is its key), so that _relabel_link may set the value
    # again without Streamlit's warning of a default beside a value set through session state.
    default = 0 if "period" in st.session_state else PERIODS.index(DEFAULT_PERIOD)
    period = place("period").selectbox(
        tr("filter.period"), PERIODS, index=default, key="period",
        bind="query-params", format_func=options["period"].get,
        disabled="period" not in applies, on_change=_clear_notice,
        help=_help("period", applies),
    )  # fmt: skip
    lo, hi = period_bounds(period, latest)
    if period == "custom":  # the dates are only part of the link for a custom period
        col_from, col_to = place("period").columns(2)
        lo = col_from.date_input(
            tr("filter.from"), value=None, key="from", bind="query-params", format="YYYY-MM-DD",
            min_value=date(2010, 1, 1), max_value=date(2100, 1, 1), on_change=_clear_notice,
            disabled="period" not in applies,
        )  # fmt: skip
        hi = col_to.date_input(
            tr("filter.to"), value=None, key="to", bind="query-params", format="YYYY-MM-DD",
            min_value=date(2010, 1, 1), max_value=date(2100, 1, 1), on_change=_clear_notice,
            disabled="period" not in applies,
        )  # fmt: skip
        if lo and hi and lo > hi:
            lo, hi = hi, lo
    chosen: dict[str, tuple[str, ...]] = {}
    for key in FILTER_KEYS:
        values = place(key).multiselect(
            tr(f"filter.{key}"), list(options[key]), key=key, bind="query-params",
            format_func=options[key].get, disabled=key not in applies,
            placeholder=tr("filter.all"), on_change=_clear_notice, help=_help(key, applies),
        )  # fmt: skip
        chosen[key] = tuple(values) if key in applies else ()
    if "period" not in applies:
        lo = hi = None
    asked = Filters(
        date_from=lo, date_to=hi, regions=chosen["region"], actions=chosen["action"],
        brands=chosen["brand"], projects=chosen["project"], species=chosen["species"],
        as_of=today_cst(),
    )  # fmt: skip
    return access.narrow(asked, current_role())


def _help(key: str, applies: set[str]) -> str | None:
    return None if key in applies else tr("filter.not_here")


def _latest_day() -> date:
    latest = info().get("latest_event_day")
    return date.fromisoformat(latest) if latest else today_cst()


def check_choice(key: str, label: str, accepted: Iterable[str]) -> None:
    """Before a page's own widget bound to the link (Actions' grain, Projects' partner): name
    a value of the link that the widget will drop, as the filter bar does for its own. Only
    a value that came with the link: once the widget exists, its value is the reader's."""
    if key in st.session_state:
        return
    accepted = set(accepted)
    refused = [v for v in st.query_params.get_all(key) if v and v not in accepted]
    _audit_refused(key, refused)
    _ignored_notice([tr("link.ignored_value", field=label, value=v) for v in refused])


def _audit_refused(key: str, values: list[str]) -> None:
    """A signed-in viewer's link asked for values their role does not offer (another partner,
    a project not theirs) or that do not exist: each is a refused access in the audit log."""
    if values and current_role().name != "open":
        for value in values:
            _once(f"link:{key}:{value}", "denied", reason="link value refused", field=key,
                  value=value[:200])  # fmt: skip


def _ignored_notice(ignored: list[str]) -> None:
    """Name the link's values that were ignored (never an error); they come from the link, so
    they show as the characters they are, never as markup."""
    if ignored:
        st.info(md(tr("link.ignored", values="; ".join(ignored))), icon=":material/link_off:")


def link_notice() -> None:
    """Tell the reader which values of the link were ignored (never an error)."""
    _ignored_notice(st.session_state.get("link_notice") or [])


def filter_words(f: Filters, applies: Iterable[str]) -> str:
    """The filters in words, e.g. '1 Jan – 27 Nov 2026 · Inner Mongolia, Gansu'."""
    applies = set(applies)
    parts = []
    if "period" in applies:
        parts.append(period_words(f.date_from, f.date_to))
    for key, values, label in (
        ("region", f.regions, region_label),
        ("action", f.actions, names("actions").get),
        ("brand", f.brands, str),
        ("project", f.projects, names("projects").get),
        ("species", f.species, names("species").get),
    ):
        if key in applies:
            parts.append(
                ", ".join(label(v) or v for v in values) if values else tr(f"filter.all_{key}")
            )
    return " · ".join(parts)


def period_words(lo: date | None, hi: date | None) -> str:
    """A period as a reader says it."""
    if lo is None and hi is None:
        return tr("period.all_time")
    return tr("period.range", start=day_words(lo) if lo else "…", end=day_words(hi) if hi else "…")


def day_words(d: date) -> str:
    if lang() == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return d.strftime("%-d %b %Y")


def page_filters() -> tuple[Filters, set[str]]:
    """The filters dashboard.py read from the bar for this page, and which of them apply here."""
    if "filters" not in st.session_state:
        # Only when the first request a freshly started server gets is a link to a page:
        # until dashboard.py has called st.navigation once, Streamlit runs a file of pages/ alone
        # (its legacy mode). Record what st.navigation would, and run the same request again,
        # through dashboard.py, with the link untouched.
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    if not st.session_state.pop("_pinned_by_app", False):
        pin_snapshot()  # the page runs alone (a rerun of its own file): pin for this run
        st.session_state.pop("_pinned_by_app")
    return st.session_state["filters"], st.session_state["applies"]


def page_header(title_key: str, f: Filters, applies: Iterable[str], note: str = "") -> None:
    """The page title and the filters in words, under which everything on the page is."""
    st.title(tr(title_key))
    words = filter_words(f, applies) if applies else ""
    if words or note:
        st.caption(md(" · ".join(p for p in (words, note) if p)))
    link_notice()
