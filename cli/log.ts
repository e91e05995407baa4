/**
 * The CLI's logger: levels, text (logfmt, as Go's slog text handler writes) or JSON lines, to stderr or a file —
 * never stdout, which carries the report with --json. Written here rather than taken from pino & co.: it is
 * ~100 lines on the start-up path of every command (--version included), and a line per phase needs nothing
 * they add (transports, serializers, worker threads). Writes are synchronous, so a log survives process.exit.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ModelVerifyError } from '../core/errors.js';
import { sanitize, terminalJson } from './sanitize.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogFields = Record<string, string | number | boolean | undefined>;

/** The Python reference's variable: the level when --log-level is not given. */
export const LOG_LEVEL_ENV = 'MODEL_SIGNING_LOG_LEVEL';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerConfig {
  level: LogLevel;
  format: LogFormat;
  /** Append log lines to this file instead of stderr. */
  file?: string;
}

let config: LoggerConfig = { level: 'warn', format: 'text' };
let fd: number | undefined;

export function parseLogLevel(v: string, from: string): LogLevel {
  const l = v.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(l)) return l as LogLevel;
  throw new ModelVerifyError('POLICY_INVALID', `${from} must be one of ${LOG_LEVELS.join(', ')}, got '${sanitize(v)}'`);
}

/** Sets level, format and destination; opens the file (append, created 0600) so a bad path fails before any work. */
export function configureLogger(c: LoggerConfig): void {
  closeLogger();
  if (c.file !== undefined) {
    try {
      fd = openSync(c.file, 'a', 0o600);
    } catch (e) {
      throw new ModelVerifyError('IO_ERROR', `Cannot open the log file '${c.file}': ${(e as Error).message}`, { cause: e });
    }
  }
  config = { ...c };
}

export function closeLogger(): void {
  if (fd !== undefined) closeSync(fd);
  fd = undefined;
}

export function logEnabled(level: Exclude<LogLevel, 'silent'>): boolean {
  return RANK[level] >= RANK[config.level];
}

function write(line: string): void {
  if (fd !== undefined) writeSync(fd, line);
  else process.stderr.write(line);
}

/** logfmt value: bare when plainly safe, else quoted with `"` and `\` escaped; terminal controls made visible. */
function textValue(v: string | number | boolean): string {
  const s = sanitize(String(v));
  return /^[\w@%+:,./-]+$/.test(s) ? s : `"${s.replace(/["\\]/g, '\\$&')}"`;
}

function record(level: Exclude<LogLevel, 'silent'>, msg: string, fields: LogFields): void {
  if (!logEnabled(level)) return;
  const time = new Date().toISOString();
  const entries = Object.entries(fields).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
  if (config.format === 'json') {
    // One compact object per line; terminalJson escapes what JSON.stringify leaves raw (C1, bidi controls).
    write(`${terminalJson({ time, level, msg, ...Object.fromEntries(entries) }, 0)}\n`);
  } else {
    write(`time=${time} level=${level.toUpperCase()} msg=${textValue(msg)}${entries.map(([k, v]) => ` ${k}=${textValue(v)}`).join('')}\n`);
  }
}

export const log = {
  debug: (msg: string, fields: LogFields = {}) => record('debug', msg, fields),
  info: (msg: string, fields: LogFields = {}) => record('info', msg, fields),
  warn: (msg: string, fields: LogFields = {}) => record('warn', msg, fields),
  error: (msg: string, fields: LogFields = {}) => record('error', msg, fields),
};

/**
 * A warning for the person running the command (a report's warnings, an ignore path that does nothing). Text logs
 * on stderr keep the `WARNING: …` line the CLI always printed; JSON logs and log files get a warn record instead,
 * so they stay parseable. Either way it is warn level: --log-level error|silent hides it (--json's report keeps it).
 */
export function warning(msg: string, fields: LogFields = {}): void {
  if (!logEnabled('warn')) return;
  if (config.format === 'text' && fd === undefined) process.stderr.write(`WARNING: ${sanitize(msg)}\n`);
  else record('warn', msg, fields);
}
