"""The call a flow handles, and builders for its longer actions.

Durations are in seconds (int or float) and go to the host in
milliseconds. Every method that reaches the host raises ``HostError`` on
failure, like the generated bindings.
"""

from wit_world.imports import call as wit
from wit_world.imports.call import (
    CallerId,
    CollectOptions,
    DialOptions,
    EnqueueOptions,
    RecordOptions,
    RingStrategy,
)


def _ms(seconds) -> int:
    return max(0, min(int(round(seconds * 1000)), 0xFFFFFFFF))


class Call:
    """The call being handled: there is one per flow instance."""

    def info(self):
        """Facts about the call (``CallInfo``). Never fails."""
        return wit.info()

    def state(self):
        """The call's current ``CallState``."""
        return wit.state()

    def answer(self) -> None:
        """Answer (no-op when answered)."""
        wit.answer()

    def pre_answer(self) -> None:
        """Open early media without answering."""
        wit.pre_answer()

    def play(self, prompts) -> "Play":
        """Prompts to play; finish with ``run``, ``interruptible`` or ``collect``."""
        return Play(list(prompts))

    def say_digits(self, digits: str) -> None:
        """Speak digits one by one, without barge-in."""
        wit.say_digits(digits, False)

    def say_number(self, number: int) -> None:
        """Speak a whole number, without barge-in."""
        wit.say_number(number, False)

    def collect(self, max_digits: int) -> "Collect":
        """Collect up to ``max_digits`` keys ('#' ends, 5 s first, 3 s between)."""
        return Collect(max_digits)

    def dial(self, target) -> "Dial":
        """Ring ``target`` (``DialTarget_Extension``/``_External``) for 30 s."""
        return Dial(target)

    def transfer(self, target) -> None:
        """Blind transfer; the flow no longer controls the call afterwards."""
        wit.transfer(target)

    def enqueue(self, queue: str) -> "Enqueue":
        """Wait in ``queue`` with the queue's defaults; finish with ``run``."""
        return Enqueue(queue)

    def voicemail(self, box: str, greeting):
        """Let the caller leave a message in ``box``; a ``VoicemailOutcome``."""
        return wit.voicemail(box, greeting)

    def record(self, max_seconds) -> "Record":
        """Record the caller for at most ``max_seconds`` ('#' stops, beep)."""
        return Record(max_seconds)

    def music_on_hold(self, seconds):
        """Music on hold; the key pressed, or ``None``."""
        return wit.music_on_hold(None, _ms(seconds))

    def hangup(self, cause) -> None:
        """End the call with a ``HangupCause``."""
        wit.hangup(cause)

    def set_field(self, name: str, value: str) -> None:
        """Set a field on the call's record."""
        wit.set_record_field(name, value)

    def pause(self, seconds):
        """Silence; the key pressed, or ``None``."""
        return wit.pause(_ms(seconds))


class Play:
    """Prompts waiting to be played."""

    def __init__(self, prompts):
        self.prompts = prompts

    def run(self) -> None:
        """Play them all; key presses are discarded."""
        wit.play(self.prompts, False)

    def interruptible(self):
        """Play them; a key press stops playback and is returned."""
        return wit.play(self.prompts, True)

    def collect(self, max_digits: int) -> str:
        """Play them with barge-in, then collect digits; the digits."""
        return Collect(max_digits).prompt(self.prompts).run().digits


class Collect:
    """Digit collection options; ``run`` collects."""

    def __init__(self, max_digits: int):
        self.options = CollectOptions(
            max_digits=max_digits,
            terminator="#",
            first_digit_timeout_ms=5000,
            inter_digit_timeout_ms=3000,
            prompt=[],
        )

    def terminator(self, key):
        """The key that ends input, or ``None``."""
        self.options.terminator = key
        return self

    def first_digit_timeout(self, seconds):
        """Wait for the first digit."""
        self.options.first_digit_timeout_ms = _ms(seconds)
        return self

    def inter_digit_timeout(self, seconds):
        """Wait between digits."""
        self.options.inter_digit_timeout_ms = _ms(seconds)
        return self

    def prompt(self, prompts):
        """Prompts played with barge-in before collecting."""
        self.options.prompt = list(prompts)
        return self

    def run(self):
        """Collect; a ``Collected`` (digits and why it stopped)."""
        return wit.collect(self.options)


class Dial:
    """Dial options; ``run`` dials."""

    def __init__(self, target):
        self.options = DialOptions(
            targets=[target],
            strategy=RingStrategy.SIMULTANEOUS,
            ring_timeout_ms=30000,
            caller_id=None,
        )

    def or_(self, target):
        """Ring this target too."""
        self.options.targets.append(target)
        return self

    def sequential(self):
        """Ring the targets one after the other."""
        self.options.strategy = RingStrategy.SEQUENTIAL
        return self

    def ring_for(self, seconds):
        """Ring time."""
        self.options.ring_timeout_ms = _ms(seconds)
        return self

    def caller_id(self, number: str, name=None):
        """Caller id shown to the dialled party."""
        self.options.caller_id = CallerId(number=number, name=name)
        return self

    def run(self):
        """Dial; a ``DialOutcome``."""
        return wit.dial(self.options)


class Enqueue:
    """Queue options; ``run`` waits in the queue."""

    def __init__(self, queue: str):
        self.options = EnqueueOptions(
            queue=queue,
            max_wait_ms=None,
            position_announce_interval_ms=None,
            exit_keys="",
            priority=0,
            music_class=None,
        )

    def max_wait(self, seconds):
        """Leave the queue after this long."""
        self.options.max_wait_ms = _ms(seconds)
        return self

    def announce_position_every(self, seconds):
        """Announce the caller's position at this interval."""
        self.options.position_announce_interval_ms = _ms(seconds)
        return self

    def exit_keys(self, keys: str):
        """Keys that let the caller leave."""
        self.options.exit_keys = keys
        return self

    def priority(self, p: int):
        """Priority, higher first."""
        self.options.priority = p
        return self

    def run(self):
        """Wait; a ``QueueExit``."""
        return wit.enqueue(self.options)


class Record:
    """Recording options; ``run`` records."""

    def __init__(self, max_seconds):
        self.options = RecordOptions(
            max_duration_ms=_ms(max_seconds),
            silence_timeout_ms=None,
            stop_keys="#",
            beep=True,
        )

    def stop_on_silence(self, seconds):
        """Stop after this much silence."""
        self.options.silence_timeout_ms = _ms(seconds)
        return self

    def stop_keys(self, keys: str):
        """Keys that stop the recording."""
        self.options.stop_keys = keys
        return self

    def no_beep(self):
        """No beep before recording."""
        self.options.beep = False
        return self

    def run(self):
        """Record; a ``Recording``."""
        return wit.record_message(self.options)
