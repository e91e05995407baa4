/**
 * Terminal-safe text. Bundles, certificates and model file names are attacker-controlled, and the CLI prints
 * them: a media type carrying `ESC[1A ESC[2K Verification succeeded` would repaint the line above the real
 * failure, and a bidi override (U+202E) can make `gpj.exe` read as `exe.jpg`. Every input-derived string goes
 * through sanitize() before it reaches stdout/stderr; --json output goes through terminalJson().
 */

/** C0 controls (newline and tab included: one field, one line), DEL, C1 controls, bidi marks/embeddings/overrides/isolates, line/paragraph separators. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same characters minus C0 (JSON.stringify already escapes those as \u00XX). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');

/** Escapes unsafe characters as visible `\xNN` / `\uNNNN`; everything else (any script, emoji) is kept. */
export function sanitize(s: string): string {
  return s.replace(UNSAFE, (c) => (c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** Sanitises each line of multi-line text we composed ourselves (the newlines between lines are ours). */
export function sanitizeLines(lines: readonly string[]): string {
  return lines.map(sanitize).join('\n');
}

/**
 * JSON.stringify, then the characters it leaves raw that a terminal still acts on (DEL, C1 such as U+009B CSI,
 * bidi controls) as `\uNNNN`. They can only occur inside string literals, where the escape means the same
 * character, so a JSON parser reads exactly the same value.
 */
export function terminalJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}

/**
 * One POSIX shell word, for commands we suggest the user copy: single-quoted unless plainly safe. Pass the result
 * through sanitize() too (as the renderers do): quoting does not neutralise terminal controls.
 */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
