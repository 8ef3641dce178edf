"""The malloc arena limit `schoolgraph serve` sets, in a process of its own (it is global):
counted by glibc's own report (`malloc_info`) after worker threads have allocated."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

from schoolgraph.allocator import limit_arenas
from schoolgraph.config import load_settings
from schoolgraph.errors import ConfigError

PROBE = """
import ctypes, json, os, tempfile, threading
from schoolgraph.allocator import limit_arenas

limited = limit_arenas({arenas})

together = threading.Barrier(6)  # alive at once, as a pool's workers are

def work():
    kept = [bytearray(2048) for _ in range(2000)]  # above pymalloc's 512 bytes: malloc's
    together.wait()
    del kept

threads = [threading.Thread(target=work) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "info.xml")
    stream = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    report = open(path).read()
print(json.dumps({{"limited": limited, "arenas": report.count("<heap nr=")}}))
"""

GLIBC = platform.libc_ver()[0] == "glibc"


def probe(arenas: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(arenas=arenas)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    found: dict[str, object] = json.loads(out.stdout)
    return found


def test_worker_threads_share_the_arenas_the_limit_allows() -> None:
    if not GLIBC:  # nothing to limit, and nothing is claimed
        assert limit_arenas(2) is False
        return
    unlimited, limited = probe(0), probe(2)

    assert unlimited["limited"] is False and limited["limited"] is True
    # glibc's default gives each of the six threads an arena of its own (eight per CPU).
    assert isinstance(unlimited["arenas"], int) and unlimited["arenas"] > 2
    assert limited["arenas"] == 2


def test_serve_limits_to_two_arenas_unless_told_otherwise() -> None:
    assert load_settings({}).malloc_arenas == 2
    assert load_settings({"SCHOOLGRAPH_MALLOC_ARENAS": "0"}).malloc_arenas == 0
    with pytest.raises(ConfigError, match="SCHOOLGRAPH_MALLOC_ARENAS must be a whole number"):
        load_settings({"SCHOOLGRAPH_MALLOC_ARENAS": "some"})
