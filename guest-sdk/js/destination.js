// Destinations written as text, the way admins write them in parameters
// and incident flags: `ext:101`, `queue:sales`, `vm:101`, `tel:+33123456789`,
// `hangup` (a bare number is an extension).

const KINDS = { ext: 'extension', queue: 'queue', vm: 'voicemail', tel: 'external' };
const PREFIX = Object.fromEntries(Object.entries(KINDS).map(([p, k]) => [k, p]));

/** Text that is not a destination. */
export class DestinationError extends Error {
  constructor(text) {
    super(`\`${text}\` is not a destination: use ext:NUMBER, queue:NAME, vm:BOX, tel:NUMBER or hangup`);
    this.text = text;
  }
}

/**
 * Where a call can go: `kind` is `extension`, `queue`, `voicemail`,
 * `external` or `hangup`; `target` the number, queue or box ('' for hangup).
 */
export class Destination {
  constructor(kind, target = '') {
    this.kind = kind;
    this.target = target;
  }

  /** Parse `ext:101` and friends; throws DestinationError. */
  static parse(text) {
    const s = text.trim();
    if (s === 'hangup') return new Destination('hangup');
    if (/^[0-9]+$/.test(s)) return new Destination('extension', s);
    const colon = s.indexOf(':');
    const prefix = colon < 0 ? '' : s.slice(0, colon);
    const rest = colon < 0 ? '' : s.slice(colon + 1);
    if (!rest || !Object.hasOwn(KINDS, prefix)) throw new DestinationError(s);
    return new Destination(KINDS[prefix], rest);
  }

  /** The text form, `ext:101`. */
  toString() {
    return this.kind === 'hangup' ? 'hangup' : `${PREFIX[this.kind]}:${this.target}`;
  }
}

/**
 * Menu entries `"1=ext:101"` as `[key, Destination]` pairs, in order.
 * Entries whose key is not exactly one character or whose destination does
 * not parse are skipped.
 */
export function keyMap(entries) {
  const out = [];
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq < 0) continue;
    const key = entry.slice(0, eq).trim();
    if ([...key].length !== 1) continue;
    try {
      out.push([key, Destination.parse(entry.slice(eq + 1))]);
    } catch (e) {
      if (!(e instanceof DestinationError)) throw e;
    }
  }
  return out;
}
