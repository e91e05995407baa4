/**
 * `<model-verify>`: an embeddable badge that verifies a signed model (by URL, or `File`s handed to it) with
 * core's verifyModel and shows "verified · signer" / "failed · reason"; it expands to the full details.
 *
 * Nothing runs at import time or in the constructor: network, wasm and workers are touched only by verify().
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { ModelVerifyError } from '../../core/index.js';
import type { ModelSource } from '../../core/serialize/index.js';
import { HttpSource, fetchBytes } from '../../core/sources/index.js';
import { pickedFromInput } from '../../browser/file-source.js';
import { prepareFiles } from '../model-input.js';
import { trustedRootFor } from '../trust-choice.js';
import type { OpenedHf } from '../hf-model.js';
import { fileTable, messages, reportStyles, signerPanel } from '../ui/report-parts.js';
import {
  buildPolicy,
  formatBytes,
  parseIgnorePaths,
  reportFromError,
  runVerification,
  shortReason,
  signerLabel,
  type Policy,
  type VerificationReport,
} from '../verify-run.js';

export interface VerifyProgressDetail {
  bytesDone: number;
  bytesTotal: number;
}
export interface VerifyResultDetail {
  verified: boolean;
  report: VerificationReport;
}

type Status = 'idle' | 'verifying' | 'verified' | 'failed';

/** Attributes that, when changed on an `auto` element, start a new verification. */
const INPUTS = [
  'src',
  'signature',
  'method',
  'identity',
  'issuer',
  'identityRegexp',
  'publicKey',
  'keyName',
  'certificateChain',
  'files',
  'policy',
  'trustedRoot',
  'trust',
  'tufUrl',
  'tufRoot',
  'ignorePaths',
  'ignoreUnsigned',
  'hubEndpoint',
  'hfToken',
  'plainHttp',
  'ociToken',
];

/**
 * Verifies an ML model signed with OpenSSF Model Signing and shows the outcome as a badge.
 *
 * @tag model-verify
 * @summary Verifies an OMS-signed model (by URL or from File objects) and shows who signed it.
 *
 * @fires {CustomEvent<void>} verify-start - Verification began (bubbles, composed).
 * @fires {CustomEvent<VerifyProgressDetail>} verify-progress - Hashing progress `{bytesDone, bytesTotal}` (bubbles, composed).
 * @fires {CustomEvent<VerifyResultDetail>} verify-result - The outcome `{verified, report}` (bubbles, composed).
 *
 * @csspart badge - The badge button.
 * @csspart icon - The status symbol inside the badge.
 * @csspart label - The status text inside the badge.
 * @csspart details - The expanded details panel.
 * @csspart signer - The signer panel inside the details.
 * @csspart files - The per-file table inside the details.
 * @csspart errors - The list of problems inside the details.
 * @csspart warnings - The list of warnings inside the details.
 * @csspart note - An informational note inside the details (e.g. that a model over HTTP cannot list its files).
 * @csspart progress - The progress bar inside the badge while verifying.
 *
 * @cssprop [--model-verify-font=inherit] - Font of the badge and details.
 * @cssprop [--model-verify-radius=999px] - Corner radius of the badge.
 * @cssprop [--model-verify-fg=#1b1f27] - Text colour.
 * @cssprop [--model-verify-bg=#ffffff] - Background of the badge and details.
 * @cssprop [--model-verify-border=#c9ced8] - Border colour while idle or verifying.
 * @cssprop [--model-verify-ok=#15803d] - Colour of the verified state.
 * @cssprop [--model-verify-fail=#b91c1c] - Colour of the failed state.
 * @cssprop [--model-verify-pending=#4b5563] - Colour of the idle and verifying states.
 */
export class ModelVerifyElement extends LitElement {
  static override styles = [
    reportStyles,
    css`
      :host {
        display: inline-block;
        font: var(--model-verify-font, inherit);
        color: var(--model-verify-fg, #1b1f27);
        --mv-ok: var(--model-verify-ok, #15803d);
        --mv-fail: var(--model-verify-fail, #b91c1c);
        vertical-align: middle;
      }
      :host([hidden]) {
        display: none;
      }
      [part='badge'] {
        --c: var(--model-verify-pending, #4b5563);
        display: inline-flex;
        align-items: center;
        gap: 0.4em;
        font: inherit;
        font-size: 0.9em;
        line-height: 1.2;
        padding: 0.25em 0.75em 0.25em 0.3em;
        border-radius: var(--model-verify-radius, 999px);
        border: 1.5px solid var(--model-verify-border, #c9ced8);
        background: var(--model-verify-bg, #ffffff);
        color: inherit;
        cursor: pointer;
        max-width: 100%;
      }
      [part='badge']:focus-visible {
        outline: 3px solid var(--c);
        outline-offset: 2px;
      }
      :host([status='verified']) [part='badge'] {
        --c: var(--model-verify-ok, #15803d);
        border-color: var(--c);
      }
      :host([status='failed']) [part='badge'] {
        --c: var(--model-verify-fail, #b91c1c);
        border-color: var(--c);
      }
      [part='icon'] {
        display: inline-grid;
        place-items: center;
        width: 1.4em;
        height: 1.4em;
        border-radius: 50%;
        background: var(--c);
        color: #fff;
        font-weight: 700;
        font-size: 0.85em;
        flex: none;
      }
      [part='label'] {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      [part='progress'] {
        width: 4em;
        height: 0.5em;
        accent-color: var(--c);
        flex: none;
      }
      [part='details'] {
        margin-top: 0.5em;
        padding: 0.75em 1em;
        border: 1px solid var(--model-verify-border, #c9ced8);
        border-radius: 8px;
        background: var(--model-verify-bg, #ffffff);
        display: grid;
        gap: 0.75em;
        font-size: 0.9em;
        min-width: min(36em, 90vw);
      }
      .sr {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
        white-space: nowrap;
      }
    `,
  ];

