"""A mixed-integer linear programme under construction, solved by ``scipy.optimize.milp`` (HiGHS).

The shift plan (:mod:`routekit.analytics.shift_plan`) and the roster (:mod:`routekit.analytics.rosters`)
each build one: variables with bounds and integrality, and sparse constraint rows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["MilpModel"]


class MilpModel:
    """A MILP under construction: variables with bounds and integrality, and sparse constraint rows."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def var(self, cost: float = 0.0, *, lower: float = 0.0, upper: float = math.inf, integer: bool = True) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(1 if integer else 0)
        return len(self.cost) - 1

    def row(self, terms: Iterable[tuple[int, float]], lower: float, upper: float) -> int:
        index = len(self.row_lower)
        for col, value in terms:
            self.rows.append(index)
            self.cols.append(col)
            self.vals.append(value)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return index

    def solve(self, time_limit: float) -> tuple[int, np.ndarray[Any, np.dtype[np.float64]] | None, float]:
        """HiGHS's status (0 optimal, 1 time limit, 2 infeasible), the solution or None, and the seconds."""
        # Imported here: scipy.optimize takes a while to load and only a solve needs it.
        from scipy import optimize, sparse

        n = len(self.cost)
        matrix = sparse.csr_array(
            (np.array(self.vals, dtype=float), (np.array(self.rows, dtype=int), np.array(self.cols, dtype=int))),
            shape=(len(self.row_lower), n),
        )
        constraints = [optimize.LinearConstraint(matrix, np.array(self.row_lower), np.array(self.row_upper))]
        began = time.perf_counter()
        result = optimize.milp(
            np.array(self.cost, dtype=float),
            integrality=np.array(self.integer),
            bounds=optimize.Bounds(np.array(self.lower), np.array(self.upper)),
            constraints=constraints if self.row_lower else None,
            options={"time_limit": float(time_limit), "disp": False},
        )
        seconds = time.perf_counter() - began
        x = None if result.x is None else np.asarray(result.x, dtype=float)
        return int(result.status), x, seconds
