"""greenstats: the impact dashboard of a green program — ingest, warehouse, stats, pages."""

__version__ = "0.1.0"
