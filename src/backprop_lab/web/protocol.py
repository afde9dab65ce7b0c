"""Every message the page may send, checked before anything acts on it.

A message is a JSON object with a ``type``; :func:`parse` returns it as a :class:`Message` or
raises :class:`MessageError` with one sentence saying what is wrong and what is allowed. The
ranges of the training settings are TrainConfig's own (checked when the session builds its
config); here only the shape of each message and the plain types of its values are checked,
so that nothing the page sends can reach the engine as a surprise.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from ..config import OPTION
from .session import CAPS, SETTINGS

MAX_MESSAGE_BYTES = 65_536


class MessageError(ValueError):
    """A message the server will not act on; the text is one sentence for the page. ``about``
    and ``id`` are the message's type and id when it had them (the reply names them)."""

    about: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Message:
    type: str
    body: dict
    id: int | None = None


# type -> {field: kind}; kinds: "int", "number", "bool", "layer", "point", "settings", "kind"
FIELDS: dict[str, dict[str, str]] = {
    "configure": {"settings": "settings"},
    "play": {},
    "pause": {},
    "step": {},
    "reset": {},
    "ack": {},
    "regenerate": {},
    "clear_points": {},
    "save": {},
    "speed": {"epochs": "int"},
    "edit": {"layer": "int", "kind": "kind", "row": "int?", "col": "int", "value": "number"},
    "add_point": {"x": "point", "label": "number"},
    "focus": {"layer": "int?", "unit": "int?"},
    "hidden_view": {"layer": "int?", "mode": "mode?", "units": "pair?"},
    "trace": {"sample": "int"},
}
OPTIONAL = {
    "edit": {"row"},
    "focus": {"unit"},
    "hidden_view": {"mode", "units"},
}


def parse(text: str | bytes) -> Message:
    """The message in ``text``, checked; MessageError says what is wrong."""
    if isinstance(text, bytes):
        raise MessageError("messages are JSON text, not binary")
    if len(text) > MAX_MESSAGE_BYTES:
        raise MessageError(f"a message may be at most {MAX_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as error:
        raise MessageError(f"the message is not JSON ({_short(error)})") from None
    if not isinstance(data, dict):
        raise MessageError('a message is a JSON object with a "type"')
    kind = data.get("type")
    ident = data.get("id")
    try:
        return _checked(data, kind, ident)
    except MessageError as error:
        error.about = kind if isinstance(kind, str) and kind in FIELDS else None
        error.id = ident if _is_int(ident) else None
        raise


def _checked(data: dict, kind: Any, ident: Any) -> Message:
    if not isinstance(kind, str) or kind not in FIELDS:
        raise MessageError(f"unknown message type {_shown(kind)}; known: {', '.join(FIELDS)}")
    if ident is not None and not _is_int(ident):
        raise MessageError('"id" must be a whole number')
    fields = FIELDS[kind]
    unknown = sorted(set(data) - set(fields) - {"type", "id"})
    if unknown:
        allowed = ", ".join(fields) or "no fields"
        raise MessageError(f'"{kind}" has no field {unknown[0]!r}; it takes {allowed}')
    body: dict[str, Any] = {}
    for name, field_kind in fields.items():
        optional = field_kind.endswith("?") or name in OPTIONAL.get(kind, ())
        if name not in data or data[name] is None:
            if not optional:
                raise MessageError(f'"{kind}" needs the field {name!r}')
            body[name] = None
            continue
        body[name] = _check(kind, name, field_kind.rstrip("?"), data[name])
    return Message(kind, body, ident)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _short(error: Exception) -> str:
    return str(error).split(":")[0] if isinstance(error, json.JSONDecodeError) else str(error)


def _shown(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (RecursionError, ValueError, TypeError):
        return f"a deeply nested {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) < 1e300
    )


def _check(kind: str, name: str, field_kind: str, value: Any) -> Any:
    where = f'"{name}" of "{kind}"'
    if field_kind == "int":
        if not _is_int(value):
            raise MessageError(f"{where} must be a whole number, not {_shown(value)}")
        return value
    if field_kind == "number":
        if not _is_number(value):
            raise MessageError(f"{where} must be a finite number, not {_shown(value)}")
        return float(value)
    if field_kind == "kind":
        if value not in ("W", "b"):
            raise MessageError(f'{where} is "W" (a weight) or "b" (a bias), not {_shown(value)}')
        return value
    if field_kind == "mode":
        if value not in ("units", "pca"):
            raise MessageError(f'{where} is "units" or "pca", not {_shown(value)}')
        return value
    if field_kind == "point":
        if not (isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))):
            raise MessageError(f"{where} must be two finite numbers [x1, x2]")
        if any(abs(v) > 1e3 for v in value):
            raise MessageError(f"{where} must lie within -1000 to 1000")
        return [float(v) for v in value]
    if field_kind == "pair":
        if not (isinstance(value, list) and len(value) == 2 and all(map(_is_int, value))):
            raise MessageError(f"{where} must be two unit numbers [i, j]")
        return value
    if field_kind == "settings":
        return check_settings(value)
    raise AssertionError(field_kind)


def check_settings(value: Any) -> dict:
    """The plain types of a "configure" message's settings (their ranges are TrainConfig's)."""
    if not isinstance(value, dict):
        raise MessageError('"settings" must be an object of setting: value')
    settings = {}
    for name, item in value.items():
        if name == "points":
            settings[name] = _points(item)
            continue
        if name not in SETTINGS:
            raise MessageError(
                f"{_shown(name)} is not a playground setting; the settings are "
                f"{', '.join(SETTINGS)} and points"
            )
        settings[name] = _setting(name, item)
    return settings


def _setting(name: str, value: Any) -> Any:
    option = OPTION[name]
    label = f'the setting "{name}"'
    if name == "hidden":
        if not (isinstance(value, list) and all(map(_is_int, value))):
            raise MessageError(f"{label} must be a list of whole numbers, one per hidden layer")
        if len(value) > CAPS.hidden_layers:
            raise MessageError(f"{label} may have at most {CAPS.hidden_layers} hidden layers")
        if any(not 1 <= v <= CAPS.units for v in value):
            raise MessageError(f"{label} takes 1 to {CAPS.units} units in each hidden layer")
        return value
    if name == "features":
        if value is None:
            return None
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise MessageError(f"{label} must be a list of feature names, or null")
        if not value:
            raise MessageError(f"{label} needs at least one feature")
        return value
    if name == "batch_size" and value is None:
        return None
    if option.choices:
        if value not in option.choices:
            choices = ", ".join(option.choices)
            raise MessageError(f"{label} is one of {choices}, not {_shown(value)}")
        return value
    if option.kind == "int" or name in ("n", "classes", "data_seed", "seed", "batch_size"):
        if not _is_int(value):
            raise MessageError(f"{label} must be a whole number, not {_shown(value)}")
        return value
    if not _is_number(value):
        raise MessageError(f"{label} must be a finite number, not {_shown(value)}")
    return float(value)


def _points(value: Any) -> list[list[float]]:
    if not isinstance(value, list):
        raise MessageError('"points" must be a list of [x1, x2, label] points')
    if len(value) > CAPS.user_points:
        raise MessageError(f'"points" may hold at most {CAPS.user_points} points')
    points = []
    for point in value:
        if not (isinstance(point, list) and len(point) == 3 and all(map(_is_number, point))):
            raise MessageError('each of "points" must be three finite numbers [x1, x2, label]')
        if any(abs(v) > 1e3 for v in point):
            raise MessageError('each of "points" must lie within -1000 to 1000')
        points.append([float(v) for v in point])
    return points
