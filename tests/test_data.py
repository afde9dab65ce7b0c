"""Datasets and the CSV reader's one-sentence errors."""

import contextlib
import math
import os
import threading

import numpy as np
import pytest

from backprop_lab import data as data_module
from backprop_lab.data import (
    CLOUDS,
    DATASETS,
    GATES,
    REGRESSION,
    SOLVED_R2,
    DataError,
    Dataset,
    load_csv,
    make_dataset,
    task_of,
)

CLASSIFICATION = tuple(GATES) + CLOUDS


def test_xor_is_the_guides_four_points():
    data = make_dataset("xor")
    np.testing.assert_array_equal(data.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(data.labels, [0, 1, 1, 0])
    np.testing.assert_array_equal(data.Y, [[0], [1], [1], [0]])


def test_the_names_are_the_gates_the_clouds_and_the_regression_sets():
    assert DATASETS == CLASSIFICATION + REGRESSION
    assert REGRESSION == ("reg-plane", "reg-gauss", "sine")
    assert [task_of(name) for name in DATASETS] == ["classification"] * 8 + ["regression"] * 3


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_every_classification_dataset_is_two_dimensional_and_balanced_enough(name):
    data = make_dataset(name, n=200, seed=4)
    assert data.X.shape[1] == 2 and np.isfinite(data.X).all()
    counts = np.bincount(data.labels)
    assert len(counts) == 2 and counts.min() >= len(data.labels) // 4


def test_spiral_has_the_asked_number_of_classes_and_one_hot_targets():
    data = make_dataset("spiral", n=90, classes=3)
    assert data.n_classes == 3 and data.n_outputs == 3
    np.testing.assert_array_equal(data.Y.sum(axis=1), np.ones(90))
    np.testing.assert_array_equal(data.Y.argmax(axis=1), data.labels)


def test_same_seed_same_points_and_test_split_is_disjoint():
    a = make_dataset("moons", n=100, seed=7, test_fraction=0.25)
    b = make_dataset("moons", n=100, seed=7, test_fraction=0.25)
    np.testing.assert_array_equal(a.X, b.X)
    assert len(a.labels) == 75 and len(a.labels_test) == 25
    train_rows = {tuple(x) for x in a.X}
    assert not train_rows & {tuple(x) for x in a.X_test}


def _csv(tmp_path, text, name="points.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_header_and_integer_labels(tmp_path):
    data = load_csv(_csv(tmp_path, "x1,x2,label\n0,0,-1\n0,1,1\n1,0,1\n1,1,-1\n"))
    np.testing.assert_array_equal(data.labels, [0, 1, 1, 0])
    assert data.class_names == ("-1", "1") and data.name == "points"


def test_csv_without_header_and_three_features(tmp_path):
    data = load_csv(_csv(tmp_path, "0,0,1,0\n1,0,0,1\n0.5,2,3,2.0\n"))
    assert data.X.shape == (3, 3) and data.n_classes == 3


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("x1,x2,label\n", "has a header but no data rows"),
        ("0,0,0\n1,1\n", "line 2: 2 columns, but the first row has 3"),
        ("0,0,0\n1,abc,1\n", "line 2, column 2: 'abc' is not a number"),
        ("0,0,0\n1,nan,1\n", "line 2, column 2: 'nan' is not a finite number"),
        ("0,0,0\n1,inf,1\n", "line 2, column 2: 'inf' is not a finite number"),
        ("0,0,0\n1,1,0.5\n", "line 2: label 0.5 is not a whole number"),
        ("0,0,1\n1,1,1\n", "has only one class"),
        ("7\n8\n", "line 1: found 1 column"),
    ],
)
def test_csv_problems_get_one_sentence_naming_them(tmp_path, text, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        load_csv(_csv(tmp_path, text))


def test_csv_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_csv(tmp_path)


def test_csv_too_many_rows_or_columns(tmp_path):
    rows = "".join(f"{i},{i % 2}\n" for i in range(10_001))
    with pytest.raises(DataError, match="10001 rows, more than the 10000 allowed"):
        load_csv(_csv(tmp_path, rows))
    wide = ",".join(["1"] * 101) + "\n"
    with pytest.raises(
        DataError, match="101 columns, but a row may have at most 99 features and the label"
    ):
        load_csv(_csv(tmp_path, wide + wide))


def test_csv_binary_file_is_not_text(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(DataError, match="not a text file"):
        load_csv(path)


def test_csv_inputs_are_contiguous_so_a_replay_from_the_run_folder_gives_the_same_digits(
    tmp_path,
):
    # The feature columns of a CSV's table are a strided view; matmul may sum a view in another
    # order than the run folder's contiguous copy. A 1-feature CSV did: explain refused it.
    from backprop_lab.config import TrainConfig
    from backprop_lab.history import load_run, save_run
    from backprop_lab.training import replay_epoch, train

    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 80)
    rows = "".join(f"{float(v)!r},{int(np.sin(v) > 0)}\n" for v in x)
    (tmp_path / "one.csv").write_text("x1,label\n" + rows)
    data = load_csv(tmp_path / "one.csv")
    assert data.X.flags.c_contiguous and data.X_test.flags.c_contiguous
    np.testing.assert_array_equal(data.X[:, 0], x)

    config = TrainConfig(data=str(tmp_path / "one.csv"), epochs=30, record_every=1)
    save_run(train(config), tmp_path / "run")
    history = load_run(tmp_path / "run")
    replay = replay_epoch(history.config, history.dataset, 10)
    for replayed, recorded in zip(replay.params, history.params_at(10)):
        np.testing.assert_array_equal(replayed, recorded)
    for replayed, recorded in zip(replay.steps[-1].params_after, history.params_at(11)):
        np.testing.assert_array_equal(replayed, recorded)


# --------------------------------------------------------------------------- reading as a stream


def test_a_file_without_newlines_stops_at_the_line_length_limit():
    # /dev/zero never ends and has no newline: the first line's limit stops it at once.
    with pytest.raises(DataError, match="line 1 of data file '/dev/zero' is longer than 10,000"):
        load_csv("/dev/zero")


def test_rows_past_the_limit_stop_the_reading_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "MAX_CSV_ROWS", 50)
    # Row 51 is past the limit; what follows it (a bad cell) is never read.
    rows = "".join(f"{i},{i % 2}\n" for i in range(50))
    with pytest.raises(DataError, match="has at least 51 rows, more than the 50 allowed"):
        load_csv(_csv(tmp_path, "x,label\n" + rows + "50,0\noops,1\n"))
    np.testing.assert_array_equal(load_csv(_csv(tmp_path, rows)).X[:, 0], np.arange(50))


