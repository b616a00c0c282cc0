"""Where greenstats finds its own files: the project root, the default warehouse and the
shipped methodology. No I/O here, so any layer may import it."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "warehouse"
DEFAULT_REFERENCE = PROJECT_ROOT / "data" / "reference"
GEO_DIR = PROJECT_ROOT / "data" / "geo"
#: The file that marks an input folder as the synthetic demo data set (the demo writes it; a
#: load of that folder marks its snapshot as demo data, and the pages say so).
DEMO_MARKER = "SYNTHETIC_DEMO_DATA.txt"
