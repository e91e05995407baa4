/**
 * An optional observer of the data path's phases, for logs and traces (the CLI maps phases to log lines and
 * OpenTelemetry spans). Plain callbacks, no tracing library: core stays web-standard and pays nothing when no
 * observer is given. The observer sees what the pipeline did, never decides anything: verification does not
 * read its return value beyond the end callback.
 */
import type { ErrorCode } from '../errors.js';
import { toModelVerifyError } from '../errors.js';

/** signature: bundle checked against the policy; walk: the model listed and planned; hashing; compare: digests vs manifest. */
export type PhaseName = 'signature' | 'walk' | 'hashing' | 'compare';

export type PhaseAttributes = Record<string, string | number | boolean>;

export interface PhaseResult {
  attributes?: PhaseAttributes;
  /** Set when the phase threw (its code; the message stays in the report). */
  error?: { code: ErrorCode; message: string };
}

/** Called when a phase starts; the function it returns (if any) is called once when the phase ends. */
export type OnPhase = (phase: PhaseName, attributes: PhaseAttributes) => ((result: PhaseResult) => void) | void;

/** Runs `fn` as phase `name`: the observer hears its start, and its end with `done(result)`'s attributes or the error. */
export async function inPhase<T>(
  onPhase: OnPhase | undefined,
  name: PhaseName,
  attributes: PhaseAttributes,
  fn: () => Promise<T>,
  done?: (result: T) => PhaseAttributes,
): Promise<T> {
  const end = onPhase?.(name, attributes);
  if (!end) return fn();
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    const err = toModelVerifyError(e);
    end({ error: { code: err.code, message: err.message } });
    throw e;
  }
  end(done ? { attributes: done(result) } : {});
  return result;
}
