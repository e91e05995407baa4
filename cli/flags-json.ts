/**
 * `--flags JSON`: a command's options as a JSON object, like the Go port's `--json` (this CLI's `--json` prints
 * the report). The value is an inline object (`{...}`), `-` (stdin, once), or a file (`@path` or a plain path).
 * Keys are the command's long option names in either spelling (`public-key`, `public_key`), plus `model` for the
 * positional; several --flags merge left to right; a flag given on the command line wins over all of them.
 * Values: strings and numbers, booleans for switches (`false` on a `--no-X` option's `X` gives `--no-X`), arrays
 * for repeatable options. Unknown keys, two spellings of one key, and values of the wrong kind are errors.
 *
 * Done on argv, before commander parses it: commander checks required options and arguments before any hook
 * runs, so a model or --private-key given only in the JSON must already be on the command line by then. Each
 * key becomes the `--name=value` token it stands for, placed right after the command's name; the user's own
 * tokens follow, so commander's usual "last one wins" makes the command line win (repeatable options given on
 * the command line drop the JSON's values instead of adding to them).
 */
import type { Command, Option } from 'commander';
import { ModelVerifyError } from '../core/errors.js';
import { isObject, parseJson } from '../core/util/index.js';
import { readText } from './read-input.js';
import { sanitize } from './sanitize.js';

export const FLAGS = '--flags';
/** File and stdin payloads: the Go port's cap. */
export const MAX_FLAGS_BYTES = 4 << 20;
/** Options that make no sense from a file (and --flags itself). */
const NOT_FROM_JSON = new Set(['help', 'version', 'flags']);

const invalid = (msg: string) => new ModelVerifyError('POLICY_INVALID', `${FLAGS}: ${msg}`);

interface Resolved {
  cmd: Command;
  /** Index in argv right after the command's own name (where the JSON's tokens go). */
  insertAt: number;
  /** Long option names given anywhere on the command line (without `--`, `no-` prefix dropped): a global option
   *  given before the command name wins over the JSON too. */
  given: Set<string>;
  positionals: number;
}

function findOption(cmd: Command, token: string): Option | undefined {
  const name = token.includes('=') ? token.slice(0, token.indexOf('=')) : token;
  return cmd.options.find((o) => o.long === name || o.short === name);
}

const baseName = (o: Option) => o.long!.replace(/^--(no-)?/, '');

/** Which command argv runs, as commander (with positional options) will dispatch it. */
function resolveCommand(program: Command, argv: readonly string[]): Resolved {
  let cmd = program;
  let insertAt = 0;
  const given = new Set<string>();
  let positionals = 0;
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]!;
    if (t === '--') {
      positionals += argv.length - i - 1;
      break;
    }
    if (t.startsWith('-') && t !== '-') {
      const opt = findOption(cmd, t);
      if (opt?.long) given.add(baseName(opt));
      const next = argv[i + 1];
      if (opt && !t.includes('=') && (opt.required || (opt.optional && next !== undefined && !next.startsWith('-')))) i++;
      continue;
    }
    const sub = positionals === 0 ? cmd.commands.find((c) => c.name() === t || c.aliases().includes(t)) : undefined;
    if (sub) {
      cmd = sub;
      insertAt = i + 1;
    } else positionals++;
  }
  return { cmd, insertAt, given, positionals };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_FLAGS_BYTES) throw invalid(`stdin is larger than ${MAX_FLAGS_BYTES} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON text of one --flags value. */
async function payload(value: string, stdinUsed: { used: boolean }): Promise<string> {
  const v = value.trim();
  if (v === '-') {
    if (stdinUsed.used) throw invalid('only one --flags - can read stdin');
    stdinUsed.used = true;
    return readStdin();
  }
  if (v.startsWith('{')) return v;
  if (v === '') throw invalid('empty value (give a JSON object, @FILE, a file path, or - for stdin)');
  return readText(v.startsWith('@') ? v.slice(1) : v, 'flags file', MAX_FLAGS_BYTES);
}

/** The --flags values in argv, and argv without them. */
function extract(argv: readonly string[]): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]!;
    if (t === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (t === FLAGS) {
      if (i + 1 >= argv.length) throw invalid('missing value');
      values.push(argv[++i]!);
    } else if (t.startsWith(`${FLAGS}=`)) values.push(t.slice(FLAGS.length + 1));
    else rest.push(t);
  }
  return { values, rest };
}

/** Merged key → value of every --flags payload (keys in the `-` spelling), later payloads winning. */
async function load(values: readonly string[]): Promise<Map<string, unknown>> {
  const merged = new Map<string, unknown>();
  const stdinUsed = { used: false };
  for (const v of values) {
    const text = (await payload(v, stdinUsed)).trim();
    if (text === '') throw invalid('the JSON is empty');
    // Core's reader: duplicate keys refused (JSON.parse would silently keep the last), nesting capped.
    const obj = parseJson(text, `${FLAGS} JSON`, 'POLICY_INVALID');
    if (!isObject(obj)) throw invalid('must be a JSON object, e.g. {"public-key": "key.pem"}');
    const seen = new Map<string, string>();
    for (const [key, value] of Object.entries(obj)) {
      const k = key.replace(/_/g, '-');
      const prev = seen.get(k);
      if (prev !== undefined) throw invalid(`'${sanitize(prev)}' and '${sanitize(key)}' name the same option`);
      seen.set(k, key);
      merged.set(k, value);
    }
  }
  return merged;
}

/** An option that collects every occurrence (its parser appends to the previous value). */
function repeatable(o: Option): boolean {
  try {
    return Array.isArray(o.parseArg?.('b', ['a'] as never));
  } catch {
    return false;
  }
}

function scalar(key: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw invalid(`'${sanitize(key)}' must be a string or a number, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
}

