"""Input features: parsing with one-sentence errors, which data they fit, and their values
against hand-worked numbers."""

import math
import re

import numpy as np
import pytest

from backprop_lab.data import make_dataset
from backprop_lab.features import (
    FEATURES,
    FeatureError,
    check_features,
    feature_inputs,
    feature_label,
    features_for,
    parse_features,
)

ALLOWED = "x1, x2, x1^2, x2^2, x1*x2, sin(x1) and sin(x2)"

# --------------------------------------------------------------------------- parsing


def test_the_seven_features_are_tensorflow_playgrounds_in_its_order():
    assert FEATURES == ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
    assert parse_features(",".join(FEATURES)) == FEATURES


def test_a_list_keeps_the_users_order_and_ignores_space_around_names():
    assert parse_features(" sin(x2) ,x1*x2,  x1 ") == ("sin(x2)", "x1*x2", "x1")
    assert parse_features("x1^2") == ("x1^2",)


@pytest.mark.parametrize(
    "text,message",
    [
        ("", f"no input features given; list one or more of {ALLOWED}, separated by commas"),
        ("  ", f"no input features given; list one or more of {ALLOWED}, separated by commas"),
        (
            "x1,,x2",
            f"the feature list 'x1,,x2' has an empty item; list one or more of {ALLOWED}, "
            "separated by single commas",
        ),
        (
            "x1,",
            f"the feature list 'x1,' has an empty item; list one or more of {ALLOWED}, "
            "separated by single commas",
        ),
        ("x3", f"unknown input feature 'x3'; the features are {ALLOWED}"),
        ("x1,x1²", f"unknown input feature 'x1²' (did you mean x1^2?); the features are {ALLOWED}"),
        ("x1x2", f"unknown input feature 'x1x2' (did you mean x1*x2?); the features are {ALLOWED}"),
        (
            "sin( x1 )",
            "unknown input feature 'sin( x1 )' (did you mean sin(x1)?); the features are "
            + ALLOWED,
        ),
        ("X1", f"unknown input feature 'X1' (did you mean x1?); the features are {ALLOWED}"),
        ("x1, x2 ,x1", f"input feature 'x1' is listed twice; list each of {ALLOWED} at most once"),
    ],
)
def test_a_bad_list_gets_one_sentence_naming_the_item_and_the_allowed_names(text, message):
    with pytest.raises(FeatureError) as error:
        parse_features(text)
    assert str(error.value) == message


def test_feature_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_features("cos(x1)")


# --------------------------------------------------------------------------- which data they fit


def test_two_columns_take_every_feature_and_no_list_fits_any_data():
    check_features(FEATURES, 2, "circle")
    for n_inputs in (1, 2, 3, 99):
        check_features(None, n_inputs, "points.csv")
    assert features_for(2) == FEATURES
    assert features_for(1) == ("x1", "x1^2", "sin(x1)")
    assert features_for(3) == ()


@pytest.mark.parametrize("feature", ["x2", "x2^2", "x1*x2", "sin(x2)"])
def test_one_column_refuses_the_features_of_x2_naming_the_data_and_what_is_allowed(feature):
    with pytest.raises(
        FeatureError,
        match=rf"^{re.escape(feature)} needs a second input column, but sine has one; use "
        r"x1, x1\^2 or sin\(x1\)$",
    ):
        check_features(("x1", feature), 1, "sine")
    check_features(("sin(x1)", "x1^2", "x1"), 1, "sine")


@pytest.mark.parametrize("features", [("x1", "x2"), ("x1",), FEATURES])
def test_three_or_more_columns_refuse_any_feature_list(features):
    with pytest.raises(
        FeatureError,
        match=r"^input features apply to data with one or two input columns, but wide.csv has "
        r"3; leave the features out to give the network its input columns as they are$",
    ):
        check_features(features, 3, "wide.csv")


def test_a_checked_tuple_is_held_to_the_same_names_as_a_parsed_list():
    with pytest.raises(FeatureError, match="unknown input feature 'x3'"):
        check_features(("x1", "x3"), 2, "circle")
    with pytest.raises(FeatureError, match="'x2' is listed twice"):
        check_features(("x2", "x2"), 2, "circle")
    with pytest.raises(FeatureError, match="no input features given"):
        check_features((), 2, "circle")
    with pytest.raises(FeatureError, match="are one string; give a tuple of names"):
        check_features("x1,x2", 2, "circle")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- values


