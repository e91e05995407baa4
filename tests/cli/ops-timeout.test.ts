/**
 * Issue 16, --timeout: Go duration syntax parsed strictly; on expiry the work stops (signal through verifyModel /
 * signModel into the hash pool, whose worker threads are terminated), the exit code is 1 and the code TIMEOUT.
 * The model is large and sparse (64 GiB of holes: minutes of hashing), so only the timeout can end these runs early.
 */
import { existsSync, mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ModelVerifyError } from '../../core/index.js';
import { parseDuration } from '../../cli/duration.js';
import { NodeHashPool } from '../../node/hash-pool.js';
import { NodeSource } from '../../node/source.js';
import { IgnoreSet, planModel } from '../../core/serialize/index.js';
import { ROOT } from '../helpers/fixtures.js';
import { buildCli, jsonLines, mv, PRIV, PUB, tmp } from './ops-cli.js';

const BIG = 64 * 2 ** 30;
let dir: string;
let model: string;
let sig: string;

beforeAll(() => {
  buildCli();
  dir = tmp();
  model = path.join(dir, 'big');
  sig = path.join(dir, 'model.sig');
  rmSync(model, { recursive: true, force: true });
  mkdirSync(model);
  writeFileSync(path.join(model, 'config.json'), '{}');
  writeFileSync(path.join(model, 'weights.bin'), 'small');
  // Signed while small, then grown into a sparse 64 GiB file: the signature checks out, hashing takes minutes.
  const s = mv(['sign', 'key', model, '--private-key', PRIV, '--signature', sig]);
  expect(s.code, s.stderr).toBe(0);
  truncateSync(path.join(model, 'weights.bin'), BIG);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseDuration (Go syntax)', () => {
  it('reads what Go reads', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['90s', 90_000],
      ['3m', 180_000],
      ['1h30m', 5_400_000],
      ['500ms', 500],
      ['1.5h', 5_400_000],
      ['.5s', 500],
      ['1m30.5s', 90_500],
      ['2h45m10s5ms', 9_910_005],
      ['1500us', 1.5],
      ['1500µs', 1.5],
      ['3000000ns', 3],
    ];
    for (const [s, ms] of cases) expect(parseDuration(s), s).toBeCloseTo(ms, 9);
  });

  it('refuses anything else with a typed error', () => {
    for (const s of ['', '10', '1 m', ' 1m', '1m ', '-1s', '+1s', '1d', '1M', '1.s.', 'ms', '1hh', '1h-30m', 'infs', '٣s', '1e3s', '1000h', 'x'.repeat(100)]) {
      let err: unknown;
      try {
        parseDuration(s);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(s)).toBeInstanceOf(ModelVerifyError);
      expect((err as ModelVerifyError).code).toBe('POLICY_INVALID');
      expect((err as ModelVerifyError).message).toContain('--timeout');
    }
  });

  it('a sum of parts in any units is the sum of their values (oracle: the parts, added)', () => {
    const unit = fc.constantFrom<[string, number]>(['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1], ['us', 1e-3], ['ns', 1e-6]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 99 }), unit), { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.map(([n, [u]]) => `${n}${u}`).join('');
        const expected = parts.reduce((sum, [n, [, f]]) => sum + n * f, 0);
        expect(parseDuration(text)).toBeCloseTo(expected, 6);
      }),
    );
  });
});

describe('--timeout', () => {
  it('verify: stops hashing a 64 GiB model, exits 1 on its own, the report says TIMEOUT', () => {
    const r = mv(['verify', model, '--public-key', PUB, '--signature', sig, '--timeout', '200ms', '--json', '--log-format', 'json', '--log-level', 'info']);
    expect(r.signal).toBeNull(); // not killed by the test's own timeout: it ended by itself
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(15_000); // hashing 64 GiB takes minutes on this machine
    const report = JSON.parse(r.stdout);
    expect(report.verified).toBe(false);
    expect(report.errors[0].code).toBe('TIMEOUT');
    const lines = jsonLines(r.stderr);
    // The phase the deadline fell in (hashing, unless this machine is so loaded that it came earlier) failed with it.
    expect(lines.find((l) => String(l.msg).endsWith(' failed'))).toMatchObject({ code: 'TIMEOUT' });
    expect(lines.find((l) => l.msg === 'verdict')).toMatchObject({ verified: false, code: 'TIMEOUT' });
  });

  it('verify, text output: the failure names TIMEOUT', () => {
    const r = mv(['verify', 'key', model, '--public-key', PUB, '--signature', sig, '--timeout', '300ms']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[TIMEOUT]');
    expect(r.stderr).toContain('--timeout 300ms');
  });

  it('sign: stops, exits 1 with TIMEOUT, writes no signature', () => {
    const out = path.join(dir, 'never.sig');
    const r = mv(['sign', 'key', model, '--private-key', PRIV, '--signature', out, '--timeout', '200ms']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.stderr).toMatch(/Signing failed with error: Stopped after --timeout 200ms.*\[TIMEOUT\]/);
    expect(existsSync(out)).toBe(false);
  });

  it('work that does not watch the signal (here digest) is ended 3 s after the deadline, exit 1, TIMEOUT', () => {
    const r = mv(['digest', model, '--timeout', '200ms']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: Stopped after --timeout 200ms: the command did not finish in time [TIMEOUT]');
    expect(r.ms).toBeGreaterThan(3000);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('a run that finishes in time is not affected; 0 means none', () => {
    for (const t of ['10m', '0']) {
      const r = mv(['verify', path.join(ROOT, 'tests/fixtures/model-transparency/scripts/tests/v1.1.0-elliptic-key'), '--public-key', PUB, '--timeout', t]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('a bad duration is refused before any work', () => {
    const r = mv(['verify', model, '--public-key', PUB, '--signature', sig, '--timeout', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Invalid --timeout '5'");
    expect(r.ms).toBeLessThan(10_000);
  });

  it('the hash pool terminates its workers when the signal aborts mid-hash (in process)', async () => {
    const pool = new NodeHashPool({ threads: 2, workerUrl: new URL('../../dist/cli/hash-worker.mjs', import.meta.url) });
    const source = await NodeSource.open(model);
    const plan = await planModel(source, { serialization: { method: 'files', hashType: 'sha256' }, ignore: new IgnoreSet([]), allowSymlinks: false });
    const ac = new AbortController();
    const reason = new ModelVerifyError('TIMEOUT', 'test deadline');
    setTimeout(() => ac.abort(reason), 150);
    await expect(pool.run(plan.jobs, source, { signal: ac.signal })).rejects.toBe(reason);
    expect(pool.liveWorkers).toBe(0);
  });
});
