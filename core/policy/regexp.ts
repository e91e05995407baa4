/**
 * The one compilation of a policy's identity pattern. Policy parsing (to refuse a bad pattern up front) and
 * identity matching (to use it) both call this, so a pattern accepted when a policy is stored is exactly
 * the pattern that runs at verification time: same anchoring, same flags.
 */
import { fail } from '../errors.js';

/**
 * Anchored like cosign's --certificate-identity-regexp; the group keeps alternations (`a|b`) inside the
 * anchors. The `u` flag makes the pattern Unicode-aware and strict: escapes without meaning (`\-` outside a
 * class, `\q`) are syntax errors rather than silently matching the literal character.
 */
export function compileIdentityRegexp(pattern: string, name = 'identityRegexp'): RegExp {
  const refuse = (e: unknown): never =>
    fail(
      'POLICY_INVALID',
      `${name} is not a valid regular expression (compiled with the u flag, where escapes such as \\- outside a character class are errors): ${(e as Error).message}`,
    );
  try {
    // On its own first: `a)|(.*` is unbalanced alone, but wrapped it would close our group and turn the
    // anchored `^(?:a)|(.*)$` into a pattern that accepts every identity.
    new RegExp(pattern, 'u');
  } catch (e) {
    refuse(e);
  }
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (e) {
    return refuse(e);
  }
}
