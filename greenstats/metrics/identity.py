"""Who signed in: the provider's claims (Streamlit's `st.user`), read strictly and normalised.

The claims are what the OpenID Connect provider put in its ID token, as Streamlit keeps them in
its signed `_streamlit_user` cookie. They are read with pydantic in strict mode, so a claim of
the wrong JSON type is refused, never coerced:

- `sub`, the subject: required, a string of 1–255 characters with no space or control
  character. It is the provider's own id of the account and is matched exactly (case and all).
- `email`: a string or absent. Trimmed and lower-cased (`.lower()`, not `.casefold()`, which
  would make `straße@x` and `strasse@x` one address); not shaped like an address, it is none.
- `email_verified`: a JSON boolean or absent. The string `"false"`, the number 0, `"true"` and
  anything else that is not `true` or `false` is refused: the sign-in is refused, not read as
  either. Absent means not verified, so an email grants nothing (access.Grants.role_for).
- `name`: a string or absent (shown beside "Signed in as").
- `iat` (required, as OpenID Connect requires it) and `nonce`: when and for which request the
  ID token was issued. Together with the subject they name one sign-in (`Identity.sign_in`),
  which every browser session of that sign-in shares; `iat` also dates it, for sign-out and
  the sign-in's end (data/sessions.py).

A refused claim set is a `ClaimsRefusedError` that says which claim and why, without its value (the
message is shown on the page and written to the audit log).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: An address: something@domain.tld, no space, no second @, no `*` (that is a domain rule).
EMAIL = re.compile(r"^[^@\s*]+@[^@\s*]+\.[^@\s*]+$")
#: A subject: 1–255 characters, none a space or a control character.
SUBJECT = re.compile(r"^[^\s\x00-\x1f\x7f]{1,255}$")


class _Claims(BaseModel):
    """The claims greenstats reads; strict: a value of another JSON type is an error."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    sub: Annotated[str, Field(pattern=SUBJECT.pattern)]
    email: str | None = None
    email_verified: bool | None = None
    name: str | None = None
    iat: int | float
    nonce: str | None = None


class ClaimsRefusedError(ValueError):
    """The provider's claims cannot be trusted as they are: `claim` names the one at fault and
    the message says why, without its value."""

    def __init__(self, claim: str, problem: str) -> None:
        super().__init__(f"the sign-in's {claim} claim {problem}")
        self.claim = claim


def normal_email(text: str | None) -> str | None:
    """An email as it is matched and logged: trimmed, lower-cased; None if not an address."""
    if text is None:
        return None
    email = text.strip().lower()
    return email if EMAIL.match(email) else None


@dataclass(frozen=True)
class Identity:
    """A signed-in account, as greenstats matches and logs it."""

    subject: str
    email: str | None  # normalised; None when absent or not an address
    email_verified: bool  # True only for the JSON boolean true
    name: str | None = None
    issued_at: float = 0.0  # the ID token's iat, seconds since 1970 (UTC)
    nonce: str | None = None

    @property
    def verified_email(self) -> str | None:
        """The email, if the provider verified it: the only email that may grant a role."""
        return self.email if self.email_verified else None

    @property
    def label(self) -> str:
        """How the audit log and the page name the account: its verified email, else its
        subject (`sub:…`), never an address the provider did not verify."""
        return self.verified_email or f"sub:{self.subject}"

    @property
    def sign_in(self) -> str:
        """One sign-in's id, the same in every browser session its cookie opens: a hash of the
        subject, the ID token's issue time and nonce."""
        text = f"{self.subject}\x1f{self.issued_at!r}\x1f{self.nonce}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def issued(self) -> datetime:
        return datetime.fromtimestamp(self.issued_at, UTC)


_WHY = {
    "missing": "is missing",
    "string_type": "is not a JSON string",
    "bool_type": "is not a JSON boolean (true or false)",
    "int_type": "is not a JSON number",
    "float_type": "is not a JSON number",
    "string_pattern_mismatch": "is empty, too long, or holds a space or a control character",
}


def parse(claims: Mapping[str, Any]) -> Identity:
    """The identity in a signed-in user's claims (`st.user`), or ClaimsRefusedError."""
    try:
        c = _Claims.model_validate(dict(claims))
    except ValidationError as exc:
        error = exc.errors()[0]
        claim = str(error["loc"][0]) if error["loc"] else "claims"
        why = _WHY.get(error["type"]) or f"is not valid ({error['type']})"
        if claim == "iat" and error["type"] in ("int_type", "float_type"):
            why = _WHY["int_type"]
        raise ClaimsRefusedError(claim, why) from None
    return Identity(
        subject=c.sub,
        email=normal_email(c.email),
        email_verified=c.email_verified is True,
        name=c.name.strip() if c.name and c.name.strip() else None,
        issued_at=float(c.iat),
        nonce=c.nonce,
    )
