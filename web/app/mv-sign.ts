/**
 * The Sign page: pick a model folder, sign it with a private key (pasted or loaded PEM, or a key pair made here)
 * or keyless with Sigstore (sign in, or paste an identity token), download model.sig and verify it on the spot.
 * Hashing and signing run in this tab; keys live only in memory. Keyless signing sends the signature, the
 * certificate request and the token to the chosen Sigstore instance, never model bytes.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { ModelVerifyError } from '../../core/index.js';
import type { HashAlgorithm } from '../../core/manifest/index.js';
import type { Curve } from '../../core/crypto/index.js';
import { generateSigningKey, type GeneratedKey } from '../../core/sign/index.js';
import type { Fetch } from '../../core/sign/keyless/index.js';
import {
  authorizationRequest,
  discover,
  exchangeCode,
  pollDeviceToken,
  startDeviceFlow,
  type AuthorizationRequest,
  type DeviceAuthorization,
  type OidcEndpoints,
} from '../../core/sign/keyless/index.js';
import type { TokenClaims } from '../../core/sign/keyless/index.js';
import { readPrivateKey } from '../../core/sign/index.js';
import { directoryPicker, droppedFiles, pickedFromHandle, pickedFromInput, type PickedFile } from '../../browser/file-source.js';
import {
  download,
  instanceFromConfig,
  parseShardSize,
  PUBLIC_INSTANCE,
  SIGNATURE_NAME,
  signPicked,
  tokenClaims,
  type KeylessInstance,
  type Signed,
  type SignWith,
} from '../sign-run.js';
import { detectProxy, proxiedFetch, relays, type ProxyInfo } from '../proxy-fetch.js';
import { fileTable, messages, progressPanel, reportStyles, signerPanel, warningList } from '../ui/report-parts.js';
import {
  failureHeadline,
  formatBytes,
  parseIgnorePaths,
  reportFromError,
  runVerification,
  signerLabel,
  type LiveProgress,
  type VerificationReport,
} from '../verify-run.js';
import { appStyles } from './styles.js';

type Method = 'key' | 'generate' | 'keyless';
type TokenMode = 'oob' | 'device' | 'paste';
const directFetch: Fetch = (url, init) => fetch(url, init);

@customElement('mv-sign')
export class MvSign extends LitElement {
  static override styles = [
    reportStyles,
    appStyles,
    css`
      :host {
        max-width: none;
        padding: 0;
      }
      .keys {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        align-items: center;
      }
      .signed-in {
        margin: 0;
      }
      .user-code {
        font: 700 1.2rem ui-monospace, monospace;
        letter-spacing: 0.08em;
      }
      select,
      input[type='password'] {
        font: inherit;
        padding: 0.35rem 0.5rem;
        border: 1px solid #9aa3b2;
        border-radius: 6px;
      }
      .inline {
        display: flex;
        gap: 0.6rem;
        align-items: end;
        flex-wrap: wrap;
      }
      .inline .field {
        flex: 1 1 16rem;
      }
      code.digest {
        word-break: break-all;
      }
    `,
  ];

  @state() private picked: PickedFile[] = [];
  @state() private pickedLabel = '';
  @state() private method: Method = 'key';
  // Private key material: component state only (memory), never storage or URLs.
  @state() private keyPem = '';
  @state() private keyPassword = '';
  @state() private certificatePem = '';
  @state() private chainPem = '';
  @state() private curve: Curve = 'P-256';
  @state() private generated: GeneratedKey | undefined;
  @state() private privateKeySaved = false;
  @state() private instance: KeylessInstance = PUBLIC_INSTANCE;
  @state() private instanceKind: 'public' | 'private' = 'public';
  @state() private instanceNote = '';
  @state() private tokenMode: TokenMode = 'oob';
  @state() private token = '';
  @state() private claims: TokenClaims | undefined;
  @state() private signInNote = '';
  @state() private auth: { ep: OidcEndpoints; req: AuthorizationRequest } | undefined;
  @state() private authCode = '';
  @state() private device: DeviceAuthorization | undefined;
  @state() private hashType: HashAlgorithm = 'sha256';
  @state() private shardText = '';
  @state() private ignoreText = '';
  @state() private signatureInside = true;
  @state() private running = false;
  @state() private stage = '';
  @state() private progress: LiveProgress | undefined;
  @state() private signed: Signed | undefined;
  @state() private error: VerificationReport | undefined;
  @state() private verifying = false;
  @state() private report: VerificationReport | undefined;
  /** The serving Worker's signing relay (null on static hosting): OAuth and Rekor v2 calls go through it. */
  @state() private proxy: ProxyInfo | null = null;

  @query('#sign-status') private statusEl?: HTMLElement;
  @query('#sign-verdict') private verdictEl?: HTMLElement;

  private controller: AbortController | undefined;
  private deviceCtrl: AbortController | undefined;

  protected override updated(changed: PropertyValues<this>): void {
    // Keyboard and screen-reader users land on the outcome of signing and of verifying.
    if (changed.has('signed' as keyof MvSign) && this.signed) this.statusEl?.focus();
    if (changed.has('report' as keyof MvSign) && this.report) this.verdictEl?.focus();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void detectProxy().then((p) => (this.proxy = p));
  }

  /** Sigstore calls the browser cannot make itself (no CORS) go through this origin's relay when there is one. */
  private get fetcher(): Fetch {
    return this.proxy ? proxiedFetch(this.proxy) : directFetch;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.deviceCtrl?.abort();
  }

  private reset(): void {
    this.signed = undefined;
    this.error = undefined;
    this.report = undefined;
  }

  private fail(e: unknown): void {
    this.error = reportFromError(e);
  }

  // ---- inputs -------------------------------------------------------------------------------------

  @state() private dragging = false;

  private onModelInput(e: Event): void {
    const input = e.target as HTMLInputElement;
    if (input.files?.length) this.setPicked(pickedFromInput(input.files));
  }

  private async onOpenFolder(): Promise<void> {
    const pick = directoryPicker();
    if (!pick) return;
    try {
      this.setPicked(await pickedFromHandle(await pick()));
    } catch (e) {
      if ((e as Error)?.name !== 'AbortError') this.fail(e);
    }
  }

  private async onDrop(e: DragEvent): Promise<void> {
    e.preventDefault();
    this.dragging = false;
    if (!e.dataTransfer) return;
    const dropped = droppedFiles(e.dataTransfer); // synchronously, before the DataTransfer empties
    try {
      const { folders, loose } = await dropped;
      const model = folders[0] ?? loose;
      if (model.length) this.setPicked(model);
    } catch (err) {
      this.fail(err);
    }
  }

  private setPicked(picked: PickedFile[]): void {
    this.picked = picked;
    const bytes = this.picked.reduce((n, f) => n + f.file.size, 0);
    const top = this.picked[0]?.path.includes('/') ? this.picked[0].path.split('/')[0] : undefined;
    this.pickedLabel = `${top ? `${top}: ` : ''}${this.picked.length} file${this.picked.length === 1 ? '' : 's'}, ${formatBytes(bytes)}`;
    this.reset();
  }

  private async onKeyFile(e: Event): Promise<void> {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) this.keyPem = await f.text();
    // Let go of the File as well: the text is all we need.
    (e.target as HTMLInputElement).value = '';
  }

  private async onGenerate(): Promise<void> {
    this.reset();
    try {
      this.generated = await generateSigningKey(this.curve);
      this.privateKeySaved = false;
    } catch (e) {
      this.fail(e);
    }
  }

  private savePrivateKey(): void {
    if (!this.generated || this.privateKeySaved) return;
    download(this.generated.privateKeyPem, 'signing-key.pem', 'application/x-pem-file');
    // Offered once: the page keeps the CryptoKey for signing, not a second copy to hand out.
    this.generated = { ...this.generated, privateKeyPem: '' };
    this.privateKeySaved = true;
  }

  private async onTrustConfig(e: Event): Promise<void> {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (!f) return;
    this.reset();
    try {
      this.instance = instanceFromConfig(await f.text());
      const s = this.instance.services;
      this.instanceNote = `${f.name}: Fulcio ${s.fulcio}, Rekor ${s.rekor}${s.rekorVersion === 2 ? ' (v2)' : ''}${s.tsa ? `, TSA ${s.tsa}` : ''}`;
    } catch (err) {
      this.instance = PUBLIC_INSTANCE;
      this.instanceNote = '';
      this.fail(err);
    }
  }

  private setToken(token: string, how: string): void {
    this.reset();
    this.token = token.trim();
    this.claims = undefined;
    this.signInNote = '';
    if (!this.token) return;
    try {
      this.claims = tokenClaims(this.token);
      this.signInNote = how;
      this.error = undefined;
    } catch (e) {
      this.fail(e);
    }
  }

  private issuer(): string {
    const iss = this.instance.services.oidcIssuer;
    if (!iss) throw new ModelVerifyError('UNSUPPORTED', 'This Sigstore instance names no OIDC issuer: paste an identity token instead');
    return iss;
  }

  private async startSignIn(): Promise<void> {
    this.reset();
    try {
      const ep = await discover(this.fetcher, this.issuer());
      this.auth = { ep, req: await authorizationRequest(ep) };
      this.authCode = '';
    } catch (e) {
      this.fail(e);
    }
  }

  private async useCode(): Promise<void> {
    if (!this.auth) return;
    try {
      const token = await exchangeCode(this.fetcher, this.auth.ep, this.auth.req, this.authCode);
      this.auth = undefined;
      this.setToken(token, 'signed in');
    } catch (e) {
      this.fail(e);
    }
  }

  private async startDevice(): Promise<void> {
    this.reset();
    this.deviceCtrl?.abort();
    const ctrl = new AbortController();
    this.deviceCtrl = ctrl;
    try {
      const ep = await discover(this.fetcher, this.issuer());
      this.device = await startDeviceFlow(this.fetcher, ep);
      const token = await pollDeviceToken(this.fetcher, ep, this.device, { signal: ctrl.signal });
      if (this.deviceCtrl === ctrl) this.setToken(token, 'signed in on another device');
    } catch (e) {
      if (!ctrl.signal.aborted) this.fail(e);
    } finally {
      if (this.deviceCtrl === ctrl) {
        this.device = undefined;
        this.deviceCtrl = undefined;
      }
    }
  }

  // ---- signing and verifying ----------------------------------------------------------------------

  private async signWith(): Promise<SignWith> {
    if (this.method === 'key') {
      if (!this.keyPem.trim()) throw new ModelVerifyError('KEY_MALFORMED', 'Paste the private key (PEM) or load it from a file');
      const key = await readPrivateKey(this.keyPem, this.keyPassword ? { password: this.keyPassword } : {});
      if (this.certificatePem.trim())
        return { kind: 'certificate', key, certificatePem: this.certificatePem, chainPems: this.chainPem.trim() ? [this.chainPem] : [] };
      return { kind: 'key', key };
    }
    if (this.method === 'generate') {
      if (!this.generated) throw new ModelVerifyError('KEY_MALFORMED', 'Generate a key pair first');
      return { kind: 'key', key: this.generated.signingKey };
    }
    if (!this.token) throw new ModelVerifyError('POLICY_INVALID', 'Sign in or paste an identity token first');
    return { kind: 'keyless', token: this.token, instance: this.instance, fetch: this.fetcher };
  }

  private async onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.running) return;
    this.reset();
    const ctrl = new AbortController();
    this.controller = ctrl;
    this.running = true;
    this.progress = undefined;
    this.stage = 'Preparing…';
    try {
      const shardSize = parseShardSize(this.shardText);
      const signed = await signPicked({
        picked: this.picked,
        with: await this.signWith(),
        hashType: this.hashType,
        ...(shardSize !== undefined ? { shardSize } : {}),
        ignorePaths: parseIgnorePaths(this.ignoreText),
        signatureInside: this.signatureInside,
        signal: ctrl.signal,
        onStage: (s) =>
          (this.stage =
            s === 'hashing' ? 'Hashing the model files…' : this.method === 'keyless' ? 'Getting a certificate and logging the signature…' : 'Signing…'),
        onProgress: (p) => (this.progress = p),
      });
      if (this.controller === ctrl) this.signed = signed;
    } catch (err) {
      if (this.controller === ctrl) this.fail(err);
    } finally {
      if (this.controller === ctrl) {
        this.controller = undefined;
        this.running = false;
      }
    }
  }

  private async verifyNow(): Promise<void> {
    const s = this.signed;
    if (!s || this.verifying) return;
    this.verifying = true;
    this.report = undefined;
    try {
      this.report = await runVerification({
        source: s.source,
        bundle: s.bundle,
        policy: s.policy,
        ...(s.trustedRoot !== undefined ? { trustedRoot: s.trustedRoot } : {}),
        ignorePaths: s.ignorePaths,
      });
    } catch (e) {
      this.report = reportFromError(e, s.source.name);
    } finally {
      this.verifying = false;
    }
  }

  // ---- rendering ----------------------------------------------------------------------------------

  override render() {
    return html`
      <form @submit=${this.onSubmit} aria-label="Sign a model">
        <fieldset ?disabled=${this.running}>
          <legend>1. Model to sign</legend>
          <div
            class="dropzone ${this.dragging ? 'dragging' : ''}"
            @dragover=${(e: DragEvent) => (e.preventDefault(), (this.dragging = true))}
            @dragleave=${() => (this.dragging = false)}
            @drop=${this.onDrop}
          >
            <p><strong>Drop the model folder here</strong>, or choose it:</p>
            <div class="pickers">
              <div class="field">
                <label for="sign-model-folder">Model folder</label>
                <input id="sign-model-folder" type="file" webkitdirectory multiple @change=${this.onModelInput} />
              </div>
              <div class="field">
                <label for="sign-model-files">…or model file(s)</label>
                <input id="sign-model-files" type="file" multiple @change=${this.onModelInput} />
              </div>
              ${directoryPicker() ? html`<button type="button" class="secondary" @click=${this.onOpenFolder}>Open folder…</button>` : nothing}
            </div>
            <p class="selection" aria-live="polite">${this.pickedLabel ? html`Model: <strong>${this.pickedLabel}</strong>` : html`<span class="muted">No model chosen yet.</span>`}</p>
          </div>
        </fieldset>
        <fieldset ?disabled=${this.running}>
          <legend>2. Sign with</legend>
          <div class="tabs" role="radiogroup" aria-label="Signing method">
            ${(['key', 'generate', 'keyless'] as const).map(
              (m) => html`<label
                ><input type="radio" name="sign-method" value=${m} .checked=${this.method === m} @change=${() => ((this.method = m), this.reset())} />
                ${{ key: 'My private key', generate: 'A new key pair', keyless: 'Sigstore (keyless)' }[m]}</label
              >`,
            )}
          </div>
          ${this.method === 'key' ? this.renderKey() : this.method === 'generate' ? this.renderGenerate() : this.renderKeyless()}
        </fieldset>
        <details class="options">
          <summary>Options</summary>
          <div class="inline">
            <div class="field">
              <label for="hash-type">Hash</label>
              <select id="hash-type" .value=${this.hashType} @change=${(e: Event) => (this.hashType = (e.target as HTMLSelectElement).value as HashAlgorithm)}>
                <option value="sha256">SHA-256</option>
                <option value="blake2b">BLAKE2b</option>
                <option value="blake3">BLAKE3</option>
              </select>
            </div>
            <div class="field">
              <label for="shard-size">Shard size in bytes (empty: whole files)</label>
              <input id="shard-size" type="text" inputmode="numeric" placeholder="e.g. 1000000000" .value=${this.shardText} @input=${(e: Event) => (this.shardText = (e.target as HTMLInputElement).value)} />
            </div>
          </div>
          <div class="field">
            <label for="sign-ignore">Leave out these paths (model-relative, comma separated)</label>
            <input id="sign-ignore" type="text" placeholder="e.g. README.md, .cache" .value=${this.ignoreText} @input=${(e: Event) => (this.ignoreText = (e.target as HTMLInputElement).value)} />
          </div>
          <label class="check"
            ><input type="checkbox" .checked=${this.signatureInside} @change=${(e: Event) => (this.signatureInside = (e.target as HTMLInputElement).checked)} /> I will save
            <code>${SIGNATURE_NAME}</code> inside the model folder (it is left out of the signature, and an old one is ignored)</label
          >
        </details>
        <div class="actions">
          <button type="submit" class="primary" ?disabled=${this.running}>Sign model</button>
          ${this.running ? html`<button type="button" class="secondary" @click=${() => this.controller?.abort(new DOMException('Cancelled by the user', 'AbortError'))}>Cancel</button>` : nothing}
        </div>
        <p class="muted small">
          Files are hashed in this tab and private keys stay in its memory. Keyless signing sends only the signature, a certificate request and your identity
          token to the Sigstore instance, and publishes your identity in its public transparency log.
        </p>
      </form>
      ${this.running ? progressPanel(this.stage, this.progress) : nothing} ${this.error ? this.renderError(this.error) : nothing} ${this.signed ? this.renderSigned(this.signed) : nothing}
    `;
  }

  private renderKey() {
    return html`
      <div class="field">
        <label for="private-key">Private key (PEM: EC, RSA 2048–4096 or Ed25519; PKCS#8 may be encrypted)</label>
        <textarea id="private-key" rows="5" spellcheck="false" autocomplete="off" placeholder="-----BEGIN EC PRIVATE KEY-----" .value=${this.keyPem} @input=${(e: Event) => (this.keyPem = (e.target as HTMLTextAreaElement).value)}></textarea>
      </div>
      <div class="inline">
        <div class="field">
          <label for="private-key-file">…or load it from a file</label>
          <input id="private-key-file" type="file" accept=".pem,.key,.txt" @change=${this.onKeyFile} />
        </div>
        <div class="field">
          <label for="key-password">Password (encrypted keys only)</label>
          <input id="key-password" type="password" autocomplete="off" .value=${this.keyPassword} @input=${(e: Event) => (this.keyPassword = (e.target as HTMLInputElement).value)} />
        </div>
      </div>
      <details class="options" ?open=${!!this.certificatePem}>
        <summary>Sign with a certificate (optional)</summary>
        <div class="inline">
          <div class="field">
            <label for="signing-certificate">Signing certificate (PEM, for this key)</label>
            <input id="signing-certificate" type="file" accept=".pem,.crt,.cer" @change=${async (e: Event) => (this.certificatePem = await textOf(e))} />
          </div>
          <div class="field">
            <label for="certificate-chain">Certificate chain (PEM, intermediates then root)</label>
            <input id="certificate-chain" type="file" accept=".pem,.crt,.cer" multiple @change=${async (e: Event) => (this.chainPem = await textOf(e))} />
          </div>
        </div>
        ${
          this.certificatePem
            ? html`<div class="actions">
              <span class="small">The bundle carries the certificate${this.chainPem ? ' and its chain' : ''} instead of a key hint.</span>
              <button type="button" class="secondary" @click=${() => ((this.certificatePem = ''), (this.chainPem = ''))}>Remove certificate</button>
            </div>`
            : nothing
        }
      </details>
    `;
  }

  private renderGenerate() {
    const g = this.generated;
    return html`
      <div class="inline">
        <div class="field">
          <label for="curve">Curve</label>
          <select id="curve" .value=${this.curve} @change=${(e: Event) => (this.curve = (e.target as HTMLSelectElement).value as Curve)}>
            <option value="P-256">P-256</option>
            <option value="P-384">P-384</option>
            <option value="P-521">P-521</option>
          </select>
        </div>
        <button type="button" class="secondary" @click=${this.onGenerate}>${g ? 'Generate another key pair' : 'Generate key pair'}</button>
      </div>
      ${
        g
          ? html`<p class="note" role="status">
              A new ${g.signingKey.curve} key pair exists in this tab only. Save the private key now: it is offered once and is gone when you leave the page.
              Give the public key to whoever verifies your models.
            </p>
            <div class="keys">
              <button type="button" class="secondary" ?disabled=${this.privateKeySaved} @click=${this.savePrivateKey}>
                ${this.privateKeySaved ? 'Private key saved' : 'Download private key'}
              </button>
              <button type="button" class="secondary" @click=${() => download(g.publicKeyPem, 'signing-key-pub.pem', 'application/x-pem-file')}>Download public key</button>
            </div>`
          : nothing
      }
    `;
  }

  private renderKeyless() {
    const c = this.claims;
    return html`
      <div class="tabs" role="radiogroup" aria-label="Sigstore instance">
        <label><input type="radio" name="instance" .checked=${this.instanceKind === 'public'} @change=${() => ((this.instanceKind = 'public'), (this.instance = PUBLIC_INSTANCE), (this.instanceNote = ''))} /> Public-good Sigstore</label>
        <label><input type="radio" name="instance" .checked=${this.instanceKind === 'private'} @change=${() => (this.instanceKind = 'private')} /> A private instance</label>
      </div>
      ${
        this.instanceKind === 'private'
          ? html`<div class="field">
            <label for="trust-config">Client trust configuration (<code>ClientTrustConfig</code> JSON: service URLs and trusted root)</label>
            <input id="trust-config" type="file" accept=".json" @change=${this.onTrustConfig} />
            ${this.instanceNote ? html`<span class="small" id="instance-note">${this.instanceNote}</span>` : nothing}
          </div>`
          : nothing
      }
      <div class="tabs" role="radiogroup" aria-label="Identity">
        ${(['oob', 'device', 'paste'] as const).map(
          (m) => html`<label
            ><input type="radio" name="token-mode" .checked=${this.tokenMode === m} @change=${() => (this.tokenMode = m)} />
            ${{ oob: 'Sign in here', device: 'Sign in on another device', paste: 'Paste an identity token' }[m]}</label
          >`,
        )}
      </div>
      ${this.renderRelayNote()}
      ${this.tokenMode === 'oob' ? this.renderOob() : this.tokenMode === 'device' ? this.renderDevice() : this.renderPaste()}
      ${
        c
          ? html`<p class="signed-in" role="status" id="identity-status">
            Identity: <strong>${c.email ?? c.sub}</strong> from <code>${c.iss}</code> (${this.signInNote}${c.exp ? `, valid until ${new Date(c.exp * 1000).toLocaleTimeString()}` : ''})
          </p>`
          : nothing
      }
    `;
  }

  /** Said plainly whenever the operator's Worker relays this instance's calls: it sees the identity token. */
  private renderRelayNote() {
    const s = this.instance.services;
    if (!relays(this.proxy, [s.oidcIssuer, s.rekorVersion === 2 ? s.rekor : undefined])) return nothing;
    return html`<p class="muted small" id="relay-note">
      Your browser cannot call the sign-in service${s.rekorVersion === 2 ? ' and Rekor v2' : ''} directly (no CORS), so the server that serves this page
      relays those calls. It sees the sign-in code exchange and the identity token it returns (valid for minutes) — the same trust you already
      give it by running its code here. Rekor entries are public anyway; model files are never sent.
    </p>`;
  }

  private renderOob() {
    const a = this.auth;
    return html`
      <div class="actions">
        <button type="button" class="secondary" @click=${this.startSignIn}>${a ? 'Start again' : 'Start sign-in'}</button>
        ${a ? html`<a id="signin-link" href=${a.req.url} target="_blank" rel="noopener noreferrer">Open the sign-in page</a>` : nothing}
      </div>
      ${
        a
          ? html`<div class="inline">
            <div class="field">
              <label for="auth-code">Code shown after you sign in</label>
              <input id="auth-code" type="text" autocomplete="off" spellcheck="false" .value=${this.authCode} @input=${(e: Event) => (this.authCode = (e.target as HTMLInputElement).value)} />
            </div>
            <button type="button" class="secondary" ?disabled=${!this.authCode.trim()} @click=${this.useCode}>Use code</button>
          </div>`
          : nothing
      }
      ${this.proxy ? nothing : html`<p class="muted small">If the browser blocks the issuer's sign-in requests (CORS), paste an identity token instead.</p>`}
    `;
  }

  private renderDevice() {
    const d = this.device;
    return html`
      <div class="actions">
        <button type="button" class="secondary" @click=${this.startDevice}>${d ? 'Start again' : 'Start device sign-in'}</button>
      </div>
      ${
        d
          ? html`<p role="status">
            Open <a href=${d.verificationUriComplete ?? d.verificationUri} target="_blank" rel="noopener noreferrer">${d.verificationUri}</a> and enter
            <span class="user-code" id="user-code">${d.userCode}</span> — waiting for you to approve…
          </p>`
          : nothing
      }
    `;
  }

  private renderPaste() {
    return html`
      <div class="field">
        <label for="identity-token">Identity token (OIDC JWT, e.g. from CI)</label>
        <textarea id="identity-token" rows="3" spellcheck="false" autocomplete="off" .value=${this.token} @change=${(e: Event) => this.setToken((e.target as HTMLTextAreaElement).value, 'pasted token')}></textarea>
      </div>
    `;
  }

  private renderError(r: VerificationReport) {
    const e = r.errors[0];
    return html`<section class="result" aria-label="Signing result">
      <div class="verdict fail" id="sign-status" data-status="failed" role="alert">
        <span class="icon" aria-hidden="true">✗</span>
        <div>
          <p class="headline">Not signed — ${failureHeadline(r)}</p>
          <p class="sub">${e?.message ?? ''}${e ? html` <code>[${e.code}]</code>` : nothing}</p>
        </div>
      </div>
    </section>`;
  }

  private renderSigned(s: Signed) {
    const who = s.signer.identity
      ? html`<strong>${s.signer.identity}</strong> (${s.signer.issuer})`
      : s.signer.certificate
        ? html`this key's certificate`
        : html`this key`;
    const r = this.report;
    return html`
      <section class="result" aria-label="Signing result">
        <div class="verdict ok" id="sign-status" data-status="signed" role="status" tabindex="-1">
          <span class="icon" aria-hidden="true">✓</span>
          <div>
            <p class="headline">Signed — <strong>${s.source.name}</strong>, ${s.files} file${s.files === 1 ? '' : 's'}, by ${who}</p>
            <p class="sub">Root digest <code class="digest">${s.rootDigest}</code>${s.leftOut.length ? html` · left out: ${s.leftOut.join(', ')}` : nothing}</p>
          </div>
        </div>
        ${warningList(s.warnings, 'sign-warnings')}
        <div class="actions">
          <button type="button" class="primary" id="download-sig" @click=${() => download(s.bundle, SIGNATURE_NAME, 'application/json')}>Download ${SIGNATURE_NAME}</button>
          <button type="button" class="secondary" id="verify-now" ?disabled=${this.verifying} @click=${this.verifyNow}>Verify it now</button>
          ${
            s.signer.publicKeyPem && !s.signer.certificate && this.method === 'key'
              ? html`<button type="button" class="secondary" @click=${() => download(s.signer.publicKeyPem!, 'signing-key-pub.pem', 'application/x-pem-file')}>Download public key</button>`
              : nothing
          }
          ${this.verifying ? html`<span role="status" class="small">Verifying…</span>` : nothing}
        </div>
        ${
          r
            ? html`<div id="sign-verdict" class="verdict ${r.verified ? 'ok' : 'fail'}" data-verdict=${r.verified ? 'verified' : 'failed'} role="status" tabindex="-1">
                <span class="icon" aria-hidden="true">${r.verified ? '✓' : '✗'}</span>
                <div>
                  <p class="headline">${r.verified ? html`Verified — signed by <strong>${signerLabel(r)}</strong>` : html`Not verified — ${failureHeadline(r)}`}</p>
                  <p class="sub">${r.verified ? `The new ${SIGNATURE_NAME} checks out against the files you picked` : (r.errors[0]?.message ?? '')}</p>
                </div>
              </div>
              ${messages(r.verified ? { ...r, errors: [] } : { ...r, errors: r.errors.slice(1) })}
              <div class="panels">${signerPanel(r)}</div>
              ${r.resources.length ? fileTable(r) : nothing}`
            : nothing
        }
      </section>
    `;
  }
}

/** All files of a file input as one text (PEM files concatenate). */
async function textOf(e: Event): Promise<string> {
  const files = Array.from((e.target as HTMLInputElement).files ?? []);
  return (await Promise.all(files.map((f) => f.text()))).join('\n');
}

declare global {
  interface HTMLElementTagNameMap {
    'mv-sign': MvSign;
  }
}