def test_a_file_larger_than_allowed_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "MAX_CSV_BYTES", 1_000_000)
    path = tmp_path / "big.csv"
    path.write_text("0,0\n1,1\n" + "\n" * 1_200_000)  # blank lines are no rows
    with pytest.raises(DataError, match=r"is 1.2 MB, more than the 1 MB allowed"):
        load_csv(path)


def test_a_stream_past_the_size_limit_is_cut_off(monkeypatch):
    # A pipe has no size to check first: the characters read are counted.
    monkeypatch.setattr(data_module, "MAX_CSV_BYTES", 100_000)
    read, write = os.pipe()

    def writer():
        with open(write, "w") as stream, contextlib.suppress(BrokenPipeError):
            stream.write("0,0\n1,1\n")
            for _ in range(1000):  # blank lines: no rows, but characters all the same
                stream.write("\n" * 1000)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        with pytest.raises(DataError, match=r"goes on for more than the 0.1 MB allowed"):
            load_csv(f"/dev/fd/{read}")
    finally:
        os.close(read)
        thread.join()


def test_a_named_pipe_without_a_writer_reads_as_empty_without_waiting(tmp_path):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="is empty"):
        load_csv(fifo)


def test_quoted_cells_crlf_and_blank_lines_keep_their_line_numbers(tmp_path):
    text = 'x1,x2,label\r\n"1","2",0\r\n\r\n3,4,"1"\r\n5,x,1\r\n'
    with pytest.raises(DataError, match="line 5, column 2: 'x' is not a number"):
        load_csv(_csv(tmp_path, text))
    data = load_csv(_csv(tmp_path, text.replace("5,x,1\r\n", "")))
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4]])


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    "label,line",
    [
        ("1e30", 2),  # became class -9223372036854775808
        ("100000000000000001", 2),  # 1e17 + 1: the same float as 1e17, the classes merged
        ("-2000000000", 2),
    ],
)
def test_labels_out_of_range_are_refused_naming_the_line_and_the_range(tmp_path, label, line):
    with pytest.raises(
        DataError,
        match=rf"line {line}: label {label} is out of range; labels must be whole numbers from "
        r"-1,000,000,000 to 1,000,000,000",
    ):
        load_csv(_csv(tmp_path, f"0,0,0\n1,1,{label}\n"))


