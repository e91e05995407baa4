/**
 * The app's Sign page in Debian's Chromium: sign a copy of a golden model with the reference's P-384 key, with a
 * key pair made in the page, and keyless against the local Sigstore test stack (loopback HTTP, real crypto);
 * every downloaded model.sig is checked outside the browser (our CLI, or core verifyModel in Node).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { NodeSource } from '../../node/source.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import { ensureCliBuilt, REPO } from '../sign/helpers.js';
import { serveStack } from '../sign/stack/server.js';
import type { Stack } from '../sign/stack/stack.js';
import { FIXTURES, PUBLIC_KEY } from './support/goldens.js';

const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
const takeShots = process.env.SCREENSHOTS === '1';
const CERTS = join(FIXTURES, 'keys/certificate');
const FIXTURE_KEY = join(CERTS, 'signing-key.pem');
const CLI = join(REPO, 'bin/model-verify.js');

/** A writable copy of the elliptic-key golden without its model.sig (the folder keeps its name). */
function unsignedCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'mv-e2e-sign-')), 'v1.1.0-elliptic-key');
  cpSync(join(FIXTURES, 'v1.1.0-elliptic-key'), dir, { recursive: true });
  rmSync(join(dir, 'model.sig'));
  return dir;
}

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000, env: { ...process.env, SIGSTORE_ID_TOKEN: '' } }, (e, out, err) =>
      done({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

async function save(page: Page, click: () => Promise<void>, path: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  await dl.saveAs(path);
  return dl.suggestedFilename();
}

async function openSign(page: Page, model: string): Promise<void> {
  await page.goto('/#sign');
  await expect(page.getByRole('link', { name: 'Sign' })).toHaveAttribute('aria-current', 'page');
  await page.locator('#sign-model-folder').setInputFiles(model);
  await expect(page.getByText(/Model: /)).toContainText('v1.1.0-elliptic-key: 3 files');
}

async function signAndDownload(page: Page, model: string): Promise<string> {
  await page.getByRole('button', { name: 'Sign model' }).click();
  await expect(page.locator('#sign-status')).toHaveAttribute('data-status', 'signed', { timeout: 30_000 });
  const sig = join(model, 'model.sig');
  expect(await save(page, () => page.locator('#download-sig').click(), sig)).toBe('model.sig');
  return sig;
}

async function verifyOnTheSpot(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Verify it now' }).click();
  await expect(page.locator('#sign-verdict')).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
  await expect(page.locator('table.files tbody tr[data-status="ok"]')).toHaveCount(3);
}

test.beforeAll(async () => {
  await ensureCliBuilt();
});

test.describe('sign page', () => {
  test('Verify and Sign pages are links in a labelled nav, reachable by keyboard', async ({ page }) => {
    await page.goto('/');
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await expect(nav.getByRole('link', { name: 'Verify' })).toHaveAttribute('aria-current', 'page');
    await nav.getByRole('link', { name: 'Sign' }).focus();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#sign$/);
    await expect(page.getByRole('button', { name: 'Sign model' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Verify model' })).toHaveCount(0);
    await expect(page).toHaveTitle(/sign an ML model/);
    await page.goBack();
    await expect(page.getByRole('button', { name: 'Verify model' })).toBeVisible();
  });

  test('the reference P-384 key (SEC1 after a certtool dump) → model.sig that our CLI verifies', async ({ page }) => {
    const model = unsignedCopy();
    await openSign(page, model);
    await page.locator('#private-key-file').setInputFiles(FIXTURE_KEY);
    await expect(page.locator('#private-key')).toHaveValue(/BEGIN EC PRIVATE KEY/);
    const sig = await signAndDownload(page, model);
    await expect(page.locator('#sign-status')).toContainText('left out: model.sig');
    await verifyOnTheSpot(page);
    if (takeShots) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'app-sign.png'), fullPage: true });
    }
    const ok = await cli(['verify', 'key', model, '--signature', sig, '--public-key', PUBLIC_KEY]);
    expect(ok.code, ok.err).toBe(0);
    // The same check fails once a signed byte changes: the signature really covers the files.
    const f = join(model, 'signme-1');
    const bytes = readFileSync(f);
    bytes[0]! ^= 1;
    writeFileSync(f, bytes);
    const bad = await cli(['verify', 'key', model, '--signature', sig, '--public-key', PUBLIC_KEY]);
    expect(bad.code).toBe(1);
    expect(bad.out + bad.err).toContain('signme-1');
  });

  test('a key pair made in the page: both keys downloaded (private once), model.sig verifies with the CLI', async ({ page }) => {
    const model = unsignedCopy();
    const keys = mkdtempSync(join(tmpdir(), 'mv-e2e-keys-'));
    await openSign(page, model);
    await page.getByLabel('A new key pair').check();
    await page.getByLabel('Curve').selectOption('P-384');
    await page.getByRole('button', { name: 'Generate key pair' }).click();
    const priv = join(keys, 'signing-key.pem');
    const pub = join(keys, 'signing-key-pub.pem');
    expect(await save(page, () => page.getByRole('button', { name: 'Download private key' }).click(), priv)).toBe('signing-key.pem');
    await expect(page.getByRole('button', { name: 'Private key saved' })).toBeDisabled();
    expect(await save(page, () => page.getByRole('button', { name: 'Download public key' }).click(), pub)).toBe('signing-key-pub.pem');
    expect(readFileSync(priv, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(pub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const sig = await signAndDownload(page, model);
    await verifyOnTheSpot(page);
    const ok = await cli(['verify', 'key', model, '--signature', sig, '--public-key', pub]);
    expect(ok.code, ok.err).toBe(0);
    // The saved private key is the one that signed: the CLI signs with it and the public key verifies that too.
    const again = join(keys, 'cli.sig');
    const s = await cli(['sign', 'key', model, '--signature', again, '--private-key', priv]);
    expect(s.code, s.err).toBe(0);
    expect((await cli(['verify', 'key', model, '--signature', again, '--public-key', pub])).code).toBe(0);
    // …and a different key's public half does not.
    expect((await cli(['verify', 'key', model, '--signature', sig, '--public-key', PUBLIC_KEY])).code).toBe(1);
  });

  test('the key with its certificate and chain → a certificate bundle our CLI verifies against the CA', async ({ page }) => {
    const model = unsignedCopy();
    await openSign(page, model);
    await page.locator('#private-key-file').setInputFiles(FIXTURE_KEY);
    await expect(page.locator('#private-key')).toHaveValue(/BEGIN EC PRIVATE KEY/);
    await page.getByText('Sign with a certificate (optional)').click();
    await page.locator('#signing-certificate').setInputFiles(join(CERTS, 'signing-key-cert.pem'));
    await page.locator('#certificate-chain').setInputFiles([join(CERTS, 'int-ca-cert.pem'), join(CERTS, 'ca-cert.pem')]);
    await expect(page.getByText('The bundle carries the certificate and its chain')).toBeVisible();
    const sig = await signAndDownload(page, model);
    await expect(page.locator('#sign-status')).toContainText("by this key's certificate");
    await verifyOnTheSpot(page);
    const bundle = JSON.parse(readFileSync(sig, 'utf8'));
    expect(bundle.verificationMaterial.x509CertificateChain.certificates).toHaveLength(3);
    const ok = await cli(['verify', 'certificate', model, '--signature', sig, '--certificate-chain', join(CERTS, 'ca-cert.pem')]);
    expect(ok.code, ok.err).toBe(0);
    // An unrelated CA does not vouch for it.
    const other = await cli([
      'verify',
      'certificate',
      model,
      '--signature',
      sig,
      '--certificate-chain',
      join(REPO, 'tests/sign/keys/p256-selfsigned-cert.pem'),
    ]);
    expect(other.code).toBe(1);
  });

  test('a certificate for another key is refused (KEY_MISMATCH)', async ({ page }) => {
    const model = unsignedCopy();
    await openSign(page, model);
    await page.getByLabel('A new key pair').check();
    await page.getByRole('button', { name: 'Generate key pair' }).click();
    await page.getByLabel('My private key').check();
    // The fixture certificate with a freshly generated key (pasted as PEM) cannot match.
    const other = await page.evaluate(async () => {
      const k = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign']);
      const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', k.privateKey));
      return `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...der))}\n-----END PRIVATE KEY-----\n`;
    });
    await page.locator('#private-key').fill(other);
    await page.getByText('Sign with a certificate (optional)').click();
    await page.locator('#signing-certificate').setInputFiles(join(CERTS, 'signing-key-cert.pem'));
    await page.getByRole('button', { name: 'Sign model' }).click();
    await expect(page.locator('#sign-status')).toHaveAttribute('data-status', 'failed');
    await expect(page.locator('#sign-status')).toContainText('KEY_MISMATCH');
    await expect(page.locator('#download-sig')).toHaveCount(0);
  });

  test('a wrong private key input is refused with its error code, and nothing is offered for download', async ({ page }) => {
    const model = unsignedCopy();
    await openSign(page, model);
    // RSA keys are supported (issue 16): a truncated one is malformed.
    await page.locator('#private-key').fill('-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n');
    await page.getByRole('button', { name: 'Sign model' }).click();
    await expect(page.locator('#sign-status')).toHaveAttribute('data-status', 'failed');
    await expect(page.locator('#sign-status')).toContainText('KEY_MALFORMED');
    // A key type no method signs with is unsupported.
    await page.locator('#private-key').fill('-----BEGIN DSA PRIVATE KEY-----\nMIIB\n-----END DSA PRIVATE KEY-----\n');
    await page.getByRole('button', { name: 'Sign model' }).click();
    await expect(page.locator('#sign-status')).toHaveAttribute('data-status', 'failed');
    await expect(page.locator('#sign-status')).toContainText('KEY_UNSUPPORTED');
    await expect(page.locator('#download-sig')).toHaveCount(0);
  });
});

test.describe('keyless signing against the local Sigstore stack', () => {
  let stack: Stack;
  let close: () => Promise<void>;
  let trustConfig: string;

  test.beforeAll(async () => {
    ({ stack, close } = await serveStack());
    trustConfig = join(mkdtempSync(join(tmpdir(), 'mv-e2e-stack-')), 'trust_config.json');
    writeFileSync(trustConfig, JSON.stringify(stack.clientTrustConfig));
  });
  test.afterAll(async () => {
    await close?.();
  });

  async function choosePrivateInstance(page: Page): Promise<void> {
    await page.getByLabel('Sigstore (keyless)').check();
    await page.getByLabel('A private instance').check();
    await page.locator('#trust-config').setInputFiles(trustConfig);
    await expect(page.locator('#instance-note')).toContainText(`Fulcio ${stack.base}/fulcio`);
  }

  async function verifiesInNode(model: string, sig: string): Promise<void> {
    const report = await verifyModel(
      await NodeSource.open(model),
      new Uint8Array(readFileSync(sig)),
      { method: 'sigstore', identity: 'signer@example.com', issuer: stack.oidc.url },
      { trustedRoot: stack.clientTrustConfig, ignorePaths: ['model.sig'] },
    );
    expect(report.errors).toEqual([]);
    expect(report.verified).toBe(true);
    const other = await verifyModel(
      await NodeSource.open(model),
      new Uint8Array(readFileSync(sig)),
      { method: 'sigstore', identity: 'someone@example.com', issuer: stack.oidc.url },
      {
        trustedRoot: stack.clientTrustConfig,
        ignorePaths: ['model.sig'],
      },
    );
    expect(other.verified).toBe(false);
  }

  test('sign in with a pasted out-of-band code → model.sig that core verifyModel accepts in Node', async ({ page }) => {
    const model = unsignedCopy();
    await openSign(page, model);
    await choosePrivateInstance(page);
    await page.getByRole('button', { name: 'Start sign-in' }).click();
    const url = (await page.locator('#signin-link').getAttribute('href'))!;
    expect(url.startsWith(`${stack.oidc.url}/auth?`)).toBe(true);
    const { code } = stack.oidc.approve(url); // the person signs in at the issuer and copies the code it shows
    await page.getByLabel('Code shown after you sign in').fill(code);
    await page.getByRole('button', { name: 'Use code' }).click();
    await expect(page.locator('#identity-status')).toContainText('signer@example.com');
    const sig = await signAndDownload(page, model);
    await expect(page.locator('#sign-status')).toContainText(`signer@example.com (${stack.oidc.url})`);
    await verifyOnTheSpot(page);
    await verifiesInNode(model, sig);
    for (const call of ['POST /oidc/token', 'POST /fulcio/api/v2/signingCert', 'POST /rekor/api/v1/log/entries', 'POST /tsa/api/v1/timestamp'])
      expect(stack.log).toContain(call);
  });

  test('a private instance whose signing config selects Rekor v2: the entry goes to v2, with a timestamp', async ({ page }) => {
    const v2 = join(mkdtempSync(join(tmpdir(), 'mv-e2e-stack-')), 'trust_config_v2.json');
    writeFileSync(v2, JSON.stringify({ ...stack.clientTrustConfig, signingConfig: stack.signingConfigV2 }));
    const model = unsignedCopy();
    await openSign(page, model);
    await page.getByLabel('Sigstore (keyless)').check();
    await page.getByLabel('A private instance').check();
    await page.locator('#trust-config').setInputFiles(v2);
    await expect(page.locator('#instance-note')).toContainText(`Rekor ${stack.base}/rekor2 (v2)`);
    await page.getByLabel('Paste an identity token').check();
    await page.getByLabel('Identity token (OIDC JWT, e.g. from CI)').fill(await stack.oidc.mint());
    await page.getByLabel('Identity token (OIDC JWT, e.g. from CI)').blur();
    const before = stack.log.length;
    const sig = await signAndDownload(page, model);
    expect(stack.log.slice(before)).toContain('POST /rekor2/api/v2/log/entries');
    expect(stack.log.slice(before)).not.toContain('POST /rekor/api/v1/log/entries');
    const bundle = JSON.parse(readFileSync(sig, 'utf8'));
    expect(bundle.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' });
    expect(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);
    await verifyOnTheSpot(page);
    await verifiesInNode(model, sig);
  });

  test('device sign-in and a pasted CI token both sign; an expired token is refused before hashing', async ({ page }) => {
    const model = unsignedCopy();
    await openSign(page, model);
    await choosePrivateInstance(page);
    await page.getByLabel('Sign in on another device').check();
    await page.getByRole('button', { name: 'Start device sign-in' }).click();
    const userCode = (await page.locator('#user-code').textContent())!.trim();
    stack.oidc.approveDevice(userCode);
    await expect(page.locator('#identity-status')).toContainText('signed in on another device', { timeout: 15_000 });
    const sig = await signAndDownload(page, model);
    await verifiesInNode(model, sig);

    await page.getByLabel('Paste an identity token').check();
    await page.getByLabel('Identity token (OIDC JWT, e.g. from CI)').fill(await stack.oidc.mint({ exp: 1_000_000 }));
    await page.getByLabel('Identity token (OIDC JWT, e.g. from CI)').blur();
    await expect(page.locator('#sign-status')).toContainText('expired');
    await page.getByLabel('Identity token (OIDC JWT, e.g. from CI)').fill(await stack.oidc.mint());
    await page.getByLabel('Identity token (OIDC JWT, e.g. from CI)').blur();
    await expect(page.locator('#identity-status')).toContainText('pasted token');
    rmSync(sig);
    await verifiesInNode(model, await signAndDownload(page, model));
  });
});
