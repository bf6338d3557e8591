"""The resident memory of a process and all its children (a build's dbt runs in a child), as
the benchmarks sample it."""

from __future__ import annotations

import contextlib

import psutil


def tree_rss(root: psutil.Process) -> int:
    """Bytes resident in ``root`` and its descendants now; a child that ends while it is read
    counts nothing. Raises psutil.Error when ``root`` itself is gone."""
    total = 0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total
