"""Names for codes, in the reader's language: regions, reference tables, vocabularies."""

from __future__ import annotations

from greenstats.metrics.queries import naming
from greenstats.ui import geo
from greenstats.ui.frame.door import cached
from greenstats.ui.frame.text import lang


def region_label(code: str) -> str:
    return geo.region_name(code, lang())


def names(kind: str) -> dict[str, str]:
    """Display names for the codes of a reference table ('actions', 'species', 'projects')."""
    frames = cached(naming.name_table, kind)
    col = "name_zh" if lang() == "zh" else "name_en"
    return dict(zip(frames["code"], frames[col], strict=True))


def vocab(group: str, code: object) -> str:
    """A fixed vocabulary word (habitat, kind, category, IUCN category, taxon group, status)."""
    from greenstats.ui.words import vocab as word

    return word(group, code, lang())
