// The route's parameters, typed. A missing or mistyped parameter reads as
// `undefined` (or an empty list); the PBX checks values against the schema
// when a route is saved. Integers are plain numbers: the WIT s64 arrives as
// a BigInt from SpiderMonkey and a Number from QuickJS, and both engines
// accept a Number going out.

import { get as wget } from 'pbx:flow/config@0.1.0';
import { Destination, DestinationError } from './destination.js';

export { keyMap } from './destination.js';

/** The raw value `{ tag, val }` of parameter `name`, or undefined. */
export function get(name) {
  return wget(name) ?? undefined;
}

function typed(name, tag) {
  const v = wget(name);
  return v && v.tag === tag ? v.val : undefined;
}

/** A text parameter, or undefined. */
export function text(name) {
  return typed(name, 'text');
}

/** An integer parameter as a Number, or undefined. */
export function integer(name) {
  const v = typed(name, 'integer');
  return v === undefined ? undefined : Number(v);
}

/** A boolean parameter, or undefined. */
export function boolean(name) {
  return typed(name, 'boolean');
}

/** A list parameter; empty when unset or not a list. */
export function textList(name) {
  return typed(name, 'text-list') ?? [];
}

/** A parameter read as a Destination, or undefined. */
export function destination(name) {
  const t = text(name);
  if (t === undefined) return undefined;
  try {
    return Destination.parse(t);
  } catch (e) {
    if (e instanceof DestinationError) return undefined;
    throw e;
  }
}
