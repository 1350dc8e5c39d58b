"""What a flow says about itself: name, version, summary and parameters."""

from wit_world.exports.handler import FlowDescription, ParamKind, ParamSpec
from wit_world.imports.config import Value_Integer, Value_Boolean, Value_Text, Value_TextList


class Description:
    """Builder for the ``flow-description`` record."""

    def __init__(self, name: str, version: str):
        self._inner = FlowDescription(name=name, version=version, description="", params=[])

    def summary(self, text: str) -> "Description":
        """One paragraph for admins."""
        self._inner.description = text
        return self

    def param(self, p: "Param") -> "Description":
        """Add a parameter, in order."""
        self._inner.params.append(p.spec)
        return self

    def into_wit(self) -> FlowDescription:
        """The generated record."""
        return self._inner


class Param:
    """Builder for one ``param-spec``: required, labelled by its name,
    until told otherwise. Create with a kind method, e.g.
    ``Param.prompt("greeting")``."""

    def __init__(self, name: str, kind: ParamKind):
        self.spec = ParamSpec(name=name, label=name, help="", kind=kind, required=True, default=None)

    def label(self, label: str) -> "Param":
        """Short label for forms."""
        self.spec.label = label
        return self

    def help(self, text: str) -> "Param":
        """Help text for forms."""
        self.spec.help = text
        return self

    def optional(self) -> "Param":
        """A route need not set it."""
        self.spec.required = False
        return self

    def _default(self, value) -> "Param":
        self.spec.default = value
        self.spec.required = False
        return self

    def default_text(self, v: str) -> "Param":
        """Default text value (makes the parameter optional)."""
        return self._default(Value_Text(v))

    def default_integer(self, v: int) -> "Param":
        """Default integer value (makes the parameter optional)."""
        return self._default(Value_Integer(v))

    def default_boolean(self, v: bool) -> "Param":
        """Default boolean value (makes the parameter optional)."""
        return self._default(Value_Boolean(v))

    def default_list(self, v) -> "Param":
        """Default list value (makes the parameter optional)."""
        return self._default(Value_TextList(list(v)))


def _kind(kind: ParamKind):
    return staticmethod(lambda name: Param(name, kind))


for _name, _k in [
    ("text", ParamKind.TEXT),
    ("integer", ParamKind.INTEGER),
    ("boolean", ParamKind.BOOLEAN),
    ("extension", ParamKind.EXTENSION),
    ("queue", ParamKind.QUEUE),
    ("voicemail_box", ParamKind.VOICEMAIL_BOX),
    ("prompt", ParamKind.PROMPT),
    ("schedule", ParamKind.SCHEDULE),
    ("holiday_calendar", ParamKind.HOLIDAY_CALENDAR),
    ("flag", ParamKind.FLAG),
    ("destination", ParamKind.DESTINATION),
    ("text_list", ParamKind.TEXT_LIST),
]:
    setattr(Param, _name, _kind(_k))