  /**
   * Base URL of the model (a folder URL ending in `/`, or one file's URL for a single-file model), or a Hugging Face
   * repository `hf://org/model[@revision]` (pinned to its commit; its files listed, so unsigned extras are seen), or
   * an OCI image `oci://registry/repository:tag|@sha256:…` (pinned to its manifest digest; the registry must send CORS
   * headers).
   */
  @property({ reflect: true }) src = '';
  /**
   * URL of the signature (`model.sig`). For `hf://` models: default the repository's model.sig, or a path in it; for
   * `oci://` images it is required (a registry has no standard place for it).
   */
  @property({ reflect: true }) signature = '';
  /** `hf://` models: the Hub's base URL (a mirror or private hub; default https://huggingface.co). */
  @property({ attribute: 'hub-endpoint', reflect: true }) hubEndpoint = '';
  /** `hf://` models: a Hub access token for gated or private repositories (a property only, never an attribute). */
  @property({ attribute: false }) hfToken: string | undefined;
  /** `oci://` models: speak http:// to the registry (a local one; https otherwise). */
  @property({ type: Boolean, attribute: 'plain-http', reflect: true }) plainHttp = false;
  /** `oci://` models: a registry bearer token (a property only, never an attribute). */
  @property({ attribute: false }) ociToken: string | undefined;
  /** How the model was signed: `sigstore`, `key` or `certificate`. */
  @property({ reflect: true }) method: Policy['method'] | '' = '';
  /** Sigstore: the exact signer identity (email or URI). */
  @property({ reflect: true }) identity = '';
  /** Sigstore: the OIDC issuer of the identity. */
  @property({ reflect: true }) issuer = '';
  /** Sigstore: an anchored regular expression the identity must match (instead of `identity`). */
  @property({ attribute: 'identity-regexp', reflect: true }) identityRegexp = '';
  /** Key method: URL of the signer's PEM public key. */
  @property({ attribute: 'public-key', reflect: true }) publicKey = '';
  /** Key method: a name for that key shown instead of its fingerprint ("Acme release key"); a label, never checked. */
  @property({ attribute: 'key-name', reflect: true }) keyName = '';
  /** Certificate method: URL of the trusted CA certificate(s) in PEM. */
  @property({ attribute: 'certificate-chain', reflect: true }) certificateChain = '';
  /** Verify as soon as the element is connected (and again when its inputs change). */
  @property({ type: Boolean, reflect: true }) auto = false;
  /** Model-relative paths to leave out, comma or space separated. */
  @property({ attribute: 'ignore-paths' }) ignorePaths = '';
  /** Allow files the signature does not cover (files only: over HTTP extra files are never seen). */
  @property({ type: Boolean, attribute: 'ignore-unsigned' }) ignoreUnsigned = false;
  /** Current state, reflected for styling: `idle`, `verifying`, `verified` or `failed`. */
  @property({ reflect: true }) status: Status = 'idle';

  /** The model as File objects (e.g. from an `<input webkitdirectory>`); used instead of `src` when set. */
  @property({ attribute: false }) files: File[] | undefined;
  /** A Sigstore TrustedRoot (parsed JSON) for private instances; the public-good root is built in. */
  @property({ attribute: false }) trustedRoot: unknown;
  /**
   * Sigstore: where the trust root comes from — `tuf` (refreshed through TUF, kept in IndexedDB), `embedded` (the
   * snapshot in this release; no network) or the URL of a trusted_root.json. The trustedRoot property wins.
   */
  @property({ reflect: true }) trust = 'tuf';
  /** Sigstore with trust="tuf": a private TUF repository's base URL (with tuf-root). */
  @property({ attribute: 'tuf-url', reflect: true }) tufUrl = '';
  /** Sigstore with trust="tuf": URL of that repository's initial root.json. */
  @property({ attribute: 'tuf-root', reflect: true }) tufRoot = '';
  /** A complete core Policy object; takes precedence over the policy attributes. */
  @property({ attribute: false }) policy: Policy | undefined;

