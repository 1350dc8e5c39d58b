"""The @@name@@ call flow.

Answers, plays a greeting, then a two-key menu: 1 rings an extension (its
voicemail when nobody answers or it is busy), 2 goes straight to its
voicemail; no key or another key also ends in voicemail. Each decision is
logged to the call's trace.
"""

import pbx_flow
from pbx_flow import (
    Call,
    Description,
    DialTarget_Extension,
    HangupCause,
    Param,
    VoicemailGreeting,
    config,
    debug_text,
    log,
)
from wit_world.imports.call import DialOutcome_Answered, DialOutcome_Busy


class @@Camel@@Flow(pbx_flow.Flow):
    def describe(self):
        return (
            Description("@@name@@", "0.1.0")
            .summary("Greets callers; key 1 rings an extension, key 2 leaves a message.")
            .param(Param.prompt("greeting").label("Greeting").default_text("welcome"))
            .param(Param.extension("extension").label("Extension").default_text("101"))
            .param(Param.integer("ring-seconds").label("Ring time").default_integer(20))
        )

    def handle_call(self, call: Call):
        info = call.info()
        log.info("call", caller=info.caller_number)
        call.answer()
        call.play([text("greeting")]).run()
        digits = call.play(["menu"]).collect(1)
        extension = text("extension")
        if digits == "1":
            log.info("menu-choice", key="1")
            ring = config.integer("ring-seconds")
            ring = max(5, min(20 if ring is None else ring, 120))
            outcome = call.dial(DialTarget_Extension(extension)).ring_for(ring).run()
            log.info("dial-outcome", outcome=debug_text(outcome))
            if isinstance(outcome, DialOutcome_Answered):
                return
            if isinstance(outcome, DialOutcome_Busy):
                call.voicemail(extension, VoicemailGreeting.BUSY)
            else:
                call.voicemail(extension, VoicemailGreeting.UNAVAILABLE)
        elif digits == "2":
            log.info("menu-choice", key="2")
            call.voicemail(extension, VoicemailGreeting.UNAVAILABLE)
        else:
            log.info("no-choice", digits=digits)
            call.voicemail(extension, VoicemailGreeting.NONE)
        call.hangup(HangupCause.NORMAL)


def text(name: str) -> str:
    """A text parameter; the schema gives every one used here a default."""
    return config.text(name) or ""


Handler = pbx_flow.export(@@Camel@@Flow)
