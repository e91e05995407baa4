/**
 * Go's time.ParseDuration syntax for --timeout (`90s`, `3m`, `1h30m`, `1.5h`, `500ms`, `0`), so the Go port's
 * scripts carry over. Written out here (no npm package parses exactly Go's grammar): a sequence of decimal
 * numbers, each with a unit ns, us, µs, ms, s, m or h; no spaces, no sign (a timeout is not negative), `0` alone
 * needs no unit. Anything else is a typed error rather than a guess.
 */
import { ModelVerifyError } from '../core/errors.js';
import { sanitize } from './sanitize.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest delay a Node timer holds (2^31 - 1 ms, ~24.8 days): a longer one would fire at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Milliseconds (may be fractional) of a Go duration string; throws POLICY_INVALID naming `flag` on bad input. */
export function parseDuration(input: string, flag = '--timeout'): number {
  const bad = (why: string) =>
    new ModelVerifyError('POLICY_INVALID', `Invalid ${flag} '${sanitize(input)}': ${why} (Go duration syntax, e.g. 90s, 3m, 1h30m, 500ms; 0 = none)`);
  if (input.length > 64) throw bad('too long');
  if (input === '0') return 0;
  if (input === '') throw bad('empty');
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let at = 0;
  while (at < input.length) {
    part.lastIndex = at;
    const m = part.exec(input);
    if (!m) throw bad(/^[+-]/.test(input.slice(at)) ? 'a timeout has no sign' : `unexpected '${input.slice(at, at + 8)}'`);
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = part.lastIndex;
  }
  if (!Number.isFinite(ms)) throw bad('out of range');
  if (ms > MAX_TIMEOUT_MS) throw bad('longer than 596h (the longest timer Node keeps)');
  return ms;
}
