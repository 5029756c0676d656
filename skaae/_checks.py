"""Checks of user-given values that several parameters share."""

from collections.abc import Iterable
from numbers import Integral

import numpy as np


def positive_ints(values: Iterable) -> bool:
    """Whether every value is an integer of at least 1, bools excluded.

    Check the values as given: NumPy would turn ``(True, 5)`` into ``(1, 5)``.
    """
    return all(
        isinstance(v, Integral) and not isinstance(v, bool | np.bool_) and v >= 1
        for v in values
    )
