// Unit tests of the SDK's pure parts (no host imports), on Node:
// node --test guest-sdk/js/tests/
import test from 'node:test';
import assert from 'node:assert/strict';
import { Destination, DestinationError, keyMap } from '../destination.js';
import { dialOutcomeText, queueExitText } from '../debug.js';
import { Description, Param } from '../describe.js';

test('destinations parse and print back', () => {
  for (const [text, kind] of [
    ['ext:101', 'extension'],
    ['queue:sales', 'queue'],
    ['vm:100', 'voicemail'],
    ['tel:+33123456789', 'external'],
  ]) {
    const d = Destination.parse(`  ${text} `);
    assert.equal(d.kind, kind);
    assert.equal(String(d), text);
  }
  assert.deepEqual(Destination.parse('204'), new Destination('extension', '204'));
  assert.equal(String(Destination.parse('hangup')), 'hangup');
});

test('bad destinations are refused with a hint', () => {
  for (const bad of ['', 'ext:', 'fax:12', 'sales', '١٢', 'constructor:1']) {
    assert.throws(() => Destination.parse(bad), (e) => e instanceof DestinationError && /use ext:NUMBER/.test(e.message));
  }
});

test('key map keeps valid entries in order', () => {
  const keys = keyMap(['1=ext:101', ' 2 = queue:sales ', '12=ext:1', 'x', '3=fax:1', '9=vm:100']);
  assert.deepEqual(keys.map(([k, d]) => [k, String(d)]), [['1', 'ext:101'], ['2', 'queue:sales'], ['9', 'vm:100']]);
});

test('outcomes read like the host trace', () => {
  const answered = { tag: 'answered', val: { target: { tag: 'extension', val: '101' }, talkMs: 30000, endedBy: 'callee' } };
  assert.equal(
    dialOutcomeText(answered),
    'DialOutcome::Answered(AnsweredCall { target: DialTarget::Extension("101"), talk-ms: 30000, ended-by: HangupSide::Callee })',
  );
  assert.equal(dialOutcomeText({ tag: 'no-answer' }), 'DialOutcome::NoAnswer');
  assert.equal(dialOutcomeText({ tag: 'failed', val: 'no "route"' }), 'DialOutcome::Failed("no \\"route\\"")');
  assert.equal(queueExitText({ tag: 'exit-key', val: '1' }), "QueueExit::ExitKey('1')");
  assert.equal(queueExitText({ tag: 'unavailable' }), 'QueueExit::Unavailable');
});

test('defaults make parameters optional', () => {
  const d = new Description('x', '1.2.3')
    .summary('s')
    .param(Param.integer('retries').label('Attempts').defaultInteger(3))
    .param(Param.voicemailBox('box'))
    .intoWit();
  assert.deepEqual([d.name, d.version, d.description], ['x', '1.2.3', 's']);
  const [retries, box] = d.params;
  assert.deepEqual([retries.kind, retries.required, retries.default], ['integer', false, { tag: 'integer', val: 3 }]);
  assert.deepEqual([box.kind, box.required, box.default, box.label], ['voicemail-box', true, undefined, 'box']);
});
