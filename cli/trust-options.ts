/** The trust-root flags shared by verify, inspect and verify-bundle (read by cli/trust.ts; docs/trust-roots.md). Light: no TUF code loaded. */
import type { Command } from 'commander';

/** Where the Sigstore trust root comes from when no file is given. */
export function addTrustOptions(cmd: Command): Command {
  return cmd
    .option('--offline', 'no network: the cached TUF trust root, else the embedded one (also MODEL_VERIFY_OFFLINE=1)', false)
    .option('--tuf-url <url>', 'TUF repository to refresh the trust root from (private instances; default: Sigstore production)')
    .option('--tuf-root <file>', "the TUF repository's initial root.json (with --tuf-url or --use-staging)")
    .option(
      '--trust-fallback <cache|embedded>',
      'when the TUF repository cannot be reached: use the cached root (cache), or the cached else the embedded one (embedded)',
    );
}
