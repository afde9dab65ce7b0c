"""The animation's title (plots.field_title): words drawn once that never move, values in
right-aligned fields as wide as their widest value, the whole centred where the layout put the
figure's title."""

import numpy as np
import pytest

from backprop_lab.plots.field_title import FieldTitle
from backprop_lab.plots.style import new_figure

FRAMES = [
    ("xor: epoch ", "0", " of 4999, loss ", "0.2514", ", accuracy ", "50.0%", ""),
    ("xor: epoch ", "845", " of 4999, loss ", "0.1266", ", accuracy ", "100.0%", ""),
    ("xor: epoch ", "4999", " of 4999, loss ", "0.0003237", ", accuracy ", "100.0%", ""),
]


def _placed(frames=FRAMES):
    fig, ax = new_figure(figsize=(10, 3), dpi=68)
    title = FieldTitle(fig, frames, fontsize=13)
    fig.canvas.draw()  # the layout, which makes room for the longest title
    centre = np.mean(title.holder.get_window_extent().intervalx)
    title.place()
    return fig, title, centre


def _box(fig, text):
    return text.get_window_extent(fig.canvas.get_renderer())


def test_words_and_fields_follow_each_other_without_overlap_in_every_frame():
    fig, title, _ = _placed()
    words = [_box(fig, word) for word in title.words]
    for frame in range(len(FRAMES)):
        title.show(frame)
        assert [t.get_text() for t in title.values] == list(FRAMES[frame][1::2])
        values = [_box(fig, value) for value in title.values]
        for k, value in enumerate(values):
            assert words[k].x1 <= value.x0 + 1  # after the word before it
            assert value.x1 <= words[k + 1].x0 + 1  # and before the word after it
        # One line: every part sits on the same baseline.
        assert len({round(t.get_position()[1], 9) for t in [*title.words, *title.values]}) == 1


def test_values_end_where_their_field_ends_and_the_words_never_move():
    fig, title, _ = _placed()
    ends, starts = [], []
    for frame in range(len(FRAMES)):
        title.show(frame)
        ends.append([t.get_position()[0] for t in title.values])
        starts.append([_box(fig, w).x0 for w in title.words])
    assert all(e == ends[0] for e in ends) and all(s == starts[0] for s in starts)
    title.show(2)  # right-aligned, and each field as wide as its widest value: the last frame's
    words = [_box(fig, word) for word in title.words]
    for k, value in enumerate(title.values):
        assert value.get_horizontalalignment() == "right"
        assert abs(_box(fig, value).x0 - words[k].x1) <= 2


def test_the_title_is_centred_where_the_layout_put_it_and_the_placeholder_is_hidden():
    fig, title, centre = _placed()
    title.show(2)  # the widest values: the title spans its fields
    left, right = _box(fig, title.words[0]).x0, _box(fig, title.values[-1]).x1
    assert abs((left + right) / 2 - centre) < 6  # pixels (the last word is empty)
    assert not title.holder.get_visible()


def test_words_that_change_between_frames_are_refused():
    fig, _ = new_figure()
    with pytest.raises(ValueError, match="words must be the same in every frame"):
        FieldTitle(fig, [("epoch ", "1", " of 9"), ("epoch ", "2", " of 10")])


def test_a_title_wider_than_the_figure_gets_a_smaller_font_until_it_fits():
    name = "a_csv_file_with_a_very_long_name_that_a_student_gave_it"
    frames = [(f"{name}: epoch ", v, " of 199999, loss ", "-2.764e+285", " (the run diverged)")
              for v in ("0", "199999")]  # fmt: skip
    fig, title, _ = _placed(frames)
    title.show(1)
    boxes = [_box(fig, t) for t in [*title.words, *title.values] if t.get_text()]
    assert min(b.x0 for b in boxes) >= 0 and max(b.x1 for b in boxes) <= fig.bbox.width
    assert title.words[0].get_fontsize() < 13
    _, short, _ = _placed()  # a title that fits keeps its size
    assert short.words[0].get_fontsize() == 13


def test_the_animation_title_counts_the_runs_epochs_and_shows_the_test_score():
    """ "epoch E of T" with T the run's epochs, also for a run cut at an epoch (plot --epoch),
    as the network figure counts them; the test split's accuracy beside the training one."""
    from backprop_lab import TrainConfig
    from backprop_lab.plots.animation import _frame_title
    from tests.trained import trained

    run = trained(TrainConfig(dataset="gauss", test_fraction=0.25, epochs=60))
    last = _frame_title(run, 59)
    test = 100 * run.test_accuracy[59]
    assert last.startswith("gauss: epoch 59 of 60, loss ") and last.endswith(f"(test {test:.1f}%)")
    assert _frame_title(run.upto(30), 30).startswith("gauss: epoch 30 of 60,")
    assert "(test" not in _frame_title(trained(TrainConfig(epochs=10)), 9)


def test_a_dollar_sign_in_a_name_is_drawn_as_it_is():
    frames = [("prices_$5_$9.csv: epoch ", v, " of 9") for v in ("0", "9")]
    fig, title, _ = _placed(frames)
    assert all(not t.get_parse_math() for t in [title.holder, *title.words, *title.values])
    fig.canvas.draw()  # mathtext would fail or draw "5_" as a subscript
