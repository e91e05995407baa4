/**
 * Options every command takes (--log-level, --log-format, --output-file, --timeout, --flags), declared once here
 * and added to the root and to every command: with positional options (main.ts) a command's options are read
 * by that command only, so `model-verify --log-level debug verify …`, `verify --log-level debug key …` and
 * `verify key … --log-level debug` all work because each level declares them; the one nearest the command wins.
 *
 * The run's context lives here too: the abort signal of --timeout, the phase observer (log lines and, when
 * OpenTelemetry is configured, spans) that runVerify/runSign hand to core, and the verdict record.
 */
import { Command, Option } from 'commander';
import { ModelVerifyError, toModelVerifyError } from '../core/errors.js';
import type { OnPhase, PhaseAttributes, PhaseName, PhaseResult } from '../core/util/index.js';
import { parseDuration } from './duration.js';
import { LOG_FORMATS, LOG_LEVELS, LOG_LEVEL_ENV, closeLogger, configureLogger, log, parseLogLevel, type LogFields, type LogFormat } from './log.js';
import type { Tracing } from './tracing.js';
import { tracingConfig } from './tracing-config.js';

const GLOBAL = [
  () => new Option('--log-level <level>', `log level (default warn, or $${LOG_LEVEL_ENV})`).choices(LOG_LEVELS),
  () => new Option('--log-format <format>', 'log lines as text (logfmt) or JSON lines (default text)').choices(LOG_FORMATS),
  () => new Option('--output-file <path>', 'append log lines to this file instead of stderr'),
  () => new Option('--timeout <duration>', 'stop and fail with TIMEOUT after this long (Go syntax: 90s, 3m, 1h30m; default none)'),
  () => new Option('--flags <json>', 'options as a JSON object: inline, @FILE or a file path, or - for stdin (repeatable; command-line flags win)'),
];
const GLOBAL_ATTRS = new Set(['logLevel', 'logFormat', 'outputFile', 'timeout', 'flags']);

export const isGlobalOption = (o: Option) => GLOBAL_ATTRS.has(o.attributeName());

/** Whether argv has --flags (cli/flags-json.ts is loaded only then). */
export const hasFlags = (argv: readonly string[]) => argv.some((a) => a === '--flags' || a.startsWith('--flags='));

/** The run in progress (one per process: the CLI runs one command). */
interface Run {
  command: string;
  started: number;
  signal?: AbortSignal;
  timer?: NodeJS.Timeout;
  hardStop?: NodeJS.Timeout;
  tracing?: Tracing;
  verdict?: PhaseAttributes;
}
let run: Run | undefined;

const METHODS = new Set(['key', 'certificate', 'sigstore', 'pkcs11-key', 'pkcs11-certificate']);

/** Adds the global options to `program` and every command below it, and the hook that applies them. */
export function addGlobalOptions(program: Command): void {
  const visit = (cmd: Command) => {
    for (const make of GLOBAL) cmd.addOption(make().helpGroup('Options of every command (before or after its name):'));
    for (const sub of cmd.commands) visit(sub);
  };
  visit(program);
  program.hook('preAction', (_root, action) => startRun(action));
}

/** The value of a global option nearest the command that runs (command line only: defaults are applied here). */
function nearest(cmd: Command, attr: string): string | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    if (c.getOptionValueSource(attr) === 'cli') return c.getOptionValue(attr) as string;
  }
  return undefined;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

async function startRun(action: Command): Promise<void> {
  const envLevel = process.env[LOG_LEVEL_ENV];
  const flagLevel = nearest(action, 'logLevel');
  const level = flagLevel !== undefined ? parseLogLevel(flagLevel, '--log-level') : envLevel ? parseLogLevel(envLevel, LOG_LEVEL_ENV) : 'warn';
  const file = nearest(action, 'outputFile');
  configureLogger({ level, format: (nearest(action, 'logFormat') as LogFormat | undefined) ?? 'text', ...(file !== undefined ? { file } : {}) });
  const timeout = nearest(action, 'timeout');
  const ms = timeout === undefined ? 0 : parseDuration(timeout);
  run = { command: commandPath(action), started: Date.now() };
  // What the command works on, as the Go port's spans carry it (model_signing.method, model_signing.model_path).
  const method = METHODS.has(action.name()) ? action.name() : action.getOptionValue('method');
  const modelPath = action.args[0] ?? action.getOptionValue('modelPath');
  const subject: PhaseAttributes = {
    command: run.command,
    ...(typeof method === 'string' ? { method } : {}),
    ...(typeof modelPath === 'string' ? { model_path: modelPath } : {}),
  };
  if (ms > 0) {
    const ac = new AbortController();
    run.signal = ac.signal;
    // Unref'd: a finished command exits without waiting for its deadline.
    run.timer = setTimeout(() => onTimeout(ac, timeout!), Math.ceil(ms)).unref();
  }
  const cfg = tracingConfig(process.env);
  if (cfg.on) {
    const { startTracing } = await import('./tracing.js'); // and with it the @opentelemetry packages
    run.tracing = await startTracing(cfg, run.command, subject);
    log.debug('tracing on', { exporter: cfg.protocol, service: cfg.service });
  } else log.debug('tracing off', { reason: cfg.reason });
  log.debug('command', { ...subject, ...(ms > 0 ? { timeout_ms: ms } : {}) });
}

