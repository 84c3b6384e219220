"""The background publisher of reports.enqueue (intake answers without waiting
on the broker): a failing publish never stops it, and a publisher whose thread
has died is replaced at the next submission instead of swallowing them."""

import threading

import pytest

from reports import enqueue


@pytest.fixture
def published(monkeypatch, settings):
    """What the publisher hands to the broker, in order; the submission "bad"
    fails as a broken broker connection would."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent, arrived = [], threading.Event()

    def publish(report_id, kind=None):
        if report_id == "bad":
            raise ConnectionResetError("broker gone")
        sent.append((report_id, kind))
        arrived.set()
        return True

    monkeypatch.setattr(enqueue, "enqueue_processing", publish)
    monkeypatch.setattr(enqueue, "_publisher", None)
    yield sent, arrived
    if enqueue._publisher is not None:
        enqueue._publisher.drain()


def test_a_failing_publish_does_not_stop_the_thread(published):
    sent, _arrived = published
    enqueue.enqueue_processing_soon("bad", "report")
    enqueue.enqueue_processing_soon("r1", "checkin")
    publisher = enqueue._publisher
    publisher.drain()
    assert sent == [("r1", "checkin")]


def test_a_dead_publisher_is_replaced_at_the_next_submission(published):
    sent, arrived = published
    enqueue.enqueue_processing_soon("r1", "report")
    assert arrived.wait(5)
    dead = enqueue._publisher
    dead.drain()  # its thread ends, as if it had died
    assert not dead.thread.is_alive()
    enqueue.enqueue_processing_soon("r2", "report")
    assert enqueue._publisher is not dead
    enqueue._publisher.drain()
    assert sent == [("r1", "report"), ("r2", "report")]