def test_whole_labels_in_range_are_renumbered_as_before(tmp_path):
    data = load_csv(_csv(tmp_path, "0,1e9\n1,-1e9\n2,2.0\n3,1000000000\n"))
    assert data.class_names == ("-1000000000", "2", "1000000000")
    np.testing.assert_array_equal(data.labels, [2, 0, 1, 2])


# --------------------------------------------------------------------------- contradictions


def test_a_test_fraction_that_holds_out_nothing_is_refused():
    with pytest.raises(
        DataError,
        match=r"--test-fraction 0.1 of the 4 samples of xor holds out round\(0.4\) = 0 of them "
        r"for testing; use 0 for no test split, or at least 0.25 to hold out one",
    ):
        make_dataset("xor", test_fraction=0.1)
    assert len(make_dataset("xor", test_fraction=0.25).labels_test) == 1
    assert len(make_dataset("circle", n=10, test_fraction=0.1).labels_test) == 1


# --------------------------------------------------------------------------- regression


def _playground_gauss(x: float, y: float) -> float:
    """TensorFlow Playground's regressGaussian label, line by line, in its own units."""
    label = 0.0
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1)] + [
        (-4, -2.5, -1),
        (0, -2.5, 1),
        (4, -2.5, -1),
    ]:
        scale = min(max(1 - math.hypot(x - cx, y - cy) / 2, 0.0), 1.0)
        if abs(sign * scale) > abs(label):
            label = sign * scale
    return label


@pytest.mark.parametrize("name,width", [("reg-plane", 2), ("reg-gauss", 2), ("sine", 1)])
def test_regression_datasets_hold_float_targets_and_one_output(name, width):
    data = make_dataset(name, n=120, seed=5)
    assert data.task == "regression" and data.is_regression
    assert data.X.shape == (120, width) and data.labels.shape == (120,)
    assert data.labels.dtype == np.float64 and np.isfinite(data.labels).all()
    assert data.class_names == () and data.n_classes == 0 and data.n_outputs == 1
    assert data.Y.dtype == np.float64 and data.Y.shape == (120, 1)
    np.testing.assert_array_equal(data.Y[:, 0], data.labels)
    assert data.Y_test.shape == (0, 1)
    assert repr(data) == f"Dataset({name!r}: 120 training samples, {width} features, regression)"


def test_reg_plane_is_playgrounds_plane_on_the_unit_square():
    data = make_dataset("reg-plane", n=2000, noise=0.0, seed=1)
    assert np.abs(data.X).max() <= 1
    # TF Playground: (x + y) / 10 on [-6, 6]^2; here a unit is 6 of its units.
    np.testing.assert_allclose(data.labels, (6 * data.X[:, 0] + 6 * data.X[:, 1]) / 10)
    assert -1.2 <= data.labels.min() < -1.0 and 1.0 < data.labels.max() <= 1.2


