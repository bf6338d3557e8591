"""The snapshot being served, swapped for a newly published one without a restart.

A watcher thread polls the snapshot file; when a build publishes a new one (a new inode or
mtime), it is loaded beside the old and swapped in with one assignment, so requests in flight
finish on the old data and none is dropped or waits. Each server worker has its own store.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import duckdb

from metro_offers.api.prepared import PreparedSnapshot

LOADER_NICENESS = 10


class SnapshotStore:
    def __init__(self, path: Path, poll_seconds: float = 1.0, echo=print) -> None:
        self.path = path
        self.poll_seconds = poll_seconds
        self.echo = echo
        self.current: PreparedSnapshot | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reload_if_changed()

    def _identity(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def reload_if_changed(self) -> bool:
        identity = self._identity()
        if identity is None or (self.current is not None and self.current.identity == identity):
            return False
        try:
            loaded = PreparedSnapshot.load(self.path)
        except (duckdb.Error, OSError, KeyError, ValueError) as error:  # keep serving the old one
            self.echo(f"[serve] could not load {self.path}: {error}")
            return False
        self.current = loaded  # one assignment: requests see the old or the new snapshot, never a mix
        self.echo(f"[serve] serving the snapshot of {loaded.info['run_date']} ({loaded.info['model_version']})")
        return True

    def _watch(self) -> None:
        # Loading a new snapshot takes seconds of CPU at a million customers: at a lower
        # priority (Linux: per thread, inherited by DuckDB's threads started from here) the
        # requests of this worker and its siblings keep the cores meanwhile.
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOADER_NICENESS)
        while not self._stop.wait(self.poll_seconds):
            self.reload_if_changed()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="snapshot-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
