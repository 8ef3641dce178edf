"""Capping glibc's malloc arenas for a gateway that parses on worker threads.

glibc gives each new thread that allocates an arena of its own, up to eight per CPU, so that
threads calling ``malloc`` at the same time do not wait for one lock. Python threads hold the
GIL while they allocate, so they hardly ever do; what the arenas bring here is memory. The
gateway parses large upstream answers on worker threads (`upstreams.off_loop`), and each
worker then frees into its own arena what it built for a page and the next parse allocates
somewhere else. A freed block in an arena is reused by that arena only, and a partly used
arena is not given back to the system, so the process keeps more memory than it holds.

Measured with the bench (`schoolgraph bench --no-baselines --duration 1 --cold-runs 1`, its
peak RSS, four runs each): 182 to 202 MB with glibc's default, 168 to 177 MB with at most
two arenas, 170 to 171 MB with one. `limit_arenas` sets that limit from inside the process
(``mallopt(M_ARENA_MAX)``, what the ``MALLOC_ARENA_MAX`` environment variable sets when the
process starts), before the worker threads exist. On another C library it does nothing.
"""

from __future__ import annotations

import ctypes
import platform

__all__ = ["DEFAULT_ARENAS", "limit_arenas"]

DEFAULT_ARENAS = 2
"""Malloc arenas once limited: the main one and one the worker threads share."""

_M_ARENA_MAX = -8
"""``mallopt``'s parameter number for the arena limit (glibc's ``malloc.h``)."""


def limit_arenas(arenas: int) -> bool:
    """Let glibc's malloc use at most ``arenas`` arenas from now on; 0 leaves it as it is.
    Returns whether the limit was set (False on a C library other than glibc).

    Threads started before the call keep the arenas they have: call it at start-up."""
    if arenas <= 0 or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)  # the process's own symbols: glibc's among them
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))