def test_reg_gauss_is_playgrounds_six_bumps_on_the_unit_square():
    data = make_dataset("reg-gauss", n=2000, noise=0.0, seed=1)
    assert np.abs(data.X).max() <= 1
    expected = [_playground_gauss(6 * x1, 6 * x2) for x1, x2 in data.X]
    np.testing.assert_allclose(data.labels, expected, atol=1e-12)
    assert -1 <= data.labels.min() < -0.9 and 0.9 < data.labels.max() <= 1
    assert (data.labels == 0).mean() > 0.3  # the flat floor between and around the bumps
    # Hand-worked: the bump at (0, 2.5) is -1 there; up (above) x2 > 0 the signs are +, -, +.
    upper_middle = (np.abs(data.X[:, 0]) < 0.05) & (np.abs(data.X[:, 1] - 2.5 / 6) < 0.05)
    assert upper_middle.any() and (data.labels[upper_middle] < -0.5).all()
    upper_left = (np.abs(data.X[:, 0] + 4 / 6) < 0.05) & (np.abs(data.X[:, 1] - 2.5 / 6) < 0.05)
    assert upper_left.any() and (data.labels[upper_left] > 0.5).all()


def test_sine_is_sin_x_on_minus_five_to_five_with_noise_on_y():
    clean = make_dataset("sine", n=1000, noise=0.0, seed=2)
    assert clean.X.shape == (1000, 1) and -5 <= clean.X.min() < -4.9 and 4.9 < clean.X.max() <= 5
    np.testing.assert_allclose(clean.labels, [math.sin(x) for x in clean.X[:, 0]], rtol=1e-15)
    noisy = make_dataset("sine", n=1000, noise=0.1, seed=2)
    np.testing.assert_array_equal(noisy.X, clean.X)
    residual = noisy.labels - np.sin(noisy.X[:, 0])
    assert abs(residual.mean()) < 0.02 and 0.09 < residual.std() < 0.11


def test_noise_jitters_the_input_the_target_is_taken_at_and_keeps_the_point():
    clean = make_dataset("reg-plane", n=2000, noise=0.0, seed=3)
    noisy = make_dataset("reg-plane", n=2000, noise=0.1, seed=3)
    np.testing.assert_array_equal(noisy.X, clean.X)
    # The target moves by 0.6 (j1 + j2) for a jitter (j1, j2) of standard deviation 0.1 each.
    residual = noisy.labels - clean.labels
    assert 0.9 < residual.std() / (0.6 * np.sqrt(2) * 0.1) < 1.1
    gauss = make_dataset("reg-gauss", n=500, noise=0.1, seed=3)
    assert np.abs(gauss.labels).max() <= 1 and np.abs(gauss.X).max() <= 1


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_same_seed_same_bytes_other_seed_other_points(name):
    a = make_dataset(name, n=50, noise=0.1, seed=9, test_fraction=0.2)
    b = make_dataset(name, n=50, noise=0.1, seed=9, test_fraction=0.2)
    for left, right in [(a.X, b.X), (a.labels, b.labels), (a.X_test, b.X_test)]:
        assert left.tobytes() == right.tobytes()
    assert a.labels_test.tobytes() == b.labels_test.tobytes()
    assert not np.array_equal(a.X, make_dataset(name, n=50, noise=0.1, seed=10).X)


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_test_split_holds_out_the_asked_share_of_the_same_points(name):
    whole = make_dataset(name, n=80, noise=0.05, seed=4)
    parts = make_dataset(name, n=80, noise=0.05, seed=4, test_fraction=0.25)
    assert len(parts.labels) == 60 and len(parts.labels_test) == 20
    assert parts.task == "regression" and parts.Y_test.shape == (20, 1)
    assert parts.labels_test.dtype == np.float64
    rows = np.column_stack([whole.X, whole.labels])
    split_rows = np.vstack(
        [
            np.column_stack([parts.X, parts.labels]),
            np.column_stack([parts.X_test, parts.labels_test]),
        ]
    )
    assert sorted(map(tuple, split_rows)) == sorted(map(tuple, rows))
    assert "60 training samples, 20 test" in repr(parts) and "regression" in repr(parts)


