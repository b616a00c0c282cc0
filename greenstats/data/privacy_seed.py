"""The secret that seeds the rounding of counts of people (docs/CONTRACT.md, Privacy; the
rounding is greenstats/metrics/privacy.py).

It is HMAC-SHA-256 of a fixed text under the warehouse's user key (greenstats/data/pseudonym.py):
the same for every warehouse loaded with one key, on either engine, so that a copy or a rebuild
answers each question as before. Pages need not hold the user key: every ingest keeps the seed
beside the snapshots, in the file `rounding_seed` (hex), written under the writer lock and so
readable by the warehouse's owner only, or by its group with GREENSTATS_SHARE_GROUP=1, as the
rest of the warehouse. A warehouse last loaded before that file was kept has none until its
next ingest: its pages derive the seed from the user key in force.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from greenstats.data import pseudonym
from greenstats.data.warehouse import Warehouse, WarehouseError

#: The seed's file in the warehouse folder.
SEED_FILE = "rounding_seed"
#: What the seed is the HMAC of, under the user key (another use of the key gives other bytes).
_SEED_OF = b"greenstats rounding of counts of people v1"


def derive(key: pseudonym.UserKey) -> bytes:
    """The seed of the warehouses loaded with `key` (it does not give the key away)."""
    return hmac.new(key.secret, _SEED_OF, hashlib.sha256).digest()


def keep(warehouse: Warehouse, user_key_id: str | None) -> None:
    """Write the seed beside the snapshots if it is not there yet: by an ingest, under the writer
    lock, with the key its user ids were hashed with (`user_key_id`, its fingerprint; None, a
    build from the lake, holds no key and writes nothing). The file is written whole under tmp/
    and renamed into place."""
    path = warehouse.root / SEED_FILE
    if user_key_id is None or path.exists():
        return
    key = pseudonym.user_key()
    if key.fingerprint != user_key_id:
        return
    warehouse.tmp.mkdir(parents=True, exist_ok=True)
    part = warehouse.tmp / f"{SEED_FILE}.{os.getpid()}"
    part.write_text(derive(key).hex() + "\n", encoding="ascii")
    os.replace(part, path)


def read(warehouse: Warehouse) -> bytes:
    """The seed of a warehouse: its file, else (a warehouse no ingest has kept it for yet) the
    seed of the user key in force."""
    path = warehouse.root / SEED_FILE
    with warehouse.faults(writing=False):
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return derive(pseudonym.user_key())
        except UnicodeDecodeError:
            text = ""
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        seed = b""
    if len(seed) != hashlib.sha256().digest_size:
        raise WarehouseError(
            f"{path} is damaged (it should hold 64 hex characters): nothing was changed; remove "
            "it, and the next ingest writes it again."
        )
    return seed
