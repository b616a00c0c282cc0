"""Who may see what: the access file, the roles it grants, and what each role may read.

The access file (TOML, README "Sign-in and roles") maps identities to roles:

    [roles]
    "ceo@program.example" = "executive"          # an email, matched without regard to case
    "*@program.example" = "manager"              # everyone with an email at that domain
    "*@see.org.cn" = "partner:SEE Foundation"    # a partner, named as in projects.csv
    "sub:auth0|5f1a9c" = "partner:SEE Foundation"  # an OIDC subject (the ID token's `sub`)

Subjects and emails are two namespaces that never meet: `sub:…` is a subject, `email:…` an
email; a key without a prefix is an email when it is shaped like one and a subject otherwise
(so a subject shaped like an email is listed only as `sub:…`). A subject matches the token's
`sub` exactly; an email or a domain grants its role only when the provider verified the email
(identity.Identity.verified_email). A listed subject wins over an email, an email over a
domain. Anything else in the file (a syntax error, an unknown role, a key that is neither an
email, a subject nor `*@domain`, a partner with no name) makes the whole file invalid: the app
then shows no figure to anyone until it is fixed (it fails closed).

A role narrows the filters every query takes (`narrow`): a partner's filters carry its name,
and every query of plantings, surveys, redemptions, projects and protected areas is cut to that
partner's rows in SQL (metrics/filters.py). No link, page switch or cached result can widen
that, because the pages never see the unnarrowed filters.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from greenstats.data.paths import PROJECT_ROOT
from greenstats.metrics.filters import Filters
from greenstats.metrics.identity import EMAIL, SUBJECT, Identity

ENV = "GREENSTATS_ACCESS_FILE"
DEFAULT_ACCESS_FILE = PROJECT_ROOT / ".streamlit" / "access.toml"

#: Roles that see every figure.
FULL_ROLES = ("executive", "manager")
PARTNER_PREFIX = "partner:"
#: Pages a partner may open: their projects and protected areas, and the program's totals.
#: Actions and Funnel break the program down by action, brand and the energy of its users:
#: they are for the program's own staff.
PARTNER_PAGES = frozenset({"overview", "trees", "coastal", "species", "projects", "methodology"})

_DOMAIN = re.compile(r"^\*@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
#: A key's namespace prefixes.
SUBJECT_PREFIX, EMAIL_PREFIX = "sub:", "email:"


@dataclass(frozen=True)
class Role:
    """What a viewer may see. `name` is executive, manager, partner, or open (no sign-in
    configured: the local demo); `partner` is the partner's name for a partner."""

    name: str
    partner: str | None = None

    @property
    def label(self) -> str:
        """As the access file writes it: 'executive', 'partner:SEE Foundation'."""
        return f"{PARTNER_PREFIX}{self.partner}" if self.partner else self.name

    def may_open(self, page: str) -> bool:
        return self.partner is None or page in PARTNER_PAGES


#: The role of everyone when no sign-in is configured (the local demo): not restricted.
OPEN = Role("open")


def parse_role(text: str) -> Role:
    """'executive', 'manager' or 'partner:<name>' → its Role (ValueError otherwise)."""
    if text in FULL_ROLES:
        return Role(text)
    if text.startswith(PARTNER_PREFIX) and text[len(PARTNER_PREFIX) :].strip():
        return Role("partner", text[len(PARTNER_PREFIX) :].strip())
    raise ValueError(f"unknown role {text!r}: use executive, manager or partner:<partner name>")


class AccessFileError(ValueError):
    """The access file cannot be read or is not valid: nobody is let in until it is fixed.

    `str()` is the whole message for the server log (it may name an identity of the file);
    `public` says the same without any identity, for the page every visitor sees."""

    def __init__(self, message: str, public: str | None = None) -> None:
        super().__init__(message)
        self.public = public or message


@dataclass(frozen=True)
class Grants:
    """The access file, read: subjects, lower-cased emails and domains, each its own table."""

    subjects: dict[str, Role]
    emails: dict[str, Role]
    domains: dict[str, Role]

    def role_for(self, who: Identity) -> Role | None:
        """The role of a signed-in identity, or None: its subject's, else its verified email's,
        else its verified email's domain's. An email the provider did not verify grants
        nothing (anyone can type an address into a new account)."""
        if who.subject in self.subjects:
            return self.subjects[who.subject]
        email = who.verified_email
        if email is None:
            return None
        if email in self.emails:
            return self.emails[email]
        return self.domains.get(email.rpartition("@")[2])

    def entries(self) -> list[tuple[str, Role]]:
        """Every key of the file as it is matched (`sub:…`, `email:…`, `*@…`) and its role."""
        return [
            *((f"{SUBJECT_PREFIX}{k}", r) for k, r in self.subjects.items()),
            *((f"{EMAIL_PREFIX}{k}", r) for k, r in self.emails.items()),
            *((f"*@{k}", r) for k, r in self.domains.items()),
        ]

    def partners(self) -> set[str]:
        """The partners the file names."""
        return {r.partner for _, r in self.entries() if r.partner is not None}


