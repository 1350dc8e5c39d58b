// Write PBX call flows in JavaScript.
//
// A call flow is a WebAssembly component that the PBX runs once per call,
// against the `pbx:flow` WIT contract (`wit/` in the repository). The
// component builder (componentize-js) generates the raw bindings, imported
// as `pbx:flow/<interface>@0.1.0`; this module wraps them in an API that
// reads like the call it drives:
//
//   import { exportFlow, Description, log } from '../../../guest-sdk/js/index.js';
//   export const handler = exportFlow({
//     describe: () => new Description('hello', '1.0.0').summary('Greets the caller.'),
//     handleCall(call) {
//       call.answer();
//       log.info('choice', { digit: call.play(['welcome']).collect(1) });
//       call.hangup('normal');
//     },
//   });
//
// Host functions throw on failure; letting the error escape `handleCall`
// ends the flow: the hangup error is a normal end, any other error makes the
// PBX apply the tenant's fallback for the caller.

import { Call } from './call.js';

export { Call, Collect, Dial, Enqueue, Play, Record } from './call.js';
export { Description, Param } from './describe.js';
export { Destination, DestinationError } from './destination.js';
export { answeredCallText, dialOutcomeText, dialTargetText, queueExitText } from './debug.js';
export * as config from './config.js';
export * as log from './log.js';

/**
 * The WIT error carried by a thrown host error (`{ tag: 'hangup' }`, ...),
 * or undefined when `e` is not one.
 */
export function hostError(e) {
  return e && typeof e === 'object' && 'payload' in e ? e.payload : undefined;
}

/**
 * The `handler` export for a flow `{ describe(), handleCall(call) }`:
 * `export const handler = exportFlow(myFlow);`.
 */
export function exportFlow(flow) {
  return {
    describe: () => flow.describe().intoWit(),
    handleCall: () => {
      flow.handleCall(new Call());
    },
  };
}
