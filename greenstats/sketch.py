"""Distinct users from HyperLogLog registers (the marts mart_users_hll_{day,month,year}).

2^14 registers of 64-bit hashes: relative standard error 1.04/√16384 ≈ 0.81 %; below
2.5 × 16384 ≈ 41,000 users the estimate switches to linear counting, which is near exact for
small counts. The SQL that fills the registers is in models/marts/mart_users_hll_day.sql.
"""

from __future__ import annotations

import math

import numpy as np

PRECISION = 14
REGISTERS = 1 << PRECISION
STANDARD_ERROR = 1.04 / math.sqrt(REGISTERS)


def estimate(rho: np.ndarray) -> float:
    """Distinct count from the registers that are set (one max rho per register index)."""
    m = REGISTERS
    set_count = len(rho)
    if set_count == 0:
        return 0.0
    zeros = m - set_count
    inverse_sum = float(np.sum(np.exp2(-rho.astype(np.float64)))) + zeros
    alpha = 0.7213 / (1 + 1.079 / m)
    raw = alpha * m * m / inverse_sum
    if raw <= 2.5 * m and zeros > 0:
        return m * math.log(m / zeros)
    return raw
