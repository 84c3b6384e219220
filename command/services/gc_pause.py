"""A pause of Python's cyclic garbage collector while one reading of the
coverage allocates its ~100,000 short-lived objects (posts, activities, rows).

Those allocations trigger collections of every generation, and a full one
walks every object of the process (Django, the apps, their caches): at the
bench's large size the collector was a third of the board's CPU time
(docs/performance.md). Reference counting still frees everything here (the
readings build no cycles); what the collector would have found is collected
once the pause ends. Threads (gunicorn's gthread workers) share one
collector: the first reader in pauses it, the last one out resumes it, and it
is never resumed when something else had switched it off."""

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_readers = 0
_resume = False


@contextmanager
def gc_paused():
    global _readers, _resume
    with _lock:
        if _readers == 0:
            _resume = gc.isenabled()
            gc.disable()
        _readers += 1
    try:
        yield
    finally:
        with _lock:
            _readers -= 1
            if _readers == 0 and _resume:
                gc.enable()
