"""Events for the call's trace: the decisions a flow takes and why.

Fields are keyword arguments, or ``(name, value)`` pairs when a name is not
a Python identifier or their order matters: ``log.info("call", [("caller",
n), ("dialled", d)])``.
"""

from wit_world.imports import log as wit
from wit_world.imports.log import Level


def _emit(level, name, fields, kwargs):
    pairs = [(str(k), str(v)) for k, v in (fields or [])]
    pairs += [(k.replace("_", "-"), str(v)) for k, v in kwargs.items()]
    wit.event(level, name, pairs)


def debug(name, fields=None, **kwargs):
    """A debug event."""
    _emit(Level.DEBUG, name, fields, kwargs)


def info(name, fields=None, **kwargs):
    """An info event."""
    _emit(Level.INFO, name, fields, kwargs)


def warn(name, fields=None, **kwargs):
    """A warning event."""
    _emit(Level.WARN, name, fields, kwargs)


def error(name, fields=None, **kwargs):
    """An error event."""
    _emit(Level.ERROR, name, fields, kwargs)
