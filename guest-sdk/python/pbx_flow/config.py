"""The route's parameters, typed. A missing or mistyped parameter reads as
``None`` (or an empty list); the PBX checks values against the schema when
a route is saved."""

from wit_world.imports import config as wit
from wit_world.imports.config import Value_Boolean, Value_Integer, Value_Text, Value_TextList

from .destination import Destination, DestinationError


def get(name: str):
    """The raw value of parameter ``name``, or ``None``."""
    return wit.get(name)


def text(name: str):
    """A text parameter, or ``None`` when unset or not text."""
    v = wit.get(name)
    return v.value if isinstance(v, Value_Text) else None


def integer(name: str):
    """An integer parameter, or ``None`` when unset or not an integer."""
    v = wit.get(name)
    return v.value if isinstance(v, Value_Integer) else None


def boolean(name: str):
    """A boolean parameter, or ``None`` when unset or not a boolean."""
    v = wit.get(name)
    return v.value if isinstance(v, Value_Boolean) else None


def text_list(name: str) -> list:
    """A list parameter; empty when unset or not a list."""
    v = wit.get(name)
    return list(v.value) if isinstance(v, Value_TextList) else []


def destination(name: str):
    """A parameter read as a :class:`Destination`, or ``None``."""
    t = text(name)
    if t is None:
        return None
    try:
        return Destination.parse(t)
    except DestinationError:
        return None


def key_map(entries) -> list:
    """Menu entries ``"1=ext:101"`` as ``(key, Destination)`` pairs, in
    order. Entries whose key is not exactly one character or whose
    destination does not parse are skipped."""
    out = []
    for entry in entries:
        key, sep, dest = entry.partition("=")
        key = key.strip()
        if not sep or len(key) != 1:
            continue
        try:
            out.append((key, Destination.parse(dest)))
        except DestinationError:
            continue
    return out
