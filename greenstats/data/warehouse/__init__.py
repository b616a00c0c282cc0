"""The one door to DuckDB: where a warehouse lives, its snapshots, publishing, and reads.

A warehouse is a folder (``--db PATH`` or ``GREENSTATS_DB``):

    lake/<table>/...parquet    accepted rows, typed, written once and never changed
    snapshots/NNNNNN.duckdb    one published snapshot: marts, small tables, methodology,
                               rejects and the manifest of lake files it stands on
    CURRENT                    the name of the published snapshot (replaced atomically)
    tmp/                       snapshots being built; tmp/spill/, DuckDB's spill space
    rounding_seed              the secret of the rounding of counts of people (written by
                               ingest: greenstats/data/privacy_seed.py)

Readers open the snapshot that CURRENT names, read-only. A writer builds the next snapshot
under tmp/, and publishes it by renaming it into snapshots/ and then replacing CURRENT, each
an atomic rename; a build that dies before that leaves the published snapshot untouched.

What a writer creates is its owner's only, files 0600 and folders 0700 (the lake and the
rejects hold pseudonyms, the spill files raw rows), unless GREENSTATS_SHARE_GROUP=1 lets the
folder's group read it (0640, 0750): see writer_umask.

One module a concern:

- `folder`: the warehouse folder (`Warehouse`): which snapshot is published, the writer's lock,
  publishing, and tidying what no reader needs;
- `reader`: a read-only connection to one snapshot (`Reader`);
- `snapshot`: a published snapshot, and the lake files it lists;
- `connection`: the settings every DuckDB connection of greenstats shares;
- `permissions`: who may read what a writer creates (the umask);
- `faults`: an operator's fault (a full disk, a damaged file) as one sentence.
"""

from greenstats.data.warehouse.faults import WarehouseBusyError, WarehouseError
from greenstats.data.warehouse.folder import Warehouse
from greenstats.data.warehouse.reader import Reader
from greenstats.data.warehouse.snapshot import LakeFile, Snapshot

__all__ = ["LakeFile", "Reader", "Snapshot", "Warehouse", "WarehouseBusyError", "WarehouseError"]
