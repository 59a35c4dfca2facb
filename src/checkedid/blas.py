"""The thread count of the BLAS library numpy has loaded (OpenBLAS in numpy's wheels).

OpenBLAS's worker threads busy-wait between calls. On the small matrices of this project
(the MRZ recogniser, the face descriptor's convolutions) a second BLAS thread costs far more
CPU than it saves time, and a verification leaves the second core to the chip and pcscd
(and to the face matcher's own second thread, where it uses one). So:

* :func:`default_to_one_thread` makes one BLAS thread the default of a process checkedid
  owns (the ``checkedid`` command line and kiosk, the benchmarks); measured with
  ``benchmarks/pipeline.py``, it cuts the verification worker's CPU by about a quarter.
  A program that embeds the library chooses for itself (``OPENBLAS_NUM_THREADS=1``);
* :func:`single_thread_here` runs a block with one BLAS thread on the calling thread only
  (the face descriptor uses it when it runs in a caller's process).

Without OpenBLAS (numpy linked against another BLAS) both do nothing: results are the
same, only the CPU time differs.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
from collections.abc import Callable, Iterator

__all__ = ["default_to_one_thread", "single_thread_here"]


@functools.cache
def _openblas(*symbols: str) -> Callable[[int], int] | None:
    """The first of ``symbols`` (OpenBLAS thread setters taking an int) that a loaded
    OpenBLAS exports, or None. numpy's wheels rename the library's symbols
    (``scipy_openblas_set_num_threads64_``); a system OpenBLAS keeps the plain names."""
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in symbols:
            func = getattr(lib, symbol, None)
            if func is not None:
                func.argtypes, func.restype = [ctypes.c_int], ctypes.c_int  # int or void
                setter: Callable[[int], int] = func
                return setter
    return None


def default_to_one_thread() -> None:
    """Set ``OPENBLAS_NUM_THREADS=1`` unless the environment says otherwise, in a process
    that checkedid owns (the command line, the kiosk service, the benchmarks), before numpy
    is imported: OpenBLAS reads it once, when it loads. Changing the count later does not
    stop the threads from spinning (measured: more CPU, not less), and a library must not
    change its caller's process, so :mod:`checkedid` itself leaves it alone."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@contextlib.contextmanager
def single_thread_here() -> Iterator[None]:
    """Run the enclosed matrix products on the calling thread only (the setting is per
    thread: other threads keep theirs)."""
    setter = _openblas("openblas_set_num_threads_local")
    if setter is None:
        yield
        return
    previous = setter(1)
    try:
        yield
    finally:
        setter(max(previous, 0))
