/**
 * Issue 16: core's optional phase observer (VerifyOptions.onPhase / SignOptions.onPhase), which the CLI maps to
 * log lines and spans: each phase heard once at its start and once at its end, in data-path order, with the
 * attributes the data path had, a failing phase with its code; and the verdict the same with or without it.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../core/sources/index.js';
import { generateSigningKey, keySigner, signModel } from '../../core/sign/index.js';
import { verifyModel } from '../../core/index.js';
import type { OnPhase, PhaseAttributes, PhaseResult } from '../../core/util/index.js';

const FILES = { 'config.json': '{"a":1}', 'weights.bin': 'x'.repeat(1000), 'sub/tok.txt': 'tokens' };

function recorder(): { onPhase: OnPhase; events: [string, string, PhaseAttributes, PhaseResult?][] } {
  const events: [string, string, PhaseAttributes, PhaseResult?][] = [];
  return {
    events,
    onPhase: (name, attrs) => {
      events.push(['start', name, attrs]);
      return (r) => events.push(['end', name, attrs, r]);
    },
  };
}

describe('onPhase', () => {
  it('sign: walk then hashing, with files and bytes', async () => {
    const key = await generateSigningKey('P-256');
    const rec = recorder();
    await signModel(new MemorySource('m', FILES), keySigner(key.signingKey), { onPhase: rec.onPhase });
    expect(rec.events.map(([k, n]) => `${k} ${n}`)).toEqual(['start walk', 'end walk', 'start hashing', 'end hashing']);
    expect(rec.events[1]![3]).toEqual({ attributes: { files: 3, resources: 3, bytes: 1013 } });
    expect(rec.events[3]![3]).toEqual({ attributes: { resources: 3, bytes: 1013 } });
  });

  it('verify: signature, walk, hashing, compare; the verdict is the same as without an observer', async () => {
    const key = await generateSigningKey('P-256');
    const { bundle } = await signModel(new MemorySource('m', FILES), keySigner(key.signingKey));
    const policy = { method: 'key' as const, publicKey: key.publicKeyPem };
    const rec = recorder();
    const with_ = await verifyModel(new MemorySource('m', FILES), bundle, policy, { onPhase: rec.onPhase });
    const without = await verifyModel(new MemorySource('m', FILES), bundle, policy);
    expect(with_.verified).toBe(true);
    expect({ ...with_, millis: 0 }).toEqual({ ...without, millis: 0 });
    expect(rec.events.map(([k, n]) => `${k} ${n}`)).toEqual([
      'start signature',
      'end signature',
      'start walk',
      'end walk',
      'start hashing',
      'end hashing',
      'start compare',
      'end compare',
    ]);
    const end = (n: string) => rec.events.find(([k, name]) => k === 'end' && name === n)![3]!;
    expect(end('signature').attributes).toEqual({ method: 'key', resources: 3 });
    expect(end('walk').attributes).toEqual({ files: 3, resources: 3, bytes: 1013 });
    expect(end('compare').attributes).toEqual({ verdict: true });

    // Tampered: compare ends with the verdict and the first code; a wrong key: the signature phase fails with its code.
    const bad = recorder();
    const r = await verifyModel(new MemorySource('m', { ...FILES, 'config.json': '{"a":2}' }), bundle, policy, { onPhase: bad.onPhase });
    expect(r.verified).toBe(false);
    expect(bad.events.at(-1)).toEqual(['end', 'compare', { resources: 3 }, { attributes: { verdict: false, code: 'HASH_MISMATCH' } }]);
    const other = await generateSigningKey('P-256');
    const wrong = recorder();
    const w = await verifyModel(new MemorySource('m', FILES), bundle, { method: 'key', publicKey: other.publicKeyPem }, { onPhase: wrong.onPhase });
    expect(w.verified).toBe(false);
    expect(wrong.events).toEqual([
      ['start', 'signature', { method: 'key' }],
      ['end', 'signature', { method: 'key' }, { error: { code: w.errors[0]!.code, message: w.errors[0]!.message } }],
    ]);
  });

  it('an aborted run reports the abort reason, whichever step noticed it', async () => {
    const key = await generateSigningKey('P-256');
    const { bundle } = await signModel(new MemorySource('m', FILES), keySigner(key.signingKey));
    const ac = new AbortController();
    const { ModelVerifyError } = await import('../../core/index.js');
    ac.abort(new ModelVerifyError('TIMEOUT', 'deadline'));
    const r = await verifyModel(new MemorySource('m', FILES), bundle, { method: 'key', publicKey: key.publicKeyPem }, { signal: ac.signal });
    expect(r.verified).toBe(false);
    expect(r.errors[0]).toEqual({ code: 'TIMEOUT', message: 'deadline' });
  });
});
