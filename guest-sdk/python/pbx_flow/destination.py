"""Destinations written as text, the way admins write them in parameters
and incident flags: ``ext:101``, ``queue:sales``, ``vm:101``,
``tel:+33123456789``, ``hangup`` (a bare number is an extension)."""

from dataclasses import dataclass

_KINDS = {"ext": "extension", "queue": "queue", "vm": "voicemail", "tel": "external"}
_PREFIX = {kind: prefix for prefix, kind in _KINDS.items()}


class DestinationError(ValueError):
    """Text that is not a destination."""

    def __init__(self, text: str):
        super().__init__(
            f"`{text}` is not a destination: use ext:NUMBER, queue:NAME, "
            "vm:BOX, tel:NUMBER or hangup"
        )
        self.text = text


@dataclass(frozen=True)
class Destination:
    """Where a call can go. ``kind`` is ``extension``, ``queue``,
    ``voicemail``, ``external`` or ``hangup``; ``target`` is the number,
    queue or box (empty for ``hangup``)."""

    kind: str
    target: str = ""

    @staticmethod
    def parse(text: str) -> "Destination":
        """Parse ``ext:101`` and friends; raises :class:`DestinationError`."""
        s = text.strip()
        if s == "hangup":
            return Destination("hangup")
        if s and all(c in "0123456789" for c in s):
            return Destination("extension", s)
        prefix, sep, rest = s.partition(":")
        if not sep or not rest or prefix not in _KINDS:
            raise DestinationError(s)
        return Destination(_KINDS[prefix], rest)

    def __str__(self) -> str:
        if self.kind == "hangup":
            return "hangup"
        return f"{_PREFIX[self.kind]}:{self.target}"