/** The command-line tokens one key stands for. */
function tokens(cmd: Command, key: string, value: unknown): string[] {
  if (key.startsWith('no-')) {
    // `"no-X": true` is `--no-X`, for an option declared that way only (`"no-json": true` must not mean --json).
    const neg = cmd.options.find((o) => o.negate && o.long === `--${key}`)!;
    if (typeof value !== 'boolean') throw invalid(`'${sanitize(key)}' is a switch: give true or false`);
    return value ? [neg.long!] : [];
  }
  const positive = cmd.options.find((o) => o.long === `--${key}` && !o.negate);
  const negative = cmd.options.find((o) => o.negate && o.long === `--no-${key}`);
  if (positive?.required) {
    if (Array.isArray(value)) {
      if (!repeatable(positive)) throw invalid(`'${sanitize(key)}' takes one value, not an array`);
      return value.map((x) => `${positive.long}=${scalar(key, x)}`);
    }
    return [`${positive.long}=${scalar(key, value)}`];
  }
  if (positive?.optional) {
    if (value === true) return [positive.long!];
    if (value === false) return [];
    return [`${positive.long}=${scalar(key, value)}`];
  }
  if (typeof value !== 'boolean') throw invalid(`'${sanitize(key)}' is a switch: give true or false`);
  if (value) return positive ? [positive.long!] : [];
  return negative ? [negative.long!] : [];
}

/** argv with every --flags expanded into the tokens of the command it runs (see the module comment). */
export async function expandFlags(program: Command, argv: readonly string[]): Promise<string[]> {
  const { values, rest } = extract(argv);
  if (values.length === 0) return [...argv];
  const json = await load(values);
  const { cmd, insertAt, given, positionals } = resolveCommand(program, rest);
  const known = new Set(cmd.options.filter((o) => o.long).map(baseName));
  const takesModel = cmd.registeredArguments.length > 0;
  const negated = new Set(cmd.options.filter((o) => o.negate && o.long).map((o) => o.long!.slice(2)));
  const accepted = (k: string) => (k === 'model' ? takesModel : k.startsWith('no-') ? negated.has(k) : known.has(k) && !NOT_FROM_JSON.has(k));
  const unknown = [...json.keys()].filter((k) => !accepted(k));
  if (unknown.length) {
    const path = cmd.parent ? `'${[cmd.parent.parent ? cmd.parent.name() : '', cmd.name()].filter(Boolean).join(' ')}'` : 'this command';
    throw invalid(`unknown key${unknown.length > 1 ? 's' : ''} for ${path}: ${unknown.map((k) => `'${sanitize(k)}'`).join(', ')}`);
  }
  const add: string[] = [];
  let model: string | undefined;
  for (const [key, value] of json) {
    if (key === 'model') {
      model = scalar(key, value);
      continue;
    }
    if (given.has(key.replace(/^no-/, ''))) continue; // the command line wins
    add.push(...tokens(cmd, key, value));
  }
  const out = [...rest.slice(0, insertAt), ...add, ...rest.slice(insertAt)];
  if (model !== undefined && positionals === 0) out.push(...(out.includes('--') ? [model] : ['--', model]));
  return out;
}
