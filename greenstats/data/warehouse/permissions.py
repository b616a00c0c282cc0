"""Who may read what a writer creates: its owner only, or the warehouse's group too."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from greenstats.data.warehouse.faults import WarehouseError

#: `1`: the warehouse's group may read what a writer creates (files 0640, folders 0750), for a
#: dashboard that runs as another user of that group; unset or `0`: its owner only (0600, 0700).
ENV_SHARE_GROUP = "GREENSTATS_SHARE_GROUP"


def writer_umask() -> int:
    """The umask a writer creates the warehouse's files and folders with: 0o077 (its owner's
    only), or 0o027 with GREENSTATS_SHARE_GROUP=1 (its group may read them too)."""
    value = os.environ.get(ENV_SHARE_GROUP, "").strip()
    if value in ("", "0"):
        return 0o077
    if value == "1":
        return 0o027
    raise WarehouseError(
        f"{ENV_SHARE_GROUP}={value[:40]!r} is neither 1 (the warehouse's group may read what "
        "ingest and build write) nor 0 (its owner only): nothing was changed; set it to 1 or "
        "0, or unset it."
    )


_umask_lock = threading.Lock()
#: The writers of this process running (a umask is the process's) and the umask before them.
_umask_state = {"writers": 0, "before": 0}


@contextlib.contextmanager
def writer_umask_in_effect() -> Iterator[None]:
    """The process's umask is writer_umask() while a writer runs (DuckDB, like Python, creates
    files 0666 and folders 0777 less the umask), and what it was once the last writer of the
    process is done (the tests write in-process)."""
    mask = writer_umask()
    with _umask_lock:
        if _umask_state["writers"] == 0:
            _umask_state["before"] = os.umask(mask)
        _umask_state["writers"] += 1
    try:
        yield
    finally:
        with _umask_lock:
            _umask_state["writers"] -= 1
            if _umask_state["writers"] == 0:
                os.umask(_umask_state["before"])
