"""The collector's pause around a coverage reading: off inside, back on after
(also after an error), on only when the last of overlapping readers leaves,
left off when something else had switched it off, and collecting once when
overlapping readers have kept it paused too long."""

import gc
import threading
import weakref

import pytest

from command.services import gc_pause
from command.services.gc_pause import gc_paused


@pytest.fixture(autouse=True)
def _collector_on():
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_resumed_after_even_after_an_error():
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError
    assert gc.isenabled()


def test_overlapping_readers_resume_it_only_when_the_last_one_leaves():
    inside, leave = threading.Event(), threading.Event()

    def other_reader():
        with gc_paused():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other_reader)
    with gc_paused():
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other reader is still inside
    leave.set()
    thread.join(10)
    assert gc.isenabled()


def test_a_collector_switched_off_elsewhere_stays_off():
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_readers_that_never_stop_overlapping_still_let_cycles_be_collected(monkeypatch):
    monkeypatch.setattr(gc_pause, "MAX_PAUSE_SECONDS", 0.0)
    inside, leave = threading.Event(), threading.Event()
    collected = threading.Event()

    class Node:
        pass

    def other_reader():
        with gc_paused():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other_reader)
    thread.start()
    assert inside.wait(10)
    with gc_paused():
        cycle = Node()
        cycle.self = cycle  # garbage only the cyclic collector frees
        weakref.finalize(cycle, collected.set)
        del cycle
    # The other reader is still inside: the collector stays off, but this
    # reader left a pause older than the limit and collected on its way out.
    assert not gc.isenabled()
    assert collected.is_set()
    leave.set()
    thread.join(10)
    assert gc.isenabled()
