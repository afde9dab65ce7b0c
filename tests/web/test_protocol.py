"""Every message the page may send is checked before anything acts on it: the good forms parse,
and every bad one is refused with one sentence that names what is wrong."""

import json
from typing import Any

import pytest

from backprop_lab.web.protocol import FIELDS, MAX_MESSAGE_BYTES, Message, MessageError, parse
from backprop_lab.web.session import SETTINGS

GOOD: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"type": "play"}, {}),
    ({"type": "pause"}, {}),
    ({"type": "step"}, {}),
    ({"type": "reset"}, {}),
    ({"type": "ack"}, {}),
    ({"type": "regenerate"}, {}),
    ({"type": "clear_points"}, {}),
    ({"type": "save"}, {}),
    ({"type": "speed", "epochs": 25}, {"epochs": 25}),
    (
        {"type": "edit", "layer": 2, "kind": "W", "row": 1, "col": 0, "value": -0.5},
        {"layer": 2, "kind": "W", "row": 1, "col": 0, "value": -0.5},
    ),
    (
        {"type": "edit", "layer": 1, "kind": "b", "col": 1, "value": 3},
        {"layer": 1, "kind": "b", "row": None, "col": 1, "value": 3.0},
    ),
    ({"type": "add_point", "x": [0.5, -1], "label": 1}, {"x": [0.5, -1.0], "label": 1.0}),
    ({"type": "focus", "layer": 1, "unit": 0}, {"layer": 1, "unit": 0}),
    ({"type": "focus", "layer": None}, {"layer": None, "unit": None}),
    (
        {"type": "hidden_view", "layer": 1, "mode": "pca"},
        {"layer": 1, "mode": "pca", "units": None},
    ),
    (
        {"type": "hidden_view", "layer": 2, "mode": "units", "units": [0, 3]},
        {"layer": 2, "mode": "units", "units": [0, 3]},
    ),
    ({"type": "hidden_view", "layer": None}, {"layer": None, "mode": None, "units": None}),
    ({"type": "trace", "sample": 7}, {"sample": 7}),
    ({"type": "configure", "settings": {}}, {"settings": {}}),
]


def test_every_message_type_has_a_good_form_here():
    assert {message["type"] for message, _ in GOOD} == set(FIELDS)


@pytest.mark.parametrize("message,body", GOOD, ids=lambda v: v.get("type", "") if v else "")
def test_good_messages_parse_to_their_type_and_fields(message, body):
    parsed = parse(json.dumps(message))
    assert parsed == Message(message["type"], body, None)
    with_id = parse(json.dumps(message | {"id": 41}))
    assert with_id.id == 41 and with_id.body == body


def test_a_configure_message_takes_every_setting_with_its_plain_type():
    settings = {
        "dataset": "spiral", "noise": 0.1, "n": 300, "classes": 3, "data_seed": 4,
        "test_fraction": 0.2, "hidden": [8, 8], "features": ["x1", "x2", "x1*x2"],
        "activation": "tanh", "loss": "ce", "init": "xavier", "init_scale": 1, "seed": 2,
        "optimizer": "adam", "lr": 0.01, "l1": 0, "l2": 0.001, "dropout": 0.1,
        "batch_size": 10, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999,
        "points": [[0.1, 0.2, 1], [-0.5, 0.5, 0]],
    }  # fmt: skip
    assert set(settings) == set(SETTINGS) | {"points"}
    parsed = parse(json.dumps({"type": "configure", "settings": settings})).body["settings"]
    assert parsed == settings
    assert isinstance(parsed["init_scale"], float) and isinstance(parsed["n"], int)
    nulls: dict[str, Any] = {"batch_size": None, "features": None, "hidden": []}
    assert parse(json.dumps({"type": "configure", "settings": nulls})).body["settings"] == nulls


def refused(text) -> str:
    with pytest.raises(MessageError) as caught:
        parse(text)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400  # one sentence
    return message


