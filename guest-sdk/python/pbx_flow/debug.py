"""Outcomes as text for the trace, written the way the PBX's own traces
write WIT values (``DialOutcome::Busy``, ``QueueExit::ExitKey('1')``), so a
flow's events read the same in every language."""

from dataclasses import fields, is_dataclass
from enum import Enum


def _quote(s: str, q: str) -> str:
    out = []
    for c in s:
        if c in (q, "\\"):
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\0":
            out.append("\\0")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append("\\u{%x}" % ord(c))
        else:
            out.append(c)
    return q + "".join(out) + q


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.lower().split("_"))


# Variant cases whose payload is a WIT `char` (a one-character str here).
_CHAR_CASES = {"QueueExit_ExitKey", "RecordEnd_Key"}


def debug_text(value, char: bool = False) -> str:
    """``value`` (a generated WIT value) as trace text. Variant cases are
    ``Type::Case(payload)``, records ``Name { field-name: value }``, enums
    ``Type::Case``, strings quoted (``char=True``: as a char, ``'1'``)."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return f"{type(value).__name__}::{_camel(value.name)}"
    if isinstance(value, str):
        return _quote(value, "'" if char else '"')
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(debug_text(v) for v in value) + "]"
    if is_dataclass(value):
        cls = type(value).__name__
        fs = fields(value)
        if "_" in cls:
            typ, case = cls.split("_", 1)
            name = f"{typ}::{case}"
            if not fs:
                return name
            payload = getattr(value, fs[0].name)
            return f"{name}({debug_text(payload, cls in _CHAR_CASES)})"
        inner = ", ".join(
            f"{f.name.replace('_', '-')}: {debug_text(getattr(value, f.name))}" for f in fs
        )
        return f"{cls} {{ {inner} }}"
    return repr(value)
