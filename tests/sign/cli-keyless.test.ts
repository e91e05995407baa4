/**
 * `model-verify sign sigstore` and `sign-model --method sigstore` through the built CLI, against the test Sigstore
 * stack served on loopback HTTP and described by a ClientTrustConfig file; verified by `verify sigstore`.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, GOLDENS, REPO, tempDir } from './helpers.js';
import { serveStack } from './stack/server.js';
import type { Stack } from './stack/stack.js';

const CLI = path.join(REPO, 'bin/model-verify.js');
let stack: Stack;
let close: () => Promise<void>;
let work: string;
let trustConfig: string;

beforeAll(async () => {
  await ensureCliBuilt();
  ({ stack, close } = await serveStack());
  work = tempDir('mv-keyless-cli-');
  trustConfig = path.join(work, 'trust_config.json');
  writeFileSync(trustConfig, JSON.stringify(stack.clientTrustConfig));
});
afterAll(async () => {
  await close();
  rmSync(work, { recursive: true, force: true });
});

/** Async, so this process's HTTP server keeps answering while the CLI runs. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: work, env: { ...process.env, SIGSTORE_ID_TOKEN: '', ...env }, timeout: 120_000 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

let n = 0;
function model(): string {
  const d = path.join(work, `m${n++}`);
  cpSync(path.join(GOLDENS, 'v1.1.0-sigstore'), d, { recursive: true });
  rmSync(path.join(d, 'model.sig'));
  return d;
}

describe('keyless signing from the CLI', () => {
  it('sign sigstore --identity-token --trust-config → verify sigstore', async () => {
    const m = model();
    const sig = path.join(m, 'model.sig');
    const token = await stack.oidc.mint();
    const s = await run([
      'sign',
      'sigstore',
      m,
      '--signature',
      sig,
      '--identity_token',
      token,
      '--trust_config',
      trustConfig,
      '--ignore-paths',
      path.join(m, 'ignore-me'),
    ]);
    expect(s.err).toBe('');
    expect(s.code).toBe(0);
    const v = await run([
      'verify',
      'sigstore',
      m,
      '--signature',
      sig,
      '--identity',
      'signer@example.com',
      '--identity-provider',
      stack.oidc.url,
      '--trust-config',
      trustConfig,
    ]);
    expect(v.code, v.err).toBe(0);
    const wrong = await run([
      'verify',
      'sigstore',
      m,
      '--signature',
      sig,
      '--identity',
      'someone@example.com',
      '--identity-provider',
      stack.oidc.url,
      '--trust-config',
      trustConfig,
    ]);
    expect(wrong.code).toBe(1);
  });

  it('`sign MODEL` means sigstore; the token may come from SIGSTORE_ID_TOKEN', async () => {
    const m = model();
    const s = await run(['sign', m, '--signature', path.join(m, 'model.sig'), '--trust-config', trustConfig, '--ignore-paths', path.join(m, 'ignore-me')], {
      SIGSTORE_ID_TOKEN: await stack.oidc.mint(),
    });
    expect(s.code, s.err).toBe(0);
  });

  it('sign-model --method sigstore → verify-model', async () => {
    const m = model();
    const bundle = path.join(m, 'model.sig');
    const s = await run([
      'sign-model',
      '--method',
      'sigstore',
      '--model-path',
      m,
      '--output-bundle',
      bundle,
      '--identity-token',
      await stack.oidc.mint(),
      '--trust-config',
      trustConfig,
      '--ignore-paths',
      path.join(m, 'ignore-me'),
    ]);
    expect(s.code, s.err).toBe(0);
    const v = await run([
      'verify',
      'sigstore',
      m,
      '--signature',
      bundle,
      '--identity',
      'signer@example.com',
      '--identity-provider',
      stack.oidc.url,
      '--trust-config',
      trustConfig,
    ]);
    expect(v.code, v.err).toBe(0);
  });

  it('no token, an expired token, staging without a trust config: clear errors, no model.sig', async () => {
    const m = model();
    const sig = path.join(m, 'model.sig');
    const none = await run(['sign', 'sigstore', m, '--signature', sig, '--trust-config', trustConfig]);
    expect(none.code).toBe(1);
    expect(none.err).toContain('SIGSTORE_ID_TOKEN');
    const expired = await run([
      'sign',
      'sigstore',
      m,
      '--signature',
      sig,
      '--trust-config',
      trustConfig,
      '--identity-token',
      await stack.oidc.mint({ exp: 1_000_000 }),
    ]);
    expect(expired.err).toContain('expired');
    const staging = await run(['sign', 'sigstore', m, '--signature', sig, '--use-staging', '--identity-token', await stack.oidc.mint()]);
    expect(staging.err).toContain('[UNSUPPORTED]');
    expect(existsSync(sig)).toBe(false);
  });

  /** Runs the CLI on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
  function onTerminal(args: string[]) {
    const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: work, env: { ...process.env, SIGSTORE_ID_TOKEN: '' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 600 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      const m = re.exec(out);
      if (!m) throw new Error(`no ${re} in: ${out}`);
      return m;
    };
    const exit = new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
    return { child, waitFor, exit, output: () => out };
  }

  it('no token on a terminal: loopback sign-in (the browser redirect is simulated), then signing', async () => {
    const m = model();
    const sig = path.join(m, 'model.sig');
    const t = onTerminal(['sign', 'sigstore', m, '--signature', sig, '--trust-config', trustConfig, '--ignore-paths', path.join(m, 'ignore-me')]);
    const url = (await t.waitFor(/(http:\/\/127\.0\.0\.1:\d+\/oidc\/auth\?\S+)/))[1]!;
    const { code, state } = stack.oidc.approve(url); // the user signs in at the issuer…
    const redirect = new URL(url).searchParams.get('redirect_uri')!;
    expect(redirect).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/);
    const page = await fetch(`${redirect}?code=${code}&state=${state}`); // …and the browser follows the redirect
    expect(await page.text()).toContain('Signed in');
    expect(await t.exit, t.output()).toBe(0);
    const v = await run([
      'verify',
      'sigstore',
      m,
      '--signature',
      sig,
      '--identity',
      'signer@example.com',
      '--identity-provider',
      stack.oidc.url,
      '--trust-config',
      trustConfig,
    ]);
    expect(v.code, v.err).toBe(0);
  });

  it('--oauth-force-oob: the code is typed into the terminal', async () => {
    const m = model();
    const sig = path.join(m, 'model.sig');
    const t = onTerminal([
      'sign',
      'sigstore',
      m,
      '--signature',
      sig,
      '--trust-config',
      trustConfig,
      '--oauth-force-oob',
      '--ignore-paths',
      path.join(m, 'ignore-me'),
    ]);
    const url = (await t.waitFor(/(http:\/\/127\.0\.0\.1:\d+\/oidc\/auth\?\S+)/))[1]!;
    expect(new URL(url).searchParams.get('redirect_uri')).toBe('urn:ietf:wg:oauth:2.0:oob');
    await t.waitFor(/Enter the verification code/);
    t.child.stdin.write(`${stack.oidc.approve(url).code}\n`);
    expect(await t.exit, t.output()).toBe(0);
    expect(existsSync(sig)).toBe(true);
  });
});
