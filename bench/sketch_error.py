"""How far a correct distinct-users sketch strays from the exact count, by number of users.

    python bench/sketch_error.py [--runs 100000] [--users 54 105 199 400 2000]

For each number of users n, `--runs` sets of n random 64-bit keys (as the keyed pseudonyms
are: a new key per clone moves every user's key) go through the registers the marts fill
(greenstats/data/models/marts/mart_users_hll_day.sql) and the estimator the pages read
(greenstats/metrics/sketch.py). It prints the error's spread and how often it passes a bound:

- `4 SE`: four standard errors of 1.04/√16384 (0.81 %), at least 1 user: the bound the tests
  used until 2026-12-07. At large n it fails about once in 16,000; at small n the error is
  whole users from two keys falling in one register (a chance of about n²/32,768 per set),
  and a bound under one or two users fails far more often (docs/TESTING.md, Flakes);
- `4 SE + 4`: the bound the tests use now (tests/conftest.py `users_tolerance`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from greenstats.metrics import sketch

LOW_BITS = (1 << sketch.HASH_BITS_LEFT) - 1


def estimate(keys: np.ndarray) -> int:
    """The pages' estimate from the registers of `keys` (uint64), as the marts compute them."""
    reg = (keys >> np.uint64(sketch.HASH_BITS_LEFT)).astype(np.int64)
    low = (keys & np.uint64(LOW_BITS)).astype(np.float64)  # < 2^50: exact in a float64
    top = sketch.HASH_BITS_LEFT + 1  # rho = top - the bit length of the low bits
    rho = np.where(low == 0, top, top - np.frexp(low)[1])
    registers = np.zeros(sketch.REGISTERS, dtype=np.int64)
    np.maximum.at(registers, reg, rho)
    return round(sketch.estimate(registers[registers > 0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--users", type=int, nargs="+", default=[54, 105, 199, 400, 2000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    se = sketch.STANDARD_ERROR
    print(f"{args.runs:,} runs each; errors in users (estimate - exact)")
    print("| users | sd | largest | fails 4 SE (≥ 1) | fails 4 SE + 4 |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.users:
        keys = (rng.integers(0, 2**64, size=n, dtype=np.uint64) for _ in range(args.runs))
        errors = np.array([estimate(k) - n for k in keys])
        off = np.abs(errors)
        old = (off > max(4 * se * n, 1)).mean()
        new = (off > 4 * se * n + 4).mean()
        print(f"| {n:,} | {errors.std():.2f} | {off.max()} | {old:.2e} | {new:.2e} |", flush=True)


if __name__ == "__main__":
    main()
