"""The collector's pause around a coverage reading: off inside, back on after
(also after an error), on only when the last of overlapping readers leaves,
and left off when something else had switched it off."""

import gc
import threading

import pytest

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
