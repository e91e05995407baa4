/**
 * The models this site publishes behind its download gate (only when the page is served by our Worker):
 * each model's verdict at the edge, from `GET /api/v1/models/<name>`, beside the same check run again in this
 * tab over the gate's URLs with the model's public policy. The browser never takes the edge's word for it.
 * Anywhere else (`vite preview`, a static host) `/api/v1/models` is not our JSON and this renders nothing.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ErrorCode } from '../../core/index.js';
import { ModelVerifyError } from '../../core/index.js';
import { HttpSource, fetchBytes } from '../../core/sources/index.js';
import { fileTable, reportStyles } from '../ui/report-parts.js';
import {
  buildPolicy,
  failureHeadline,
  formatBytes,
  reportFromError,
  runVerification,
  signerLabel,
  type LiveProgress,
  type VerificationReport,
} from '../verify-run.js';
import { appStyles } from './styles.js';

/** `GET /api/v1/models/<name>`: core's report plus what the Worker adds. */
type EdgeState = VerificationReport & { signaturePresent?: boolean; gate?: string };

interface ModelView {
  name: string;
  edge?: EdgeState;
  running: boolean;
  stage?: string;
  progress?: LiveProgress;
  browser?: VerificationReport;
  /** Why the gate would not serve a file the browser asked for (its 403 answer), when that stopped the run. */
  refusal?: { resource: string; code: string; message: string };
  controller?: AbortController;
}

const STAGE_TEXT = { signature: 'Checking the signature…', hashing: 'Downloading and hashing the files…', compare: 'Comparing digests…' } as const;
const DEFAULT_MODEL = 'demo';

@customElement('mv-edge-models')
export class MvEdgeModels extends LitElement {
  static override styles = [
    reportStyles,
    appStyles,
    css`
      :host {
        max-width: none;
        margin: 0 0 1.5rem;
        padding: 0;
      }
      :host([hidden]) {
        display: none;
      }
      h2 {
        font-size: 1.2rem;
        margin: 0 0 0.25rem;
      }
      .intro {
        margin: 0 0 0.75rem;
        color: #454c59;
      }
      .model {
        border: 1px solid #d8dce3;
        border-radius: 10px;
        padding: 0.75rem 1rem 1rem;
        display: grid;
        gap: 0.75rem;
      }
      .model + .model {
        margin-top: 1rem;
      }
      .model h3 {
        margin: 0;
        font-size: 1.05rem;
      }
      .model h3 code {
        font-size: 1em;
      }
      .pair {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr));
        gap: 0.75rem;
      }
      .verdict {
        padding: 0.7rem 0.9rem;
      }
      .verdict .where {
        margin: 0 0 0.1rem;
        font-size: 0.8rem;
        font-weight: 700;
        letter-spacing: 0.04em;
        text-transform: uppercase;
        color: #454c59;
      }
      .verdict .headline {
        font-size: 1.02rem;
      }
      .verdict.pending {
        background: #f3f5f8;
        border-color: #9aa3b2;
      }
      .verdict.pending .icon {
        background: #5b6270;
      }
      .verdict progress {
        width: 100%;
        margin-top: 0.35rem;
      }
      details.files summary {
        cursor: pointer;
        font-weight: 600;
      }
      a.download {
        color: #1d4ed8;
      }
    `,
  ];

