"""The options' declarations: one per option, driving validation, parsing and the README."""

import math
import re
from pathlib import Path
from typing import Any

import pytest

from backprop_lab.config import (
    GRADCHECK_OPTIONS,
    GROUPS,
    KINDS,
    OPTION,
    OPTIONS,
    RECORDING_OPTIONS,
    SWEPT_OPTIONS,
    ConfigError,
    ParseError,
    TrainConfig,
    format_value,
    options_table,
    parse_list,
    parse_value,
)


def _name(option) -> str:
    return option.name


README = Path(__file__).resolve().parents[1] / "README.md"
TABLE = re.compile(
    r"<!-- Generated from the declarations.*?-->\n(.*?)<!-- End of the generated option table",
    re.S,
)


def test_the_readme_table_is_the_declarations():
    match = TABLE.search(README.read_text(encoding="utf-8"))
    assert match, "README.md has lost the markers around its generated option table"
    assert match.group(1).strip() == options_table().strip(), (
        "README.md's option table disagrees with the declarations in config.py; paste the output "
        "of python -c 'from backprop_lab.config import options_table; print(options_table())' "
        "between its markers"
    )


def test_the_readme_table_names_every_option_its_default_and_choices():
    # What the exact comparison above guards, said row by row.
    rows = [line for line in options_table().splitlines()[2:]]
    assert len(rows) == len(OPTIONS)
    for option, row in zip(OPTIONS, rows):
        flag, values, default, sweep = (cell.strip() for cell in row.strip("|").split(" | "))
        assert flag.strip("`").split()[0] == option.flag
        assert default.strip("`") == format_value(option.name, option.default)
        assert sweep == ("yes" if option.sweep else "no")
        for choice in option.choices:
            assert f"`{choice}`" in values


def test_every_field_is_declared_once_with_a_name_group_kind_and_help():
    names = [o.name for o in OPTIONS]
    assert names == list(TrainConfig.__dataclass_fields__) and len(set(names)) == len(names)
    defaults = TrainConfig()
    for o in OPTIONS:
        assert o.group in GROUPS and o.kind in KINDS and o.help and "\n" not in o.help
        assert o.why, f"{o.name} says nothing about why its default is {o.default!r}"
        # task's default None means "the dataset's own", which the config resolves.
        resolved = "classification" if o.name == "task" else o.default
        assert getattr(defaults, o.name) == resolved
        assert o.flag == "--" + o.name.replace("_", "-")
        assert set(dict(o.notes)) <= set(o.choices)
        assert bool(o.choices) == (o.kind == "choice")
        if o.kind in ("int", "float"):
            assert o.low is not None


def test_what_sweeps_gradcheck_and_recording_use():
    assert set(OPTION) - set(SWEPT_OPTIONS) == {
        "seed",
        "init_from",
        "weights",
        "batch_size",
        "target_loss",
        "record_every",
        "max_snapshots",
        "record_samples",
    }
    assert all(OPTION[name].not_swept for name in set(OPTION) - set(SWEPT_OPTIONS))
    network = tuple(o.name for o in OPTIONS if o.group in ("data", "network"))
    penalties = ("l2", "l1", "dropout")  # they change the loss whose gradient is checked
    assert set(GRADCHECK_OPTIONS) == set(network) - {"init_from"} | set(penalties)
    assert "seed" in GRADCHECK_OPTIONS and "lr" not in GRADCHECK_OPTIONS
    assert RECORDING_OPTIONS == ("record_every", "max_snapshots", "record_samples")


def test_to_dict_and_from_dict_are_unchanged():
    assert TrainConfig().to_dict() == {
        "dataset": "xor", "data": None, "n": 200, "noise": 0.05, "classes": 2, "data_seed": 0,
        "test_fraction": 0.0, "task": "classification", "hidden": [2], "features": None,
        "activation": "sigmoid", "loss": "mse", "init": "normal", "init_scale": 1.0,
        "init_from": None, "weights": None, "seed": 0, "optimizer": "sgd", "lr": 2.0,
        "lr_schedule": "constant", "l2": 0.0, "l1": 0.0, "dropout": 0.0, "epochs": 5000,
        "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08,
        "batch_size": None, "target_loss": None, "record_every": None, "max_snapshots": 1000,
        "record_samples": 256,
    }  # fmt: skip
    config = TrainConfig(dataset="spiral", classes=3, hidden=(8, 8), loss="ce", batch_size=16)
    assert TrainConfig.from_dict({**config.to_dict(), "hidden": (8, 8)}) == config
    with pytest.raises(ConfigError, match="^bogus is not an option; options are activation, "):
        TrainConfig.from_dict({"bogus": 1})