function onTimeout(ac: AbortController, given: string): void {
  const err = new ModelVerifyError('TIMEOUT', `Stopped after --timeout ${given}: the command did not finish in time`);
  log.warn('timeout', { code: err.code, duration_ms: Date.now() - (run?.started ?? Date.now()) });
  ac.abort(err);
  // Work that does not watch the signal (an interactive sign-in, say) must not outlive the deadline for long.
  run!.hardStop = setTimeout(() => {
    log.error('timeout: work did not stop, exiting', { code: err.code });
    process.stderr.write(`Error: ${err.message} [${err.code}]\n`);
    closeLogger();
    process.exit(1);
  }, 3000); // ref'd: it must fire even when nothing else keeps the process alive (finishRun clears it)
}

/** The error to report for `e`: the run's abort reason (TIMEOUT) when the run was aborted, whatever noticed it. */
export function abortReason(e: unknown): unknown {
  return run?.signal?.aborted ? run.signal.reason : e;
}

/** Options for core's verifyModel / buildModelPayload: the run's signal and phase observer. */
export function runHooks(): { signal?: AbortSignal; onPhase: OnPhase } {
  return { ...(run?.signal ? { signal: run.signal } : {}), onPhase: observePhase };
}

/** Phase start → debug line and span; its end → info line with duration (and the span's end). */
const observePhase = (name: PhaseName | string, attributes: PhaseAttributes): ((r: PhaseResult) => void) => {
  const t0 = Date.now();
  log.debug(`${name} started`, attributes);
  const endSpan = run?.tracing?.phase(name, attributes);
  return (r) => {
    const fields: LogFields = { ...attributes, ...r.attributes, duration_ms: Date.now() - t0, ...(r.error ? { code: r.error.code } : {}) };
    if (r.error) log.info(`${name} failed`, fields);
    else log.info(`${name} done`, fields);
    endSpan?.(r);
  };
};

/** A phase the CLI itself runs (trust root loading, signing), observed like core's. */
export async function cliPhase<T>(name: string, attributes: PhaseAttributes, fn: () => Promise<T>, done?: (r: T) => PhaseAttributes): Promise<T> {
  const end = observePhase(name, attributes);
  try {
    const r = await fn();
    end(done ? { attributes: done(r) } : {});
    return r;
  } catch (e) {
    const err = toModelVerifyError(abortReason(e));
    end({ error: { code: err.code, message: err.message } });
    throw e;
  }
}

/**
 * The outcome of the command: one info line, whatever the outcome (`verified`, `code` say it; the human output
 * already says a failure at any level), and the attributes of the command's span.
 */
export function recordVerdict(fields: { model?: string; verified: boolean; code?: string; files?: number; bytes?: number }): void {
  const attrs: PhaseAttributes = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) attrs[k] = v;
  const duration_ms = Date.now() - (run?.started ?? Date.now());
  if (run) run.verdict = attrs;
  log.info('verdict', { command: run?.command, ...attrs, duration_ms });
}

/** Ends the run: timers cleared, spans flushed to the collector (bounded), log file closed. */
export async function finishRun(error?: unknown): Promise<void> {
  const r = run;
  run = undefined;
  if (r) {
    clearTimeout(r.timer);
    clearTimeout(r.hardStop);
    if (error !== undefined) {
      const err = toModelVerifyError(error);
      log.info('command failed', { command: r.command, code: err.code, duration_ms: Date.now() - r.started });
    }
    await r.tracing?.finish(r.verdict ?? {}, error === undefined ? undefined : toModelVerifyError(error));
  }
  closeLogger();
}