  /** undefined while probing or when the page is not served by our Worker: render nothing. */
  @state() private models: ModelView[] | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const m of this.models ?? []) m.controller?.abort(new DOMException('The page left', 'AbortError'));
  }

  private async load(): Promise<void> {
    const names = await probe();
    // Tests and styles can tell "not served by our Worker" from "still asking".
    this.dataset.state = names?.length ? 'ready' : 'absent';
    if (!names?.length) return;
    this.models = names.map((name) => ({ name, running: false }));
    await Promise.all(
      this.models.map(async (m) => {
        this.patch(m.name, { edge: await edgeState(m.name) });
      }),
    );
    // The page opens on the demo: the browser checks it without being asked (no focus move: nobody asked).
    const first = names.includes(DEFAULT_MODEL) ? DEFAULT_MODEL : names[0]!;
    void this.verifyHere(first, false);
  }

  private view(name: string): ModelView | undefined {
    return this.models?.find((m) => m.name === name);
  }

  private patch(name: string, p: Partial<ModelView>): void {
    this.models = this.models?.map((m) => (m.name === name ? { ...m, ...p } : m));
  }

  /** The in-browser check: the gate's URLs, the model's public policy, core's verifyModel via runVerification. */
  private async verifyHere(name: string, byUser: boolean): Promise<void> {
    const current = this.view(name);
    if (!current || current.running) return;
    const ctrl = new AbortController();
    this.patch(name, {
      running: true,
      controller: ctrl,
      stage: 'Fetching the signature and the policy…',
      progress: undefined,
      browser: undefined,
      refusal: undefined,
    });
    const origin = location.origin;
    let report: VerificationReport;
    let source: HttpSource | undefined;
    try {
      source = new HttpSource(`${origin}/models/${encodeURIComponent(name)}/`, { name });
      const [bundle, policy] = await Promise.all([
        fetchBytes(`${origin}/models/${encodeURIComponent(name)}/model.sig`, 'signature', { signal: ctrl.signal }),
        publicPolicy(name, ctrl.signal),
      ]);
      report = await runVerification({
        source,
        bundle,
        policy,
        signal: ctrl.signal,
        onStage: (s) => this.patch(name, { stage: STAGE_TEXT[s] }),
        onProgress: (p) => this.patch(name, { progress: p }),
      });
    } catch (e) {
      report = reportFromError(e, name, false);
    }
    const refusal = await gateRefusal(name, report);
    this.patch(name, { running: false, controller: undefined, browser: report, progress: undefined, refusal });
    if (byUser) {
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>(`[data-model="${CSS.escape(name)}"] [data-where="browser"]`)?.focus();
    }
  }

  private cancel(name: string): void {
    this.view(name)?.controller?.abort(new DOMException('Cancelled by the user', 'AbortError'));
  }

  override render() {
    if (!this.models) return nothing;
    return html`
      <section aria-labelledby="edge-title">
        <h2 id="edge-title">Models published on this site</h2>
        <p class="intro">
          This site serves these models only through its verification gate. The edge verdict is the server's own check; "Verify in this browser" repeats it
          here, downloading exactly the signed files and checking them against the model's public policy.
        </p>
        ${this.models.map((m) => this.renderModel(m))}
      </section>
    `;
  }

  private renderModel(m: ModelView) {
    const id = `edge-model-${m.name}`;
    const files = m.edge?.resources.length ?? 0;
    return html`
      <article class="model" data-model=${m.name} aria-labelledby=${id}>
        <h3 id=${id}>Model <code>${m.name}</code></h3>
        <div class="pair">${this.edgeVerdict(m)} ${this.browserVerdict(m)}</div>
        <div class="actions">
          ${
            m.running
              ? html`<button type="button" class="secondary" @click=${() => this.cancel(m.name)} aria-describedby=${id}>Cancel</button>`
              : html`<button type="button" class="${m.browser ? 'secondary' : 'primary'}" @click=${() => this.verifyHere(m.name, true)} aria-describedby=${id}>
                ${m.browser ? 'Verify again in this browser' : 'Verify in this browser'}
              </button>`
          }
          <a class="download small" href="/models/${encodeURIComponent(m.name)}/model.sig" download>Signature (model.sig)</a>
        </div>
        ${
          files
            ? html`<details class="files">
              <summary>Files checked at the edge (${m.edge!.resources.filter((r) => r.status === 'ok').length} of ${files} match)</summary>
              ${fileTable(m.edge!)}
            </details>`
            : nothing
        }
        ${
          m.browser?.resources.length
            ? html`<details class="files">
              <summary>Files checked in this browser (${m.browser.resources.filter((r) => r.status === 'ok').length} of ${m.browser.resources.length} match)</summary>
              ${fileTable(m.browser)}
            </details>`
            : nothing
        }
      </article>
    `;
  }

  private edgeVerdict(m: ModelView) {
    const e = m.edge;
    if (!e) return verdictBox('edge', 'pending', 'At the edge', 'Asking the server…', '');
    if (e.verified) {
      return verdictBox('edge', 'ok', 'At the edge', html`Verified at the edge — signed by <strong>${signerLabel(e)}</strong>`, countLine(e));
    }
    const by = e.signer ? ` · the signature itself is valid, by ${signerLabel(e)}` : '';
    return verdictBox('edge', 'fail', 'At the edge', html`Failed at the edge — ${failureHeadline(e)}`, `${e.errors[0]?.message ?? ''}${by}`);
  }

  private browserVerdict(m: ModelView) {
    if (m.running) {
      const p = m.progress;
      const pct = p && p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 0;
      return verdictBox(
        'browser',
        'pending',
        'In this browser',
        html`Verifying in this browser…`,
        html`${m.stage}${p ? ` ${pct}% · ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : ''}
          <progress max=${p?.bytesTotal || 1} .value=${p?.bytesDone ?? 0} aria-label="Bytes verified in this browser"></progress>`,
      );
    }
    const r = m.browser;
    if (!r) return verdictBox('browser', 'pending', 'In this browser', 'Not yet verified in this browser', 'Nothing has been downloaded yet.');
    if (r.verified) {
      return verdictBox(
        'browser',
        'ok',
        'In this browser',
        html`Verified in this browser — signed by <strong>${signerLabel(r)}</strong>`,
        `${countLine(r)} · ${formatBytes(r.bytesHashed)} hashed in ${(r.millis / 1000).toFixed(2)} s`,
      );
    }
    const g = m.refusal;
    if (g) {
      return verdictBox(
        'browser',
        'fail',
        'In this browser',
        html`Failed in this browser — the gate refused <strong>${g.resource}</strong> (${g.code})`,
        g.message,
      );
    }
    return verdictBox('browser', 'fail', 'In this browser', html`Failed in this browser — ${failureHeadline(r)}`, r.errors[0]?.message ?? '');
  }
}

type Kind = 'ok' | 'fail' | 'pending';
const ICON: Record<Kind, string> = { ok: '✓', fail: '✗', pending: '…' };
const VERDICT: Record<Kind, string> = { ok: 'verified', fail: 'failed', pending: 'pending' };

/** One verdict: icon, words and colour together (colour is never the only signal). */
function verdictBox(where: 'edge' | 'browser', kind: Kind, label: string, headline: unknown, sub: unknown) {
  return html`<div class="verdict ${kind}" data-where=${where} data-verdict=${VERDICT[kind]} role="status" tabindex="-1">
    <span class="icon" aria-hidden="true">${ICON[kind]}</span>
    <div>
      <p class="where">${label}</p>
      <p class="headline">${headline}</p>
      ${sub ? html`<p class="sub small">${sub}</p>` : nothing}
    </div>
  </div>`;
}

function countLine(r: VerificationReport): string {
  const n = r.resources.filter((x) => x.status === 'ok').length;
  return `${n} of ${r.resources.length} file${r.resources.length === 1 ? '' : 's'} match the signature`;
}

/** Our Worker answers `{models: string[]}` as JSON; anything else (an HTML fallback, a 404) means "not here". */
async function probe(): Promise<string[] | undefined> {
  try {
    const r = await fetch('/api/v1/models', { headers: { accept: 'application/json' } });
    if (!r.ok || !/^application\/json\b/.test(r.headers.get('content-type') ?? '')) return undefined;
    const body: unknown = await r.json();
    const models = (body as { models?: unknown })?.models;
    if (!Array.isArray(models) || !models.every((m) => typeof m === 'string')) return undefined;
    return models as string[];
  } catch {
    return undefined;
  }
}

/** The edge verdict; an API error (`{error: {code, message}}`) or an unreachable server is a failed state. */
async function edgeState(name: string): Promise<EdgeState> {
  try {
    const r = await fetch(`/api/v1/models/${encodeURIComponent(name)}`, { headers: { accept: 'application/json' } });
    const body = (await r.json()) as Partial<EdgeState> & { error?: { code: ErrorCode; message: string } };
    if (!r.ok || body.error || typeof body.verified !== 'boolean' || !Array.isArray(body.resources) || !Array.isArray(body.errors)) {
      const err = body.error ?? { code: 'IO_ERROR' as ErrorCode, message: `The server answered HTTP ${r.status}` };
      return reportFromError(new ModelVerifyError(err.code, err.message), name, false);
    }
    return { warnings: [], ...body } as EdgeState;
  } catch (e) {
    return reportFromError(e, name, false);
  }
}

/**
 * A download the browser could not read (IO_ERROR on a file) is, on our site, usually the gate refusing it: ask
 * once more for the reason (a 403 carries `{error: {code, message}}`, never model bytes). Shown as the gate's
 * word, beside the browser's own verdict, which stays failed either way.
 */
async function gateRefusal(name: string, r: VerificationReport): Promise<ModelView['refusal']> {
  const e = r.errors[0];
  if (r.verified || e?.code !== 'IO_ERROR' || !e.resource) return undefined;
  try {
    const res = await fetch(`/models/${encodeURIComponent(name)}/${e.resource.split('/').map(encodeURIComponent).join('/')}`, {
      headers: { range: 'bytes=0-0' },
    });
    if (res.status !== 403) return undefined;
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof body.error?.code === 'string' ? body.error.code : res.headers.get('x-error-code');
    const message = typeof body.error?.message === 'string' ? body.error.message : e.message;
    return code ? { resource: e.resource, code, message } : undefined;
  } catch {
    return undefined;
  }
}

/** The public policy the edge enforces, as core's Policy (the API keeps a certificate chain as a list). */
async function publicPolicy(name: string, signal: AbortSignal) {
  const r = await fetch(`/api/v1/models/${encodeURIComponent(name)}/policy`, { signal, headers: { accept: 'application/json' } });
  const body = (await r.json().catch(() => null)) as { policy?: Record<string, unknown>; error?: { message?: string } } | null;
  const p = body?.policy;
  if (!r.ok || !p) throw new ModelVerifyError('POLICY_INVALID', `No public policy for '${name}': ${body?.error?.message ?? `HTTP ${r.status}`}`);
  const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
  const chain = p.certificateChain;
  return buildPolicy({
    method: (str('method') ?? '') as 'key' | 'certificate' | 'sigstore' | '',
    identity: str('identity'),
    identityRegexp: str('identityRegexp'),
    issuer: str('issuer'),
    publicKey: str('publicKey'),
    keyName: str('keyName'),
    certificateChain: Array.isArray(chain) ? chain.filter((c) => typeof c === 'string').join('\n') : str('certificateChain'),
    // Passed as served: parsePolicy refuses malformed claims rather than letting the browser check less than the edge.
    claims: p.claims,
  });
}

declare global {
  interface HTMLElementTagNameMap {
    'mv-edge-models': MvEdgeModels;
  }
}