def _bounds(option):
    """Values just inside and just outside the declared range."""
    inside: list[float] = []
    outside: list[float] = []
    below, above = (
        (option.low - 1, (option.high or 0) + 1)
        if option.kind == "int"
        else (math.nextafter(option.low, -math.inf), math.nextafter(option.high, math.inf))
    )
    (outside if option.low_open else inside).append(option.low)
    outside.append(below)
    if option.high is not None and math.isfinite(option.high):
        (outside if option.high_open else inside).append(option.high)
        outside.append(above)
    return inside, outside


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.kind in ("int", "float")], ids=_name)
def test_ranges_come_from_the_declaration(option):
    inside, outside = _bounds(option)
    extra: dict[str, Any] = {"dataset": "spiral"} if option.name == "classes" else {}
    for value in inside:
        assert getattr(TrainConfig(**extra, **{option.name: value}), option.name) == value
    wrong: list[Any] = [True, "1", 1.5] if option.kind == "int" else [True, "x", math.nan, math.inf]
    for value in outside + wrong:
        with pytest.raises(ConfigError) as error:
            TrainConfig(**extra, **{option.name: value})
        assert str(error.value) == f"{option.name} must be {option.allowed()}, got {value!r}"


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.kind == "choice"], ids=_name)
def test_choices_come_from_the_declaration(option):
    for choice in option.choices:
        extra: dict[str, Any] = {"loss": "bce"} if option.name == "activation" else {}
        if option.name == "task" and choice == "regression":
            extra = {"dataset": "sine"}
        given: dict[str, Any] = {option.name: choice}
        assert getattr(TrainConfig(**given, **extra), option.name) == choice
    nope: dict[str, Any] = {option.name: "nope"}
    with pytest.raises(ConfigError, match=f"^{option.name} must be one of .*, got 'nope'$"):
        TrainConfig(**nope)


def test_the_messages_read_as_before():
    cases: dict[str, tuple[Any, str]] = {
        "lr": (-1.0, "lr must be a finite number in (0, 1e+06], got -1.0"),
        "seed": (-1, "seed must be a whole number from 0 to 9223372036854775807, got -1"),
        "data_seed": (-1, "data_seed must be a whole number of at least 0, got -1"),
        "target_loss": (0.0, "target_loss must be a finite number in (0, infinity), got 0.0"),
        "momentum": (1.0, "momentum must be a finite number in [0, 1), got 1.0"),
        "hidden": ((0,), "hidden sizes must be whole numbers from 1 to 1024 (or 'none' for no "
                   "hidden layer), got 0"),
        "activation": ("swish", "activation must be one of sigmoid, tanh, relu, leaky_relu, "
                       "linear, got 'swish'"),
    }  # fmt: skip
    for name, (value, message) in cases.items():
        with pytest.raises(ConfigError) as error:
            TrainConfig(**{name: value})
        assert str(error.value) == message
    with pytest.raises(ConfigError, match="^hidden allows at most 10 hidden layers, got 11$"):
        TrainConfig(hidden=(2,) * 11)
    with pytest.raises(ConfigError, match="^classes applies to the spiral only; xor has 2"):
        TrainConfig(classes=3)
    assert TrainConfig(data="mine.csv", dataset="not checked with a CSV").data == "mine.csv"


@pytest.mark.parametrize("option", OPTIONS, ids=_name)
def test_parse_reads_what_format_writes(option):
    if option.default is not None:
        assert option.parse(option.format(option.default)) == option.default
        assert option.parse(option.format(option.default, in_list=True), in_list=True) == (
            option.default
        )


def test_parse_one_value():
    assert parse_value("hidden", "8,8") == (8, 8) and parse_value("hidden", "none") == ()
    assert parse_value("hidden", "8x8", in_list=True) == (8, 8)
    assert parse_value("lr", "0.5") == 0.5 and parse_value("epochs", " 30 ") == 30
    assert parse_value("activation", "tanh") == "tanh"
    assert parse_value("data", "my points.csv") == "my points.csv"
    assert format_value("hidden", (8, 8)) == "8,8"
    assert format_value("hidden", (8, 8), in_list=True) == "8x8"
    assert format_value("batch_size", None) == "full batch"
    assert format_value("lr", 2.0) == "2" and format_value("eps", 1e-8) == "1e-08"
    assert format_value("lr", 0.1234567891) == "0.1234567891"


@pytest.mark.parametrize(
    "name,text,in_list,message",
    [
        ("lr", "fast", False, "'fast' is not a number; it must be a finite number in (0, 1e+06]"),
        ("epochs", "1e3", False, "'1e3' is not a whole number; it must be a whole number from 1"),
        ("activation", "swish", False, "invalid choice: 'swish'; it must be one of sigmoid, "),
        ("hidden", "8,,8", False, "'8,,8' is not a list of layer sizes; give whole numbers joined "
         "by commas, like 2 or 8,8, or none"),
        ("hidden", "8x8", False, "(x joins layers only inside a sweep's list)"),
        ("hidden", "8,8", True, "give one network's sizes joined by x, like 2 or 8x8, or none"),
    ],
)  # fmt: skip
def test_text_that_is_no_value_says_what_is_allowed(name, text, in_list, message):
    with pytest.raises(ParseError) as error:
        parse_value(name, text, in_list=in_list)
    assert message in str(error.value)


def test_a_sweeps_list():
    assert parse_list("hidden", "4,8x8,none") == [(4,), (8, 8), ()]
    assert parse_list("lr", "0.5, 2,0.5") == [0.5, 2.0]  # each value once
    assert parse_list("data", "a.csv, b.csv") == ["a.csv", "b.csv"]
    with pytest.raises(ParseError, match="'8,8' lists 8 twice; .* like 8x8$"):
        parse_list("hidden", "8,8")
    with pytest.raises(ParseError, match="^'' is not a number"):
        parse_list("lr", "1,,2")
