"""Fewer garbage collections while drawing (backprop_lab.collector): the collector runs
rarely over only what was made meanwhile, and is set back afterwards, even after a failure."""

import gc

import pytest

from backprop_lab import collector


def test_fewer_collections_collects_less_often_and_sets_the_collector_back():
    before = gc.get_threshold()
    with collector.fewer_collections():
        assert gc.get_threshold()[0] == collector.COLLECT_EVERY
        assert gc.get_freeze_count() > 0  # what existed before is left out of collections
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    with pytest.raises(KeyError), collector.fewer_collections():
        raise KeyError("drawing failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_collect_rarely_is_for_good(monkeypatch):
    """The program's setting stays after drawing (setting it back would cost a collection)."""
    before = gc.get_threshold()
    monkeypatch.setattr(collector, "_for_good", False)
    try:
        collector.collect_rarely()
        with collector.fewer_collections():
            pass
        assert gc.get_threshold()[0] == collector.COLLECT_EVERY and gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
