// The @@name@@ call flow.
//
// Answers, plays a greeting, then a two-key menu: 1 rings an extension (its
// voicemail when nobody answers or it is busy), 2 goes straight to its
// voicemail; no key or another key also ends in voicemail. Each decision is
// logged to the call's trace.

import { Description, Param, config, dialOutcomeText, exportFlow, log } from './sdk/index.js';

const flow = {
  describe() {
    return new Description('@@name@@', '0.1.0')
      .summary('Greets callers; key 1 rings an extension, key 2 leaves a message.')
      .param(Param.prompt('greeting').label('Greeting').defaultText('welcome'))
      .param(Param.extension('extension').label('Extension').defaultText('101'))
      .param(Param.integer('ring-seconds').label('Ring time').defaultInteger(20));
  },

  handleCall(call) {
    const info = call.info();
    log.info('call', { caller: info.callerNumber });
    call.answer();
    call.play([text('greeting')]).run();
    const digits = call.play(['menu']).collect(1);
    const extension = text('extension');
    if (digits === '1') {
      log.info('menu-choice', { key: '1' });
      const ring = Math.max(5, Math.min(config.integer('ring-seconds') ?? 20, 120));
      const outcome = call.dial({ tag: 'extension', val: extension }).ringFor(ring).run();
      log.info('dial-outcome', { outcome: dialOutcomeText(outcome) });
      if (outcome.tag === 'answered') return;
      call.voicemail(extension, outcome.tag === 'busy' ? 'busy' : 'unavailable');
    } else if (digits === '2') {
      log.info('menu-choice', { key: '2' });
      call.voicemail(extension, 'unavailable');
    } else {
      log.info('no-choice', { digits });
      call.voicemail(extension, 'none');
    }
    call.hangup('normal');
  },
};

/** A text parameter; the schema gives every one used here a default. */
function text(name) {
  return config.text(name) ?? '';
}

export const handler = exportFlow(flow);
