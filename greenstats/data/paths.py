"""Where greenstats finds its own files: the project root, the default warehouse and the
shipped methodology. No I/O here, so any layer may import it."""

from __future__ import annotations

import os
import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "warehouse"
DEFAULT_REFERENCE = PROJECT_ROOT / "data" / "reference"
GEO_DIR = PROJECT_ROOT / "data" / "geo"
#: The file that marks an input folder as the synthetic demo data set (the demo writes it; a
#: load of that folder marks its snapshot as demo data, and the pages say so).
DEMO_MARKER = "SYNTHETIC_DEMO_DATA.txt"

#: A location with a scheme (s3a://, hdfs://, abfss://, file:…): a URI, which Hadoop's file
#: systems read (Spark's), not a path under the warehouse.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def is_uri(location: str) -> bool:
    """Whether a location is a URI (a lake or marts Spark wrote elsewhere), not a local path."""
    return bool(_URI.match(location)) and not re.match(r"^[A-Za-z]:[\\/]", location)


def shown(path: str | Path) -> str:
    """A path as text that can be printed and stored: a byte of its name that is not UTF-8
    (Python holds it as a lone surrogate, which no terminal, DuckDB or JSON takes) written
    as `\\xNN`."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")
