"""Child processes that die with their parent: a killed `metro-offers build` must not leave
its dbt child running and holding the warehouse's lock."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """Called in a child process (before exec, or first thing in a worker): Linux sends it
    SIGTERM when the parent dies, even by SIGKILL; a no-op elsewhere."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def run_child(command: list[str], **popen_arguments) -> int:
    """Run ``command`` to its end and return its exit status. SIGINT, SIGTERM and SIGHUP sent
    to this process are passed on to the child, which is waited for (dbt then stops its
    threads and releases the warehouse); on Linux the child also gets SIGTERM if this process
    is killed outright."""
    child = subprocess.Popen(command, preexec_fn=die_with_parent, **popen_arguments)

    def forward(signum, _frame):
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