def test_a_dataset_knows_its_task_and_refuses_an_unknown_one():
    X, none = np.zeros((2, 1)), np.zeros(0)
    data = Dataset("mine", X, np.array([1, 2]), (), X[:0], none, task="regression")
    assert data.labels.dtype == np.float64 and data.is_regression  # integer targets as floats
    assert not make_dataset("xor").is_regression and make_dataset("xor").task == "classification"
    with pytest.raises(DataError, match="unknown task 'ranking'; choose from classification"):
        Dataset("mine", X, np.array([0, 1]), ("0", "1"), X[:0], none, task="ranking")
    with pytest.raises(DataError, match="a regression dataset has no classes"):
        Dataset("mine", X, np.array([0, 1]), ("0", "1"), X[:0], none, task="regression")


def test_solved_r2_is_ninety_five_percent():
    assert SOLVED_R2 == 0.95


# --------------------------------------------------------------------------- regression CSV


def test_regression_csv_keeps_float_targets_exactly(tmp_path):
    text = "x1,x2,y\n0,0,0.1\n1,0,-2.5e3\n0,1,3\n1,1,0.1\n"
    data = load_csv(_csv(tmp_path, text, "heights.csv"), task="regression")
    assert data.name == "heights" and data.task == "regression" and data.class_names == ()
    np.testing.assert_array_equal(data.labels, [0.1, -2500.0, 3.0, 0.1])
    np.testing.assert_array_equal(data.X, [[0, 0], [1, 0], [0, 1], [1, 1]])
    assert data.n_outputs == 1 and data.labels.flags.c_contiguous
    np.testing.assert_array_equal(data.Y, [[0.1], [-2500.0], [3.0], [0.1]])


def test_regression_csv_allows_a_constant_target_and_any_number_of_distinct_values(tmp_path):
    constant = load_csv(_csv(tmp_path, "1,7\n2,7\n"), task="regression")
    np.testing.assert_array_equal(constant.labels, [7.0, 7.0])
    many = "".join(f"{i},{i * 0.37}\n" for i in range(50))  # 50 values: no class limit
    assert len(np.unique(load_csv(_csv(tmp_path, many), task="regression").labels)) == 50


def test_regression_csv_one_feature_and_a_test_split(tmp_path):
    rows = "".join(f"{i},{math.sin(i)!r}\n" for i in range(20))
    data = load_csv(_csv(tmp_path, rows), test_fraction=0.25, seed=3, task="regression")
    assert data.X.shape == (15, 1) and data.X_test.shape == (5, 1) and data.is_regression
    x = np.concatenate([data.X[:, 0], data.X_test[:, 0]])
    y = np.concatenate([data.labels, data.labels_test])
    np.testing.assert_array_equal(y, [math.sin(v) for v in x])  # written as read


@pytest.mark.parametrize(
    "text,message",
    [
        ("0,0.5\n1,nan\n", "line 2, column 2: 'nan' is not a finite number"),
        ("0,0.5\n1,-inf\n", "line 2, column 2: '-inf' is not a finite number"),
        ("x,y\n0,0.5\n1,1.5\n2,tall\n", "line 4, column 2: 'tall' is not a number"),
        ("x,y\n0,0.5\n", "has only one data row; a regression needs at least two"),
        ("x,y\n", "has a header but no data rows"),
        ("7\n8\n", "line 1: found 1 column"),
    ],
)
def test_regression_csv_problems_get_one_sentence_naming_the_line(tmp_path, text, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        load_csv(_csv(tmp_path, text), task="regression")


def test_a_classification_csv_still_refuses_a_fractional_label(tmp_path):
    path = _csv(tmp_path, "0,0,0\n1,1,0.5\n")
    with pytest.raises(DataError, match="line 2: label 0.5 is not a whole number"):
        load_csv(path)
    np.testing.assert_array_equal(load_csv(path, task="regression").labels, [0.0, 0.5])
    with pytest.raises(DataError, match="unknown task 'regresion'; choose from classification"):
        load_csv(path, task="regresion")


def test_a_regression_target_whose_square_would_overflow_is_refused_with_its_line(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("x,y\n0,1\n1,1e151\n")
    with pytest.raises(DataError, match=r"^line 3: target 1e151 is too large; the mse loss"):
        load_csv(path, task="regression")
    path.write_text("x,y\n0,1\n1,-1e150\n")
    assert load_csv(path, task="regression").labels.min() == -1e150
