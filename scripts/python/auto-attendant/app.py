"""The reference auto-attendant, in Python.

Greeting; when the office is closed (outside the schedule's hours, or a
holiday of the calendar) a closed message and the general voicemail box;
otherwise a one-key menu whose keys lead to extensions, queues or
voicemail boxes, with a repeat key and a bounded number of retries on
invalid or missing input. Every decision is logged to the call's trace.
Same behaviour, host calls and trace events as the Rust reference
(scripts/rust/auto-attendant).
"""

import pbx_flow
from pbx_flow import (
    Call,
    Description,
    DialTarget_Extension,
    DialTarget_External,
    HangupCause,
    Param,
    VoicemailGreeting,
    config,
    debug_text,
    log,
)
from pbx_flow.tenant import holidays, schedule
from wit_world.imports.call import DialOutcome_Answered, DialOutcome_Busy, QueueExit_Answered
from wit_world.imports.schedule import ClosedReason_Closure, ClosedReason_Holiday


class AutoAttendant(pbx_flow.Flow):
    def describe(self):
        return (
            Description("auto-attendant", "1.0.0")
            .summary(
                "Greets callers, sends them to voicemail when the office is closed, "
                "and offers a one-key menu when it is open."
            )
            .param(Param.schedule("schedule").label("Office hours").default_text("office"))
            .param(
                Param.holiday_calendar("holidays")
                .label("Holiday calendar")
                .help("Closed all day on these holidays.")
                .optional()
            )
            .param(Param.prompt("greeting").label("Greeting").default_text("welcome"))
            .param(Param.prompt("closed-prompt").label("Closed message").default_text("closed"))
            .param(Param.prompt("menu-prompt").label("Menu prompt").default_text("menu"))
            .param(
                Param.prompt("invalid-prompt")
                .label("Invalid choice prompt")
                .default_text("invalid")
            )
            .param(
                Param.text_list("menu")
                .label("Menu keys")
                .help("One entry per key: 1=ext:101, 2=queue:sales, 9=vm:100.")
                .default_list(["1=ext:101", "2=ext:102", "9=vm:100"])
            )
            .param(Param.text("repeat-key").label("Repeat key").default_text("*"))
            .param(
                Param.voicemail_box("voicemail-box")
                .label("General voicemail")
                .default_text("100")
            )
            .param(Param.integer("retries").label("Attempts").default_integer(3))
            .param(Param.integer("ring-seconds").label("Ring time").default_integer(20))
        )

    def handle_call(self, call: Call):
        info = call.info()
        log.info("call", caller=info.caller_number, dialled=info.dialled_number)
        call.answer()
        call.play([text("greeting")]).run()

        why = closed_reason()
        if why is not None:
            log.info("closed", reason=why)
            call.set_field("outcome", "closed")
            call.play([text("closed-prompt")]).run()
            call.voicemail(text("voicemail-box"), VoicemailGreeting.NONE)
            call.hangup(HangupCause.NORMAL)
            return
        menu(call)


def closed_reason():
    """Why the office is closed right now, or ``None`` when it is open."""
    calendar = config.text("holidays")
    if calendar is not None:
        h = holidays.today(calendar)
        if h is not None:
            return f"holiday: {h.name}"
    status = schedule.status(text("schedule"))
    if status.open:
        return None
    if isinstance(status.reason, ClosedReason_Holiday):
        return f"holiday: {status.reason.value}"
    if isinstance(status.reason, ClosedReason_Closure):
        return f"closure: {status.reason.value}"
    return "outside hours"


def menu(call: Call):
    """The open-hours menu, with retries."""
    keys = config.key_map(config.text_list("menu"))
    repeat_text = text("repeat-key")
    repeat = repeat_text[0] if repeat_text else None
    attempts = clamp(config.integer("retries"), 3, 1, 10)
    failures = 0
    repeats = 0
    while failures < attempts and repeats < 10:
        digits = call.play([text("menu-prompt")]).collect(1)
        if not digits:
            failures += 1
            log.info("no-input", attempt=failures)
            continue
        key = digits[0]
        if key == repeat:
            repeats += 1
            log.info("repeat")
            continue
        destination = next((d for k, d in keys if k == key), None)
        if destination is not None:
            log.info("menu-choice", key=key, destination=destination)
            call.set_field("menu-choice", key)
            route(call, destination)
            return
        failures += 1
        log.info("invalid-choice", key=key, attempt=failures)
        call.play([text("invalid-prompt")]).run()
    log.warn("retries-exhausted")
    call.set_field("outcome", "retries-exhausted")
    call.voicemail(text("voicemail-box"), VoicemailGreeting.NONE)
    call.hangup(HangupCause.NORMAL)


def route(call: Call, destination):
    """Send the caller to the destination they chose."""
    kind, target = destination.kind, destination.target
    if kind == "extension":
        ring = clamp(config.integer("ring-seconds"), 20, 5, 120)
        outcome = call.dial(DialTarget_Extension(target)).ring_for(ring).run()
        log.info("dial-outcome", extension=target, outcome=debug_text(outcome))
        if isinstance(outcome, DialOutcome_Answered):
            return
        if isinstance(outcome, DialOutcome_Busy):
            call.voicemail(target, VoicemailGreeting.BUSY)
        else:
            call.voicemail(target, VoicemailGreeting.UNAVAILABLE)
    elif kind == "voicemail":
        call.voicemail(target, VoicemailGreeting.UNAVAILABLE)
    elif kind == "queue":
        exit_ = call.enqueue(target).max_wait(300).run()
        log.info("queue-exit", queue=target, exit=debug_text(exit_))
        if not isinstance(exit_, QueueExit_Answered):
            call.voicemail(text("voicemail-box"), VoicemailGreeting.UNAVAILABLE)
    elif kind == "external":
        call.dial(DialTarget_External(target)).run()
    call.hangup(HangupCause.NORMAL)


def text(name: str) -> str:
    """A text parameter; the schema gives every one used here a default."""
    return config.text(name) or ""


def clamp(value, default: int, low: int, high: int) -> int:
    """An integer parameter with its default, kept within ``[low, high]``."""
    v = default if value is None else value
    return max(low, min(v, high))


Handler = pbx_flow.export(AutoAttendant)
