"""Files → validated lake rows + rejects, per docs/CONTRACT.md (Inputs, Bad rows).

A load reads each file of an input folder, checks every row against the contract, keeps each
key once, and writes the accepted rows to the lake as new Parquet files; one module a step:

- `files`: which files a folder holds, in load order, and the checks of a file as a whole;
- `read`: a file's rows into DuckDB, each with its physical line, user ids hashed as read;
- `rules`: the contract's row rules compiled to SQL (the Spark engine transpiles the same);
- `check`: every row checked in one statement, the rows that break a rule kept as rejects;
- `keys`: a key repeated within a file is a reject, one loaded before is not loaded again;
- `lake`: the new lake files, and which input file sent their rows;
- `loader`: the steps run for a file, a batch of small CSV files, or a folder.

The snapshot that lists the new lake files is built and published by `greenstats.data.build`;
until then nothing a reader sees has changed.
"""

from greenstats.data.ingest.files import (
    SUFFIXES,
    Discovery,
    FileRefusedError,
    FileReport,
    discover,
)
from greenstats.data.ingest.loader import Loader, load_folder

__all__ = [
    "SUFFIXES",
    "Discovery",
    "FileRefusedError",
    "FileReport",
    "Loader",
    "discover",
    "load_folder",
]