  /** The last report, once a verification finished. */
  @state() report: VerificationReport | undefined;
  @state() private percent = 0;
  @state() private expanded = false;

  private controller: AbortController | undefined;

  /** Starts (or restarts) verification and resolves with the report. Never rejects. */
  verify(): Promise<VerificationReport> {
    this.controller?.abort(new DOMException('Superseded by a newer verification', 'AbortError'));
    const ctrl = new AbortController();
    this.controller = ctrl;
    return this.run(ctrl);
  }

  private emitStart(): void {
    this.dispatchEvent(new CustomEvent('verify-start', { bubbles: true, composed: true }));
  }

  private emitProgress(detail: VerifyProgressDetail): void {
    this.dispatchEvent(new CustomEvent<VerifyProgressDetail>('verify-progress', { detail, bubbles: true, composed: true }));
  }

  private emitResult(detail: VerifyResultDetail): void {
    this.dispatchEvent(new CustomEvent<VerifyResultDetail>('verify-result', { detail, bubbles: true, composed: true }));
  }

  private async run(ctrl: AbortController): Promise<VerificationReport> {
    this.status = 'verifying';
    this.percent = 0;
    this.report = undefined;
    this.emitStart();
    let source: ModelSource | undefined;
    let report: VerificationReport;
    let hf: OpenedHf | undefined;
    // Loaded on use: the Hub source stays out of the element's initial download.
    let hfm: typeof import('../hf-model.js') | undefined;
    let claim: Awaited<ReturnType<typeof import('../hf-model.js').hubClaim>>;
    try {
      const signal = ctrl.signal;
      const policy = this.policy ?? (await this.policyFromAttributes(signal));
      const ignorePaths = parseIgnorePaths(this.ignorePaths);
      // Keyless only: the trust root this page chose (trust attribute), unless the trustedRoot property gives one.
      const trustedRoot = policy.method === 'sigstore' ? (this.trustedRoot ?? (await this.chosenTrustRoot(signal))) : undefined;
      let bundle: Uint8Array;
      if (this.files?.length) {
        // Without a signature URL the signature must be among the files (model.sig).
        const sig = this.signature
          ? new File(
              [(await fetchBytes(this.resolveUrl(this.signature), 'signature', { signal })) as Uint8Array<ArrayBuffer>],
              this.signature.split('/').pop() || 'model.sig',
            )
          : undefined;
        const prep = await prepareFiles(pickedFromInput(this.files), sig, ignorePaths);
        source = prep.source;
        bundle = prep.bundle;
      } else {
        if (!this.src) throw new ModelVerifyError('MODEL_NOT_FOUND', 'No model: set the src attribute (or the files property)');
        if (/^hf:\/\//i.test(this.src.trim())) {
          hfm = await import('../hf-model.js');
          hf = await hfm.openHfModel(this.src, this.signature, {
            ...(this.hubEndpoint ? { endpoint: this.hubEndpoint } : {}),
            ...(this.hfToken ? { token: this.hfToken } : {}),
            signal,
            resolveUrl: (u) => this.resolveUrl(u),
          });
          source = hf.source;
          bundle = hf.bundle;
          if (hf.signatureInRepo) ignorePaths.push(hf.signatureInRepo);
          claim = await hfm.hubClaim(hf, policy, trustedRoot);
        } else if (/^oci:\/\//i.test(this.src.trim())) {
          // Loaded on use: only oci:// badges need the registry client and the tar reader.
          const { openOciModel } = await import('../oci-model.js');
          const oci = await openOciModel(this.src, this.signature ? this.resolveUrl(this.signature) : '', {
            ...(this.plainHttp ? { plainHttp: true } : {}),
            ...(this.ociToken ? { token: this.ociToken } : {}),
            signal,
          });
          source = oci.source;
          bundle = oci.bundle;
        } else {
          if (!this.signature) throw new ModelVerifyError('INPUT_MISSING', 'No signature: set the signature attribute to the URL of model.sig');
          source = new HttpSource(this.resolveUrl(this.src));
          bundle = await fetchBytes(this.resolveUrl(this.signature), 'signature', { signal });
        }
      }
      // The Hub itself records other digests than the signature: stop before downloading anything.
      if (hf && claim?.status === 'mismatch') throw new ModelVerifyError('HASH_MISMATCH', claim.summary);
      report = await runVerification({
        source,
        bundle,
        policy,
        ...(trustedRoot !== undefined ? { trustedRoot } : {}),
        ignorePaths,
        ignoreUnsigned: this.ignoreUnsigned,
        signal,
        onProgress: (p) => {
          if (this.controller !== ctrl) return;
          this.percent = p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 0;
          this.emitProgress({ bytesDone: p.bytesDone, bytesTotal: p.bytesTotal });
        },
      });
      if (hf && hfm) hfm.annotateHf(report, hf, claim);
    } catch (e) {
      report = reportFromError(e, source?.name ?? '', source?.listable ?? true);
      if (hf && hfm && claim?.status === 'mismatch') hfm.annotateHf(hfm.claimMismatchReport(report, claim), hf, claim);
    }
    if (this.controller === ctrl) {
      this.controller = undefined;
      this.report = report;
      this.status = report.verified ? 'verified' : 'failed';
      this.emitResult({ verified: report.verified, report });
    }
    return report;
  }

