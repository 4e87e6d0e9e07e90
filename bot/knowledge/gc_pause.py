"""Pause Python's cyclic garbage collector while a FAQ is loaded, indexed and calibrated.

Those steps create hundreds of thousands of small lists, sets and dicts that all stay alive;
each collection of the oldest generation walks every one of them again, and at 5,000 entries
that costs about a quarter of the load. Reference counting still frees everything acyclic; the
collector runs again (and catches up) as soon as the step ends.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """Disable the cyclic collector for the block (usable as a decorator); re-enable it after
    only if it was enabled, so nested and concurrent uses leave it as they found it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
