/**
 * The built CLI with TUF-refreshed trust roots, all on loopback: the test Sigstore stack (tests/sign/stack) signs a
 * model; a TUF repository (tests/helpers/tuf-repo.ts) first publishes the production trusted root, then one that adds
 * the stack's Rekor log, CT log, CA and TSA. The signature fails before the refresh and with the embedded root,
 * verifies after it, keeps verifying from the cache with the repository gone, and --offline / --trust-fallback decide
 * what happens when it cannot be reached.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_TRUSTED_ROOT } from '../../core/sigstore/embedded-root.generated.js';
import { expiresIn, TufTestRepo } from '../helpers/tuf-repo.js';
import { ensureCliBuilt, GOLDENS, REPO } from '../sign/helpers.js';
import { serveStack } from '../sign/stack/server.js';
import type { Stack } from '../sign/stack/stack.js';

const CLI = path.join(REPO, 'bin/model-verify.js');
let stack: Stack;
let closeStack: () => Promise<void>;
let work: string;
let model: string;
let sig: string;
let rootFile: string;
const repo = new TufTestRepo();
const production = EMBEDDED_TRUSTED_ROOT as Record<string, unknown[]>;

/** The CLI with its own TUF cache and network allowed (vitest.config.ts sets MODEL_VERIFY_OFFLINE for every other test). */
function run(args: string[], cache: string): Promise<{ code: number; out: string; err: string }> {
  const env = { ...process.env, MODEL_VERIFY_OFFLINE: '', MODEL_VERIFY_TUF_CACHE: cache, SIGSTORE_ID_TOKEN: '', NO_COLOR: '1' };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: work, env, timeout: 120_000 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const identity = () => ['--identity', 'signer@example.com', '--identity-provider', stack.oidc.url];
const verify = (cache: string, ...extra: string[]) => run(['verify', 'sigstore', model, '--signature', sig, ...identity(), ...extra], cache);
const json = (out: string) => JSON.parse(out) as { verified: boolean; errors: { code: string }[]; trustRoot?: Record<string, unknown>; warnings: string[] };

beforeAll(async () => {
  await ensureCliBuilt();
  ({ stack, close: closeStack } = await serveStack());
  work = mkdtempSync(path.join(os.tmpdir(), 'mv-tuf-cli-'));
  model = path.join(work, 'model');
  cpSync(path.join(GOLDENS, 'v1.1.0-sigstore'), model, { recursive: true });
  rmSync(path.join(model, 'model.sig'));
  sig = path.join(work, 'model.sig');
  const trustConfig = path.join(work, 'trust_config.json');
  writeFileSync(trustConfig, JSON.stringify(stack.clientTrustConfig));
  const s = await run(['sign', 'sigstore', model, '--signature', sig, '--identity_token', await stack.oidc.mint(), '--trust_config', trustConfig], work);
  expect(s.code, s.err).toBe(0);
  await repo.serve();
  rootFile = path.join(work, '1.root.json');
  writeFileSync(rootFile, repo.root(1));
});
afterAll(async () => {
  await repo.stop();
  await closeStack();
  rmSync(work, { recursive: true, force: true });
});

describe('CLI trust roots through TUF', () => {
  it('a signature logged on a new Rekor log and TSA verifies after the refresh adds them, from the cache after, never with the embedded root', async () => {
    const cache = path.join(work, 'cache-a');
    const tuf = ['--tuf-url', repo.url, '--tuf-root', rootFile];
    // Timestamps that expire during the test (generous: CLI runs take seconds on a busy machine).
    const firstExpiry = Date.now() + 8000;
    repo.publish({ 'trusted_root.json': JSON.stringify(production) }, { expires: { timestamp: expiresIn(8) } });
    const before = await verify(cache, ...tuf, '--json');
    expect(before.code).toBe(1);
    // Its trust material is unknown to that root (the TSA is the first to be checked; then the CA and the log).
    expect(json(before.out).errors[0]?.code).toMatch(/^(TIMESTAMP_INVALID|CERT_CHAIN_UNTRUSTED|TLOG_INVALID)$/);
    expect(json(before.out).trustRoot).toMatchObject({ origin: 'tuf', repository: repo.url, tufRootVersion: 1 });

    // The repository's next trusted_root.json adds the local instance's logs and authorities.
    const next = { ...production };
    for (const k of ['tlogs', 'ctlogs', 'certificateAuthorities', 'timestampAuthorities'])
      next[k] = [...(production[k] ?? []), ...((stack.trustedRoot[k] as unknown[]) ?? [])];
    repo.publish({ 'trusted_root.json': JSON.stringify(next) }, { expires: { timestamp: expiresIn(30) } });
    await sleep(Math.max(0, firstExpiry - Date.now()) + 1100); // the cached timestamp expires: the next run refreshes
    const after = await verify(cache, ...tuf);
    expect(after.code, after.err).toBe(0);
    expect(after.out).toMatch(
      new RegExp(
        `trust: +TUF ${repo.url.replace(/[.]/g, '\\.')} \\(\\d{4}-\\d\\d-\\d\\d\\), refreshed through TUF, TUF root v1, checked .* UTC, metadata expires`,
      ),
    );

    // The repository goes away: the unexpired cache is used without the network, and --offline uses it too.
    await repo.stop();
    const cached = await verify(cache, ...tuf, '--json');
    expect(cached.code, cached.out).toBe(0);
    expect(json(cached.out).trustRoot).toMatchObject({ origin: 'cache', repository: repo.url });
    const offline = await verify(cache, '--tuf-url', repo.url, '--offline', '--json');
    expect(offline.code, offline.out).toBe(0);
    expect(json(offline.out).trustRoot?.origin).toBe('cache');

    // The embedded production root does not know the local instance.
    const embedded = await verify(path.join(work, 'empty-cache'), '--offline', '--json');
    expect(embedded.code).toBe(1);
    expect(json(embedded.out).errors[0]?.code).toMatch(/^(TIMESTAMP_INVALID|CERT_CHAIN_UNTRUSTED|TLOG_INVALID)$/);
    expect(json(embedded.out).trustRoot).toMatchObject({ origin: 'embedded', repository: 'https://tuf-repo-cdn.sigstore.dev', tufRootVersion: 14 });

    // inspect reads the same trust root.
    const inspected = await run(['inspect', sig, '--tuf-url', repo.url, '--offline'], cache);
    expect(inspected.code, inspected.err).toBe(0);
    expect(inspected.out).toMatch(new RegExp(`trust: +TUF ${repo.url.replace(/[.]/g, '\\.')} \\(\\d{4}-\\d\\d-\\d\\d\\), cached TUF metadata, TUF root v1`));

    // Once the cached timestamp has expired with the repository unreachable: fail unless a fallback is allowed.
    await sleep(Math.max(0, Date.parse(json(cached.out).trustRoot!.expires as string) - Date.now()) + 1100);
    const down = await verify(cache, ...tuf, '--json');
    expect(down.code).toBe(1);
    expect(json(down.out).errors[0]?.code).toBe('TUF_UNAVAILABLE');
    const fallback = await verify(cache, ...tuf, '--trust-fallback', 'cache', '--json');
    expect(fallback.code, fallback.out).toBe(0);
    expect(json(fallback.out).trustRoot).toMatchObject({ origin: 'cache' });
    expect(json(fallback.out).warnings.join('\n')).toMatch(/Cannot reach the TUF repository .*cached trust root .*expired/);
    // verify-bundle loads its trust root the same way: the private repository, offline, with nothing cached.
    const vb = await run(['verify-bundle', '--bundle', sig, '--key', rootFile, '--tuf-url', repo.url, '--offline', rootFile], path.join(work, 'none'));
    expect(vb.code).toBe(1);
    expect(vb.err).toContain('[TUF_UNAVAILABLE]');
  });

  it('a repository that fails TUF verification fails closed, whatever fallback was allowed', async () => {
    const bad = new TufTestRepo();
    await bad.serve();
    try {
      bad.publish({ 'trusted_root.json': JSON.stringify(production) }, { expires: { timestamp: '2020-01-01T00:00:00Z' } });
      const root = path.join(work, 'bad.root.json');
      writeFileSync(root, bad.root(1));
      const r = await verify(path.join(work, 'cache-bad'), '--tuf-url', bad.url, '--tuf-root', root, '--trust-fallback', 'embedded', '--json');
      expect(r.code).toBe(1);
      expect(json(r.out).errors[0]).toMatchObject({ code: 'TUF_INVALID' });
      expect(json(r.out).errors[0]?.code).not.toBe('TUF_UNAVAILABLE');
    } finally {
      await bad.stop();
    }
  });

  it('flag mistakes are refused: --tuf-root alone, --tuf-url with --trusted-root, plain http off loopback, a bad fallback', async () => {
    const cache = path.join(work, 'cache-flags');
    const cases: [string[], RegExp][] = [
      [['--tuf-root', rootFile], /--tuf-root needs --tuf-url/],
      [['--tuf-url', repo.url, '--trusted-root', rootFile], /cannot be used with --trusted-root/],
      [['--tuf-url', 'http://tuf.example.com'], /must be https/],
      [['--tuf-url', repo.url, '--trust-fallback', 'anything'], /--trust-fallback must be/],
      [['--use-staging', '--offline'], /No Sigstore staging trust root is available offline/],
    ];
    for (const [flags, message] of cases) {
      const r = await verify(cache, ...flags, '--json');
      expect(r.code, flags.join(' ')).toBe(1);
      expect(JSON.parse(r.out).errors[0].message, flags.join(' ')).toMatch(message);
    }
  });
});
