"""A batch of decisions: each context (a customer on a day) picks one of its candidate rows.

Rows are grouped by context, the groups contiguous and in increasing order, so that every
per-group reduction is one pass (numpy reduceat) instead of a sort."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True, eq=False)
class Choices:
    group: np.ndarray  # the context of each row, non-decreasing
    arm: np.ndarray  # the (offer, segment) arm of each row
    score: np.ndarray  # the ranker's P(redeem) of each row

    def __post_init__(self) -> None:
        if not (len(self.group) == len(self.arm) == len(self.score)):
            raise ValueError("group, arm and score need one value per row")
        if len(self.group) and (np.diff(self.group) < 0).any():
            raise ValueError("rows must be grouped by context in increasing order")

    @cached_property
    def starts(self) -> np.ndarray:
        """The first row of each group."""
        if not len(self.group):
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.r_[True, self.group[1:] != self.group[:-1]])

    @cached_property
    def sizes(self) -> np.ndarray:
        return np.diff(np.r_[self.starts, len(self.group)])

    @property
    def n_groups(self) -> int:
        return len(self.starts)

    def per_row(self, per_group: np.ndarray) -> np.ndarray:
        return np.repeat(per_group, self.sizes)

    def subset(self, mask: np.ndarray) -> tuple[Choices, np.ndarray]:
        """The rows where mask holds, and their indices in self."""
        rows = np.flatnonzero(mask)
        return Choices(self.group[rows], self.arm[rows], self.score[rows]), rows

    @cached_property
    def score_rank(self) -> np.ndarray:
        """0 for each group's highest ranker score, 1 for the next (ties: the earlier row)."""
        order = np.lexsort((-self.score, self.group))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - np.repeat(self.starts, self.sizes)
        return rank


def group_argmax(choices: Choices, values: np.ndarray) -> np.ndarray:
    """The row of each group with the largest value (ties: the earliest row)."""
    if not choices.n_groups:
        return np.zeros(0, dtype=np.int64)
    best = np.maximum.reduceat(values, choices.starts)
    hits = np.flatnonzero(values == choices.per_row(best))
    first = np.r_[True, choices.group[hits][1:] != choices.group[hits][:-1]]
    return hits[first]


def group_sum(choices: Choices, values: np.ndarray) -> np.ndarray:
    if not choices.n_groups:
        return np.zeros(0)
    return np.add.reduceat(values, choices.starts)
