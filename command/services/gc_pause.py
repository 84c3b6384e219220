"""A pause of Python's cyclic garbage collector while one reading of the
coverage allocates its ~100,000 short-lived objects (posts, activities, rows).

Those allocations trigger collections of every generation, and a full one
walks every object of the process (Django, the apps, their caches): at the
bench's large size the collector was a third of the board's CPU time
(docs/performance.md). Reference counting still frees everything here (the
readings build no cycles); what the collector would have found is collected
once the pause ends. Threads (gunicorn's gthread workers) share one
collector: the first reader in pauses it, the last one out resumes it, and it
is never resumed when something else had switched it off. Readers that
overlap without end (a busy board in every thread) would keep it paused for
good: a reader leaving a pause older than MAX_PAUSE_SECONDS collects once."""

import gc
import threading
import time
from contextlib import contextmanager

MAX_PAUSE_SECONDS = 10.0

_lock = threading.Lock()
_readers = 0
_resume = False
_paused_since = 0.0


@contextmanager
def gc_paused():
    global _readers, _resume, _paused_since
    with _lock:
        if _readers == 0:
            _resume = gc.isenabled()
            _paused_since = time.monotonic()
            gc.disable()
        _readers += 1
    try:
        yield
    finally:
        collect = False
        with _lock:
            _readers -= 1
            if _readers == 0 and _resume:
                gc.enable()
            elif _readers and _resume and time.monotonic() - _paused_since > MAX_PAUSE_SECONDS:
                _paused_since, collect = time.monotonic(), True
        if collect:
            gc.collect()
