// Events for the call's trace: the decisions a flow takes and why. Fields
// are an object (its key order is kept) whose values are turned into text.

import { event } from 'pbx:flow/log@0.1.0';

function emit(level, name, fields = {}) {
  event(level, name, Object.entries(fields).map(([k, v]) => [k, String(v)]));
}

/** A debug event. */
export const debug = (name, fields) => emit('debug', name, fields);
/** An info event. */
export const info = (name, fields) => emit('info', name, fields);
/** A warning event. */
export const warn = (name, fields) => emit('warn', name, fields);
/** An error event. */
export const error = (name, fields) => emit('error', name, fields);
