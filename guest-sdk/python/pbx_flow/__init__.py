"""Write PBX call flows in Python.

A call flow is a WebAssembly component that the PBX runs once per call, in
a sandbox, against the ``pbx:flow`` WIT contract (``wit/`` in the
repository). ``componentize-py`` generates the raw bindings (the
``wit_world`` package) when it builds the component; this package wraps
them in an API that reads like the call it drives::

    import pbx_flow
    from pbx_flow import Call, Description, HangupCause, log

    class Hello(pbx_flow.Flow):
        def describe(self):
            return Description("hello", "1.0.0").summary("Greets the caller.")

        def handle_call(self, call: Call):
            call.answer()
            digits = call.play(["welcome"]).collect(1)
            log.info("choice", digit=digits)
            call.hangup(HangupCause.NORMAL)

    Handler = pbx_flow.export(Hello)

Every host function raises ``componentize_py_types.Err`` (re-exported here
as :class:`HostError`) on failure; letting it escape ``handle_call`` ends the
flow: the hangup error is a normal end, any other error makes the PBX apply
the tenant's fallback for the caller.
"""

from componentize_py_types import Err as HostError
from wit_world.imports.call import (
    DialTarget_Extension,
    DialTarget_External,
    HangupCause,
    RingStrategy,
    VoicemailGreeting,
)
from wit_world.imports.types import Error_Hangup

from . import config, log, tenant
from .call import Call, Collect, Dial, Enqueue, Play
from .describe import Description, Param
from .destination import Destination, DestinationError
from .flow import Flow, export
from .debug import debug_text

__all__ = [
    "Call",
    "Collect",
    "Description",
    "Destination",
    "DestinationError",
    "Dial",
    "DialTarget_Extension",
    "DialTarget_External",
    "Enqueue",
    "Error_Hangup",
    "Flow",
    "HangupCause",
    "HostError",
    "Param",
    "Play",
    "RingStrategy",
    "VoicemailGreeting",
    "config",
    "debug_text",
    "export",
    "log",
    "tenant",
]
