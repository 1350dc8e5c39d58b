// Outcomes as text for the trace, written the way the PBX's own traces
// write WIT values (`DialOutcome::Busy`, `QueueExit::ExitKey('1')`), so a
// flow's events read the same in every language. JS values do not carry
// their WIT type names, hence one function per type.

function quote(s, q) {
  let out = q;
  for (const c of s) {
    const code = c.codePointAt(0);
    if (c === q || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\0') out += '\\0';
    else if (code < 0x20 || code === 0x7f) out += `\\u{${code.toString(16)}}`;
    else out += c;
  }
  return out + q;
}

/** `no-answer` -> `NoAnswer`. */
function camel(tag) {
  return tag.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}

/** A `dial-target` as trace text: `DialTarget::Extension("101")`. */
export function dialTargetText(t) {
  return `DialTarget::${camel(t.tag)}(${quote(t.val, '"')})`;
}

/** An `answered-call` record as trace text. */
export function answeredCallText(a) {
  return `AnsweredCall { target: ${dialTargetText(a.target)}, talk-ms: ${a.talkMs}, ` +
    `ended-by: HangupSide::${camel(a.endedBy)} }`;
}

/** A `dial-outcome` as trace text: `DialOutcome::Busy`. */
export function dialOutcomeText(o) {
  const name = `DialOutcome::${camel(o.tag)}`;
  if (o.tag === 'answered') return `${name}(${answeredCallText(o.val)})`;
  if (o.tag === 'failed') return `${name}(${quote(o.val, '"')})`;
  return name;
}

/** A `queue-exit` as trace text: `QueueExit::ExitKey('1')`. */
export function queueExitText(e) {
  const name = `QueueExit::${camel(e.tag)}`;
  if (e.tag === 'answered') return `${name}(${answeredCallText(e.val)})`;
  if (e.tag === 'exit-key') return `${name}(${quote(e.val, "'")})`;
  return name;
}
