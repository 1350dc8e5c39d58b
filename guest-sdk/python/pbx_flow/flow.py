"""The flow interface and its export to the ``handler`` WIT interface."""

from wit_world import exports

from .call import Call


class Flow:
    """A call flow: subclass it and override both methods."""

    def describe(self):
        """What the flow says about itself: a :class:`pbx_flow.Description`."""
        raise NotImplementedError("a flow must override describe()")

    def handle_call(self, call: Call) -> None:
        """Handle one call; host errors propagate as ``HostError``."""
        raise NotImplementedError("a flow must override handle_call()")


def export(flow_class):
    """The ``Handler`` class componentize-py exports for ``flow_class``.

    Bind it in the app module: ``Handler = pbx_flow.export(MyFlow)``.
    """

    class Handler(exports.Handler):
        def describe(self):
            return flow_class().describe().into_wit()

        def handle_call(self) -> None:
            flow_class().handle_call(Call())

    Handler.__name__ = "Handler"
    Handler.__qualname__ = "Handler"
    return Handler