def _key(who: str) -> tuple[str, str] | None:
    """An access file key → (its table, the key as matched), or None if it is none of them."""
    key = who.strip()
    if key.startswith(SUBJECT_PREFIX):
        subject = key[len(SUBJECT_PREFIX) :]
        return ("subjects", subject) if SUBJECT.match(subject) else None
    if key.startswith(EMAIL_PREFIX):
        email = key[len(EMAIL_PREFIX) :].strip().lower()
        return ("emails", email) if EMAIL.match(email) else None
    if domain := _DOMAIN.match(key):
        return "domains", domain.group(1).lower()
    if EMAIL.match(key):
        return "emails", key.lower()
    if "@" not in key and "*" not in key and SUBJECT.match(key):
        return "subjects", key
    return None


def parse_grants(text: str, source: str = "access file") -> Grants:
    """The access file's text → Grants, or AccessFileError naming what is wrong and where."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccessFileError(
            f"{source}: not valid TOML: {exc}", f"not valid TOML: {exc}"
        ) from None
    extra = sorted(set(doc) - {"roles"})
    if extra:
        raise AccessFileError(f"{source}: unknown section or key {extra[0]!r} (only [roles])",
                              "a section or key other than [roles]")  # fmt: skip
    roles = doc.get("roles")
    if not isinstance(roles, dict):
        raise AccessFileError(f"{source}: no [roles] table", "no [roles] table")
    tables: dict[str, dict[str, Role]] = {"subjects": {}, "emails": {}, "domains": {}}
    for n, (who, value) in enumerate(roles.items(), start=1):

        def bad(problem: str, who: str = who, n: int = n) -> AccessFileError:
            return AccessFileError(f"{source}: [roles] {who!r}: {problem}",
                                   f"entry {n} of [roles]: {problem}")  # fmt: skip

        if not isinstance(value, str):
            raise bad("the role must be a string")
        try:
            role = parse_role(value.strip())
        except ValueError as exc:
            raise bad(str(exc)) from None
        found = _key(who)
        if found is None:
            raise bad("not an email, an OIDC subject (sub:…) or *@domain")
        table, key = found
        if key in tables[table]:
            raise bad("the same identity is given a role twice")
        tables[table][key] = role
    return Grants(**tables)


def unknown_partners(grants: Grants, known: set[str]) -> list[tuple[str, str | None]]:
    """The partners the file names that run no project or protected area of the warehouse
    (a typo: `…Center` for `…Centre`), each with the closest known name, or None."""
    found = []
    for name in sorted(grants.partners() - known):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        found.append((name, close[0] if close else None))
    return found


def check_partners(grants: Grants, known: set[str], source: str = "access file") -> None:
    """AccessFileError when the file names a partner the warehouse does not have: the file
    fails closed, as for any other malformed entry, and the message names the closest."""
    unknown = unknown_partners(grants, known)
    if not unknown:
        return
    name, close = unknown[0]
    hint = f"the closest is {close!r}" if close else "greenstats access check lists them"
    more = f", and {len(unknown) - 1} more like it" if len(unknown) > 1 else ""
    raise AccessFileError(
        f"{source}: partner:{name} is not a partner of the warehouse ({hint}){more}",
        # Every visitor sees the public words: no partner's name (one partner's people would
        # learn another's), the server log and `greenstats access check` name it.
        "an entry names a partner the warehouse does not have",
    )


def access_path() -> Path:
    """GREENSTATS_ACCESS_FILE, else .streamlit/access.toml beside the sign-in secrets."""
    return Path(os.environ.get(ENV) or DEFAULT_ACCESS_FILE)


def read_grants(path: Path) -> Grants:
    """Read and parse the access file (AccessFileError when it is missing or unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccessFileError(f"{path}: the access file does not exist",
                              "the access file does not exist") from None  # fmt: skip
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessFileError(
            f"{path}: cannot be read ({exc})",
            f"the access file cannot be read ({type(exc).__name__})",
        ) from None
    return parse_grants(text, str(path))


def narrow(f: Filters, role: Role) -> Filters:
    """The filters a role's queries take: a partner's carry its name, whatever was asked."""
    return replace(f, partner=role.partner)