  private resolveUrl(u: string): string {
    return new URL(u, this.ownerDocument?.baseURI ?? globalThis.location?.href).href;
  }

  private async policyFromAttributes(signal: AbortSignal): Promise<Policy> {
    const pem = async (url: string, what: string) =>
      url ? new TextDecoder().decode(await fetchBytes(this.resolveUrl(url), what, { signal, maxBytes: 1 << 20 })) : '';
    return buildPolicy({
      method: this.method,
      identity: this.identity,
      identityRegexp: this.identityRegexp,
      issuer: this.issuer,
      publicKey: this.method === 'key' ? await pem(this.publicKey, 'public key') : '',
      keyName: this.method === 'key' ? this.keyName : '',
      certificateChain: this.method === 'certificate' ? await pem(this.certificateChain, 'certificate chain') : '',
    });
  }

  /** The trust root the `trust`, `tuf-url` and `tuf-root` attributes choose (web/trust-choice.ts). */
  private async chosenTrustRoot(signal: AbortSignal): Promise<unknown> {
    const tufRootJson = this.tufRoot
      ? new TextDecoder().decode(await fetchBytes(this.resolveUrl(this.tufRoot), 'TUF root', { signal, maxBytes: 1 << 20 }))
      : undefined;
    return trustedRootFor(this.trust, {
      ...(this.tufUrl ? { tufUrl: this.resolveUrl(this.tufUrl).replace(/\/+$/, '') } : {}),
      ...(tufRootJson !== undefined ? { tufRootJson } : {}),
      signal,
    });
  }

  /** Cancels a running verification (its result event reports `ABORTED`). */
  cancel(): void {
    this.controller?.abort(new DOMException('Cancelled', 'AbortError'));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.cancel();
  }

  private scheduled = false;

  protected override updated(changed: PropertyValues<this>): void {
    if (!this.auto || this.scheduled) return;
    const inputsChanged = INPUTS.some((k) => changed.has(k as keyof ModelVerifyElement)) || changed.has('auto' as keyof ModelVerifyElement);
    if (!inputsChanged || !(this.src || this.files?.length)) return;
    // Coalesce attribute changes made in one task into one run (verify() also supersedes a running one).
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.isConnected) void this.verify();
    });
  }

  private onBadgeClick(): void {
    if (this.status === 'idle') {
      void this.verify();
      return;
    }
    if (this.report) this.expanded = !this.expanded;
  }

  private badgeText(): { icon: string; text: string } {
    switch (this.status) {
      case 'verifying':
        return { icon: '…', text: `verifying ${this.percent}%` };
      case 'verified':
        return { icon: '✓', text: `verified · ${signerLabel(this.report!)}` };
      case 'failed':
        return { icon: '✗', text: `failed · ${shortReason(this.report!)}` };
      default:
        return { icon: '?', text: 'not verified · click to verify' };
    }
  }

  override render() {
    const { icon, text } = this.badgeText();
    const r = this.report;
    return html`
      <button part="badge" type="button" aria-expanded=${r ? String(this.expanded) : nothing} aria-controls=${r ? 'details' : nothing} @click=${this.onBadgeClick} title=${r ? 'Show details' : 'Verify'}>
        <span part="icon" aria-hidden="true">${icon}</span><span part="label">${text}</span>
        ${this.status === 'verifying' ? html`<progress part="progress" max="100" .value=${this.percent} aria-label="Bytes hashed"></progress>` : nothing}
      </button>
      <span class="sr" role="status">${this.status === 'verifying' ? '' : text}</span>
      ${
        r && this.expanded
          ? html`<div part="details" id="details">
            ${messages(r)} ${signerPanel(r)} ${r.resources.length ? fileTable(r) : nothing}
            <p class="muted">${r.model.name ? html`Model <strong>${r.model.name}</strong> · ` : nothing}${formatBytes(r.bytesHashed)} hashed in ${(r.millis / 1000).toFixed(2)} s</p>
          </div>`
          : nothing
      }
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'model-verify': ModelVerifyElement;
  }
}
