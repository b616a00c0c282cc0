"""`access check`: what each entry of the sign-in's access file grants, against the warehouse's
partners."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from greenstats.cli.common import DbOption, fail, out
from greenstats.metrics.filters import Filters

access_app = typer.Typer(
    no_args_is_help=True, help="The access file of sign-in (README: Sign-in and roles)."
)


@access_app.command("check")
def access_check(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="The access file (default: $GREENSTATS_ACCESS_FILE or .streamlit/access.toml).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Print what each entry of the access file grants, checked against the warehouse's
    partners; exit 1 if the dashboard would refuse the file (it then shows no figure)."""
    from greenstats.data.warehouse import Warehouse, WarehouseError
    from greenstats.metrics import access
    from greenstats.metrics.queries import program

    path = file or access.access_path()
    try:
        grants = access.read_grants(path)
    except access.AccessFileError as exc:
        raise fail(f"{str(exc).rstrip('.')}, so the dashboard shows no figure to anyone until "
                    "the file is fixed.") from exc  # fmt: skip
    try:
        with Warehouse(db).open_snapshot() as r:
            known = set(program.partners(r, Filters()))
            held = {
                p: (len(program.projects(r, Filters(partner=p))),
                    len(program.protected_areas(r, Filters(partner=p))))
                for p in known
            }  # fmt: skip
    except WarehouseError as exc:
        raise fail(str(exc)) from exc
    close = dict(access.unknown_partners(grants, known))
    # One line an entry (never wrapped: an entry or a role is copied whole from it).
    out.print(f"{escape(str(path))}: {len(grants.entries())} entries", highlight=False,
              soft_wrap=True)  # fmt: skip
    kinds = {"sub:": "the subject, exactly", "email:": "the email, if verified",
             "*@": "every verified email at that domain"}  # fmt: skip
    width = max((len(key) for key, _ in grants.entries()), default=0)
    for key, role in grants.entries():
        kind = next(v for k, v in kinds.items() if key.startswith(k))
        if role.partner is None:
            sees = "every page and figure"
        elif role.partner in held:
            projects, areas = held[role.partner]
            sees = (f"{projects:,} project{'' if projects == 1 else 's'}, {areas:,} protected "
                    f"area{'' if areas == 1 else 's'}, and the program's totals")  # fmt: skip
        else:
            hint = close.get(role.partner)
            sees = "[red]no such partner[/red]" + (
                f": did you mean {escape(hint)}?" if hint else ""
            )
        out.print(f"  {escape(key):<{width}}  {escape(role.label)}: {sees} (matches {kind})",
                  highlight=False, soft_wrap=True)  # fmt: skip
    try:
        access.check_partners(grants, known, str(path))
    except access.AccessFileError as exc:
        raise fail(f"{exc}, so the dashboard shows no figure to anyone until the file is "
                    "fixed.") from exc  # fmt: skip
    out.print(f"{len(grants.entries())} entries: the dashboard accepts this file.", highlight=False)
