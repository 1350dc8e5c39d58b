// The call a flow handles, and builders for its longer actions. Durations
// are in seconds and go to the host in milliseconds. Every method that
// reaches the host throws on failure, like the generated bindings: the
// thrown error's `payload` is the WIT `error` (`{ tag: 'hangup' }`, ...).

import * as wit from 'pbx:flow/call@0.1.0';

const ms = (seconds) => Math.max(0, Math.min(Math.round(seconds * 1000), 0xffffffff));

/** The call being handled: there is one per flow instance. */
export class Call {
  /** Facts about the call (`call-info`). Never fails. */
  info() { return wit.info(); }
  /** The call's current state (`ringing`, `answered`, ...). */
  state() { return wit.state(); }
  /** Answer (no-op when answered). */
  answer() { wit.answer(); }
  /** Open early media without answering. */
  preAnswer() { wit.preAnswer(); }
  /** Prompts to play; finish with `run`, `interruptible` or `collect`. */
  play(prompts) { return new Play([...prompts]); }
  /** Speak digits one by one, without barge-in. */
  sayDigits(digits) { wit.sayDigits(digits, false); }
  /** Speak a whole number, without barge-in. */
  sayNumber(n) { wit.sayNumber(n, false); }
  /** Collect up to `maxDigits` keys ('#' ends, 5 s first, 3 s between). */
  collect(maxDigits) { return new Collect(maxDigits); }
  /** Ring `target` (`{ tag: 'extension' | 'external', val }`) for 30 s. */
  dial(target) { return new Dial(target); }
  /** Blind transfer; the flow no longer controls the call afterwards. */
  transfer(target) { wit.transfer(target); }
  /** Wait in `queue` with the queue's defaults; finish with `run`. */
  enqueue(queue) { return new Enqueue(queue); }
  /** Let the caller leave a message in `box`; greeting `unavailable`, `busy` or `none`. */
  voicemail(box, greeting) { return wit.voicemail(box, greeting); }
  /** Record the caller for at most `maxSeconds` ('#' stops, beep). */
  record(maxSeconds) { return new Record(maxSeconds); }
  /** Music on hold; the key pressed, or undefined. */
  musicOnHold(seconds) { return wit.musicOnHold(undefined, ms(seconds)); }
  /** End the call: `normal`, `busy`, `rejected`, `unavailable`, `not-found`, `congestion`. */
  hangup(cause) { wit.hangup(cause); }
  /** Set a field on the call's record. */
  setField(name, value) { wit.setRecordField(name, value); }
  /** Silence; the key pressed, or undefined. */
  pause(seconds) { return wit.pause(ms(seconds)); }
}

/** Prompts waiting to be played. */
export class Play {
  constructor(prompts) { this.prompts = prompts; }
  /** Play them all; key presses are discarded. */
  run() { wit.play(this.prompts, false); }
  /** Play them; a key press stops playback and is returned. */
  interruptible() { return wit.play(this.prompts, true); }
  /** Play them with barge-in, then collect digits; the digits. */
  collect(maxDigits) { return new Collect(maxDigits).prompt(this.prompts).run().digits; }
}

/** Digit collection options; `run` collects. */
export class Collect {
  constructor(maxDigits) {
    this.options = {
      maxDigits,
      terminator: '#',
      firstDigitTimeoutMs: 5000,
      interDigitTimeoutMs: 3000,
      prompt: [],
    };
  }
  /** The key that ends input, or undefined for none. */
  terminator(key) { this.options.terminator = key; return this; }
  /** Wait for the first digit. */
  firstDigitTimeout(s) { this.options.firstDigitTimeoutMs = ms(s); return this; }
  /** Wait between digits. */
  interDigitTimeout(s) { this.options.interDigitTimeoutMs = ms(s); return this; }
  /** Prompts played with barge-in before collecting. */
  prompt(prompts) { this.options.prompt = [...prompts]; return this; }
  /** Collect; `{ digits, endedBy }`. */
  run() { return wit.collect(this.options); }
}

/** Dial options; `run` dials. */
export class Dial {
  constructor(target) {
    this.options = { targets: [target], strategy: 'simultaneous', ringTimeoutMs: 30000, callerId: undefined };
  }
  /** Ring this target too. */
  or(target) { this.options.targets.push(target); return this; }
  /** Ring the targets one after the other. */
  sequential() { this.options.strategy = 'sequential'; return this; }
  /** Ring time. */
  ringFor(s) { this.options.ringTimeoutMs = ms(s); return this; }
  /** Caller id shown to the dialled party. */
  callerId(number, name) { this.options.callerId = { number, name }; return this; }
  /** Dial; a `dial-outcome` (`{ tag: 'answered', val }`, `{ tag: 'busy' }`, ...). */
  run() { return wit.dial(this.options); }
}

/** Queue options; `run` waits in the queue. */
export class Enqueue {
  constructor(queue) {
    this.options = {
      queue,
      maxWaitMs: undefined,
      positionAnnounceIntervalMs: undefined,
      exitKeys: '',
      priority: 0,
      musicClass: undefined,
    };
  }
  /** Leave the queue after this long. */
  maxWait(s) { this.options.maxWaitMs = ms(s); return this; }
  /** Announce the caller's position at this interval. */
  announcePositionEvery(s) { this.options.positionAnnounceIntervalMs = ms(s); return this; }
  /** Keys that let the caller leave. */
  exitKeys(keys) { this.options.exitKeys = keys; return this; }
  /** Priority, higher first. */
  priority(p) { this.options.priority = p; return this; }
  /** Wait; a `queue-exit`. */
  run() { return wit.enqueue(this.options); }
}

/** Recording options; `run` records. */
export class Record {
  constructor(maxSeconds) {
    this.options = { maxDurationMs: ms(maxSeconds), silenceTimeoutMs: undefined, stopKeys: '#', beep: true };
  }
  /** Stop after this much silence. */
  stopOnSilence(s) { this.options.silenceTimeoutMs = ms(s); return this; }
  /** Keys that stop the recording. */
  stopKeys(keys) { this.options.stopKeys = keys; return this; }
  /** No beep before recording. */
  noBeep() { this.options.beep = false; return this; }
  /** Record; a `recording`. */
  run() { return wit.recordMessage(this.options); }
}