def test_feature_values_against_hand_worked_numbers():
    X = np.array([[1.0, 2.0], [-0.5, 3.0], [0.0, -math.pi / 2]])
    values = feature_inputs(X, FEATURES)
    expected = [
        # x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)
        [1.0, 2.0, 1.0, 4.0, 2.0, math.sin(1.0), math.sin(2.0)],
        [-0.5, 3.0, 0.25, 9.0, -1.5, math.sin(-0.5), math.sin(3.0)],
        [0.0, -math.pi / 2, 0.0, math.pi**2 / 4, -0.0, 0.0, -1.0],
    ]
    np.testing.assert_allclose(values, expected, rtol=1e-15, atol=1e-16)
    assert math.isclose(values[0, 6], 0.9092974268256817)  # sin 2, from a table


def test_the_columns_follow_the_lists_order():
    X = np.array([[2.0, -3.0], [0.5, 4.0]])
    forward = feature_inputs(X, FEATURES)
    backward = feature_inputs(X, FEATURES[::-1])
    np.testing.assert_array_equal(backward, forward[:, ::-1])
    np.testing.assert_array_equal(feature_inputs(X, ("x1*x2", "x2")), [[-6.0, -3.0], [2.0, 4.0]])


def test_any_leading_dimensions_are_kept_and_each_slice_is_its_own_features():
    rng = np.random.default_rng(3)
    stack = rng.uniform(-2, 2, (3, 5, 2))
    features = ("x1*x2", "sin(x1)", "x2^2")
    values = feature_inputs(stack, features)
    assert values.shape == (3, 5, 3)
    for k in range(3):
        np.testing.assert_array_equal(values[k], feature_inputs(stack[k], features))
    grid = stack.reshape(15, 2)
    np.testing.assert_array_equal(feature_inputs(grid, features), values.reshape(15, 3))


def test_the_result_is_contiguous_float64_whatever_the_input():
    X = np.asfortranarray(np.array([[1, 2], [3, 4], [5, 6]]))  # integers, column-major
    values = feature_inputs(X, ("x2", "x1^2"))
    assert values.dtype == np.float64 and values.flags.c_contiguous
    np.testing.assert_array_equal(values, [[2, 1], [4, 9], [6, 25]])


def test_no_feature_list_returns_the_raw_inputs_themselves():
    X = np.array([[0.25, -1.0]])
    assert feature_inputs(X, None) is X


def test_one_column_inputs_take_the_features_of_x1_and_refuse_x2():
    X = np.array([[-1.0], [2.0]])
    np.testing.assert_array_equal(
        feature_inputs(X, ("x1^2", "sin(x1)")), [[1.0, math.sin(-1.0)], [4.0, math.sin(2.0)]]
    )
    with pytest.raises(FeatureError, match=r"x2 needs a second input column, but an array of "):
        feature_inputs(X, ("x2",))
    with pytest.raises(FeatureError, match="one or two input columns"):
        feature_inputs(np.zeros((4, 3)), ("x1",))


def test_x1_times_x2_makes_xor_a_straight_line_in_feature_space():
    # xor-cloud without noise: class 1 exactly where x1*x2 < 0, a line in (x1, x1*x2).
    cloud = make_dataset("xor-cloud", n=300, noise=0.0, seed=2)
    product = feature_inputs(cloud.X, ("x1", "x1*x2"))[:, 1]
    np.testing.assert_array_equal(cloud.labels, (product < 0).astype(int))
    # The guide's four points: XOR = x1 + x2 - 2 x1*x2, linear in (x1, x2, x1*x2).
    xor = make_dataset("xor")
    np.testing.assert_array_equal(
        feature_inputs(xor.X, ("x1", "x2", "x1*x2")) @ [1.0, 1.0, -2.0], xor.labels
    )


# --------------------------------------------------------------------------- labels


def test_labels_for_figures_are_short_plain_text():
    labels = [feature_label(name) for name in FEATURES]
    assert labels == ["x1", "x2", "x1²", "x2²", "x1·x2", "sin(x1)", "sin(x2)"]
    assert not any("$" in label for label in labels)  # no mathtext
    with pytest.raises(FeatureError, match="unknown input feature 'cos"):
        feature_label("cos(x1)")