BAD = [
    ("not json", "the message is not JSON"),
    ("", "the message is not JSON"),
    ("[1, 2]", 'a message is a JSON object with a "type"'),
    ('"play"', 'a message is a JSON object with a "type"'),
    ("{}", "unknown message type null"),
    ('{"type": "fly"}', 'unknown message type "fly"; known: configure, play'),
    ('{"type": 3}', "unknown message type 3"),
    ('{"type": "play", "speed": 2}', "\"play\" has no field 'speed'; it takes no fields"),
    ('{"type": "speed", "epochs": 2, "x": 1}', "\"speed\" has no field 'x'; it takes epochs"),
    ('{"type": "play", "id": "a"}', '"id" must be a whole number'),
    ('{"type": "play", "id": 1.5}', '"id" must be a whole number'),
    ('{"type": "speed"}', "\"speed\" needs the field 'epochs'"),
    ('{"type": "speed", "epochs": "3"}', '"epochs" of "speed" must be a whole number, not "3"'),
    ('{"type": "speed", "epochs": 2.5}', '"epochs" of "speed" must be a whole number, not 2.5'),
    ('{"type": "speed", "epochs": true}', '"epochs" of "speed" must be a whole number, not true'),
    ('{"type": "speed", "epochs": 1e30}', '"epochs" of "speed" must be a whole number'),
    ('{"type": "trace", "sample": 99999999999999999999}', '"sample" of "trace" must be a whole'),
    ('{"type": "add_point", "x": [NaN, 0], "label": 1}', "NaN is not a number JSON allows"),
    ('{"type": "add_point", "x": [0, 0], "label": Infinity}', "Infinity is not a number JSON"),
    ('{"type": "add_point", "x": [0, 0], "label": -Infinity}', "-Infinity is not a number"),
    ('{"type": "add_point", "x": [0, 1e400], "label": 1}', '"x" of "add_point" must be two'),
    ('{"type": "add_point", "x": [0], "label": 1}', '"x" of "add_point" must be two finite'),
    ('{"type": "add_point", "x": [0, "1"], "label": 1}', '"x" of "add_point" must be two'),
    ('{"type": "add_point", "x": [0, 5000], "label": 1}', '"x" of "add_point" must lie within'),
    ('{"type": "add_point", "x": [0, 0], "label": false}', '"label" of "add_point" must be a'),
    ('{"type": "add_point", "x": [0, 0]}', "\"add_point\" needs the field 'label'"),
    (
        '{"type": "edit", "layer": 1, "kind": "Q", "col": 0, "value": 1}',
        '"kind" of "edit" is "W" (a weight) or "b" (a bias), not "Q"',
    ),
    (
        '{"type": "edit", "layer": 1, "kind": "W", "col": 0, "value": "1"}',
        '"value" of "edit" must be a finite number, not "1"',
    ),
    (
        '{"type": "edit", "layer": true, "kind": "W", "col": 0, "value": 1}',
        '"layer" of "edit" must be a whole number, not true',
    ),
    ('{"type": "hidden_view", "layer": 1, "mode": "tsne"}', '"units" or "pca", not "tsne"'),
    ('{"type": "hidden_view", "layer": 1, "units": [0]}', '"units" of "hidden_view" must be two'),
    ('{"type": "focus", "layer": "1"}', '"layer" of "focus" must be a whole number'),
    ('{"type": "configure"}', "\"configure\" needs the field 'settings'"),
    ('{"type": "configure", "settings": [1]}', '"settings" must be an object'),
    ('{"type": "configure", "settings": {"epochs": 3}}', '"epochs" is not a playground setting'),
    ('{"type": "configure", "settings": {"lr": "big"}}', 'the setting "lr" must be a finite'),
    ('{"type": "configure", "settings": {"lr": NaN}}', "NaN is not a number JSON allows"),
    ('{"type": "configure", "settings": {"lr": 1e400}}', 'the setting "lr" must be a finite'),
    ('{"type": "configure", "settings": {"lr": true}}', 'the setting "lr" must be a finite'),
    ('{"type": "configure", "settings": {"seed": true}}', 'the setting "seed" must be a whole'),
    ('{"type": "configure", "settings": {"n": 2.5}}', 'the setting "n" must be a whole number'),
    ('{"type": "configure", "settings": {"batch_size": "10"}}', '"batch_size" must be a whole'),
    (
        '{"type": "configure", "settings": {"activation": "swish"}}',
        'the setting "activation" is one of sigmoid, tanh, relu, leaky_relu, linear, not "swish"',
    ),
    ('{"type": "configure", "settings": {"dataset": 1}}', 'the setting "dataset" is one of'),
    ('{"type": "configure", "settings": {"hidden": 8}}', 'the setting "hidden" must be a list'),
    ('{"type": "configure", "settings": {"hidden": [8, 0]}}', "takes 1 to 32 units in each"),
    ('{"type": "configure", "settings": {"hidden": [8, 33]}}', "takes 1 to 32 units in each"),
    ('{"type": "configure", "settings": {"hidden": [2,2,2,2,2,2,2,2,2]}}', "at most 8 hidden"),
    ('{"type": "configure", "settings": {"hidden": [true]}}', 'the setting "hidden" must be a'),
    ('{"type": "configure", "settings": {"features": "x1"}}', '"features" must be a list of'),
    ('{"type": "configure", "settings": {"features": []}}', '"features" needs at least one'),
    ('{"type": "configure", "settings": {"points": {}}}', '"points" must be a list of'),
    ('{"type": "configure", "settings": {"points": [[1, 2]]}}', 'each of "points" must be three'),
    ('{"type": "configure", "settings": {"points": [[1, 2, 1e4]]}}', '"points" must lie within'),
]


@pytest.mark.parametrize("text,words", BAD)
def test_a_bad_message_is_refused_with_a_sentence_naming_the_problem(text, words):
    assert words in refused(text)


def test_too_large_binary_and_too_deep_messages_are_refused():
    padding = "x" * MAX_MESSAGE_BYTES
    assert "at most 65536 bytes" in refused(json.dumps({"type": "play", "pad": padding}))
    assert "JSON text, not binary" in refused(b'{"type": "play"}')
    assert "not JSON" in refused("[" * 5000 + "]" * 5000)
    too_many = [[0.0, 0.0, 1.0]] * 1001
    words = refused(json.dumps({"type": "configure", "settings": {"points": too_many}}))
    assert '"points" may hold at most 1000 points' in words


@pytest.mark.parametrize("kind", [[1], {"a": 1}, 3, None, True])
def test_a_type_that_is_not_a_name_is_refused(kind):
    with pytest.raises(MessageError, match="unknown message type"):
        parse(json.dumps({"type": kind}))


def test_a_deeply_nested_value_is_refused_with_a_sentence():
    nested: Any = 1
    for _ in range(900):
        nested = [nested]
    with pytest.raises(MessageError, match="must be a whole number"):
        parse(json.dumps({"type": "speed", "epochs": nested}))
