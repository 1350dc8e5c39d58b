// The reference auto-attendant, in JavaScript.
//
// Greeting; when the office is closed (outside the schedule's hours, or a
// holiday of the calendar) a closed message and the general voicemail box;
// otherwise a one-key menu whose keys lead to extensions, queues or
// voicemail boxes, with a repeat key and a bounded number of retries on
// invalid or missing input. Every decision is logged to the call's trace.
// Same behaviour, host calls and trace events as the Rust reference
// (scripts/rust/auto-attendant).

import { today } from 'pbx:flow/holidays@0.1.0';
import { status } from 'pbx:flow/schedule@0.1.0';
import {
  Description,
  Param,
  config,
  dialOutcomeText,
  exportFlow,
  log,
  queueExitText,
} from '../../../guest-sdk/js/index.js';

const autoAttendant = {
  describe() {
    return new Description('auto-attendant', '1.0.0')
      .summary('Greets callers, sends them to voicemail when the office is closed, and offers a one-key menu when it is open.')
      .param(Param.schedule('schedule').label('Office hours').defaultText('office'))
      .param(
        Param.holidayCalendar('holidays')
          .label('Holiday calendar')
          .help('Closed all day on these holidays.')
          .optional(),
      )
      .param(Param.prompt('greeting').label('Greeting').defaultText('welcome'))
      .param(Param.prompt('closed-prompt').label('Closed message').defaultText('closed'))
      .param(Param.prompt('menu-prompt').label('Menu prompt').defaultText('menu'))
      .param(Param.prompt('invalid-prompt').label('Invalid choice prompt').defaultText('invalid'))
      .param(
        Param.textList('menu')
          .label('Menu keys')
          .help('One entry per key: 1=ext:101, 2=queue:sales, 9=vm:100.')
          .defaultList(['1=ext:101', '2=ext:102', '9=vm:100']),
      )
      .param(Param.text('repeat-key').label('Repeat key').defaultText('*'))
      .param(Param.voicemailBox('voicemail-box').label('General voicemail').defaultText('100'))
      .param(Param.integer('retries').label('Attempts').defaultInteger(3))
      .param(Param.integer('ring-seconds').label('Ring time').defaultInteger(20));
  },

  handleCall(call) {
    const info = call.info();
    log.info('call', { caller: info.callerNumber, dialled: info.dialledNumber });
    call.answer();
    call.play([text('greeting')]).run();

    const why = closedReason();
    if (why !== undefined) {
      log.info('closed', { reason: why });
      call.setField('outcome', 'closed');
      call.play([text('closed-prompt')]).run();
      call.voicemail(text('voicemail-box'), 'none');
      call.hangup('normal');
      return;
    }
    menu(call);
  },
};

/** Why the office is closed right now, or undefined when it is open. */
function closedReason() {
  const calendar = config.text('holidays');
  if (calendar !== undefined) {
    const h = today(calendar);
    if (h) return `holiday: ${h.name}`;
  }
  const s = status(text('schedule'));
  if (s.open) return undefined;
  if (s.reason?.tag === 'holiday') return `holiday: ${s.reason.val}`;
  if (s.reason?.tag === 'closure') return `closure: ${s.reason.val}`;
  return 'outside hours';
}

/** The open-hours menu, with retries. */
function menu(call) {
  const keys = config.keyMap(config.textList('menu'));
  const repeat = [...text('repeat-key')][0];
  const attempts = clamp(config.integer('retries'), 3, 1, 10);
  let failures = 0;
  let repeats = 0;
  while (failures < attempts && repeats < 10) {
    const digits = call.play([text('menu-prompt')]).collect(1);
    const key = [...digits][0];
    if (key === undefined) {
      failures += 1;
      log.info('no-input', { attempt: failures });
      continue;
    }
    if (key === repeat) {
      repeats += 1;
      log.info('repeat');
      continue;
    }
    const entry = keys.find(([k]) => k === key);
    if (entry) {
      const destination = entry[1];
      log.info('menu-choice', { key, destination });
      call.setField('menu-choice', key);
      route(call, destination);
      return;
    }
    failures += 1;
    log.info('invalid-choice', { key, attempt: failures });
    call.play([text('invalid-prompt')]).run();
  }
  log.warn('retries-exhausted');
  call.setField('outcome', 'retries-exhausted');
  call.voicemail(text('voicemail-box'), 'none');
  call.hangup('normal');
}

/** Send the caller to the destination they chose. */
function route(call, { kind, target }) {
  if (kind === 'extension') {
    const ring = clamp(config.integer('ring-seconds'), 20, 5, 120);
    const outcome = call.dial({ tag: 'extension', val: target }).ringFor(ring).run();
    log.info('dial-outcome', { extension: target, outcome: dialOutcomeText(outcome) });
    if (outcome.tag === 'answered') return;
    call.voicemail(target, outcome.tag === 'busy' ? 'busy' : 'unavailable');
  } else if (kind === 'voicemail') {
    call.voicemail(target, 'unavailable');
  } else if (kind === 'queue') {
    const exit = call.enqueue(target).maxWait(300).run();
    log.info('queue-exit', { queue: target, exit: queueExitText(exit) });
    if (exit.tag !== 'answered') call.voicemail(text('voicemail-box'), 'unavailable');
  } else if (kind === 'external') {
    call.dial({ tag: 'external', val: target }).run();
  }
  call.hangup('normal');
}

/** A text parameter; the schema gives every one used here a default. */
function text(name) {
  return config.text(name) ?? '';
}

/** An integer parameter with its default, kept within [low, high]. */
function clamp(value, fallback, low, high) {
  return Math.max(low, Math.min(value ?? fallback, high));
}

export const handler = exportFlow(autoAttendant);
