"""Fewer garbage collections while drawing (backprop_lab.collector): the collector runs
rarely while figures are drawn and is set back afterwards, even after a failure; the program
keeps the setting and freezes what exists only once (freezing again would keep the garbage of
the figures drawn since for good)."""

import gc

import pytest

from backprop_lab import collector


def test_fewer_collections_collects_less_often_and_sets_the_collector_back():
    before = gc.get_threshold()
    with collector.fewer_collections():
        assert gc.get_threshold() == (collector.COLLECT_EVERY, *collector.OLDER)
        assert gc.get_freeze_count() == 0  # a library call freezes nothing
    assert gc.get_threshold() == before
    with pytest.raises(KeyError), collector.fewer_collections():
        raise KeyError("drawing failed")
    assert gc.get_threshold() == before


def test_the_program_collects_rarely_for_good_and_freezes_once(monkeypatch):
    before = gc.get_threshold()
    monkeypatch.setattr(collector, "_for_good", False)
    monkeypatch.setattr(collector, "_frozen", False)
    try:
        collector.collect_rarely()
        with collector.fewer_collections():
            frozen = gc.get_freeze_count()
            assert frozen > 0
        garbage = [[k] for k in range(1000)]  # made after the first drawing
        with collector.fewer_collections():
            assert gc.get_freeze_count() <= frozen  # not frozen: collectable when dropped
        del garbage
        assert gc.get_threshold() == (collector.COLLECT_EVERY, *collector.OLDER)
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
