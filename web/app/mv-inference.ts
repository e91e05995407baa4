/**
 * The "Verified inference" page (#infer): the demo PP-OCRv4 text detector, published by this site's Worker under
 * /models/demo/, loaded through createVerifiedFetch and run with ONNX Runtime Web on a sample image drawn here;
 * the detected text regions are shown next to the verdict. "Tampered copy" flips one byte of the model as it
 * downloads (a compromised server or CDN, via the `fetch` option): the refusal is shown instead of a result, and
 * the runtime never receives the bytes. A chunk of its own, imported when the page is first shown; ONNX Runtime
 * Web itself is imported from `ortBase` only when a run starts: the build copies onnxruntime-web's own files (the
 * pinned dev dependency) to dist/app/ort/ (vite.config.ts ortRuntime), outside the precached assets.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { createVerifiedFetch, isModelVerifyError, type Policy } from '../../core/index.js';
import { buildPolicy } from '../verify-run.js';
import { appStyles } from './styles.js';

/** Default runtime location: ort/ beside the app's assets (same origin: no third-party code is ever loaded). */
export const DEFAULT_ORT_BASE = new URL('../ort/', import.meta.url).href;
export const DEMO_FILE = 'ch_PP-OCRv4_det_infer.onnx';
const W = 320;
const H = 96;

interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}
interface OrtModule {
  env: { wasm: { wasmPaths: string; numThreads: number } };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(
      bytes: Uint8Array,
      opts: { executionProviders: string[] },
    ): Promise<{
      inputNames: string[];
      outputNames: string[];
      run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
    }>;
  };
}

type Outcome =
  | { kind: 'result'; signer: string; bytes: number; millis: number; textShare: number; boxes: number }
  | { kind: 'refused'; code: string; resource?: string; message: string };

/** A fetch that flips one byte in the middle of the model file: what a compromised server would send. */
function tamperingFetch(): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!new Request(input, init).url.endsWith(`/${DEMO_FILE}`)) return res;
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > 0) bytes[bytes.length >> 1]! ^= 1;
    return new Response(bytes, { status: res.status, headers: res.headers });
  };
}

/** The demo model's public policy, as the Worker serves it (`GET /api/v1/models/demo/policy`). */
async function demoPolicy(): Promise<Policy> {
  const r = await fetch('/api/v1/models/demo/policy', { headers: { accept: 'application/json' } });
  const body = (await r.json().catch(() => null)) as { policy?: { method?: string; publicKey?: string; keyName?: string } } | null;
  if (!r.ok || body?.policy?.method !== 'key') throw new Error('This page needs the demo model published by the Worker (npm start)');
  return buildPolicy({ method: 'key', publicKey: body.policy.publicKey, keyName: body.policy.keyName });
}

/** Dark text on white, and its normalised [1, 3, H, W] tensor data (ImageNet mean and std, as PP-OCR expects). */
function sample(canvas: HTMLCanvasElement): Float32Array {
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  g.fillStyle = '#111';
  g.font = 'bold 34px sans-serif';
  g.fillText('model-verify', 16, 60);
  const px = g.getImageData(0, 0, W, H).data;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const out = new Float32Array(3 * W * H);
  for (let c = 0; c < 3; c++) for (let i = 0; i < W * H; i++) out[c * W * H + i] = (px[i * 4 + c]! / 255 - mean[c]!) / std[c]!;
  return out;
}

/** Paints the detector's text probability over the sample; returns the share of text pixels and their row bands. */
function overlay(canvas: HTMLCanvasElement, prob: Float32Array): { share: number; boxes: number } {
  const g = canvas.getContext('2d')!;
  const img = g.getImageData(0, 0, W, H);
  let text = 0;
  const rows: boolean[] = [];
  for (let y = 0; y < H; y++) {
    let any = false;
    for (let x = 0; x < W; x++) {
      if (prob[y * W + x]! > 0.3) {
        text++;
        any = true;
        const i = (y * W + x) * 4;
        img.data[i] = 21;
        img.data[i + 1] = Math.min(255, img.data[i + 1]! + 90);
        img.data[i + 2] = 61;
      }
    }
    rows.push(any);
  }
  g.putImageData(img, 0, 0);
  const boxes = rows.filter((r, i) => r && !rows[i - 1]).length;
  return { share: text / (W * H), boxes };
}

@customElement('mv-inference')
export class MvInference extends LitElement {
  static override styles = [
    appStyles,
    css`
      .pair {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem;
        align-items: flex-start;
      }
      canvas {
        border: 1px solid #8886;
        max-width: 100%;
      }
      .verdict.ok {
        color: #15803d;
      }
      .verdict.bad {
        color: #b91c1c;
      }
    `,
  ];

  /** Where onnxruntime-web's files are (ort.wasm.min.mjs and its wasm). */
  @property({ attribute: 'ort-base' }) ortBase = DEFAULT_ORT_BASE;
  @state() private tampered = false;
  @state() private running = false;
  @state() private outcome: Outcome | undefined;
  @state() private error = '';

  private async run(): Promise<void> {
    this.running = true;
    this.outcome = undefined;
    this.error = '';
    const canvas = this.renderRoot.querySelector('canvas')!;
    const base = new URL('/models/demo/', location.href).href;
    try {
      const t0 = performance.now();
      const verified = createVerifiedFetch({
        baseUrl: base,
        signature: 'model.sig',
        policy: await demoPolicy(),
        ...(this.tampered ? { fetch: tamperingFetch() } : {}),
      });
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await (await verified(new URL(DEMO_FILE, base))).arrayBuffer());
      } catch (e) {
        if (!isModelVerifyError(e)) throw e;
        this.outcome = { kind: 'refused', code: e.code, message: e.message, ...(e.resource ? { resource: e.resource } : {}) };
        return;
      }
      const sig = await verified.signature;
      const ort = (await import(/* @vite-ignore */ `${this.ortBase}ort.wasm.min.mjs`)) as OrtModule;
      ort.env.wasm.wasmPaths = this.ortBase;
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const input = new ort.Tensor('float32', sample(canvas), [1, 3, H, W]);
      const out = await session.run({ [session.inputNames[0]!]: input });
      const { share, boxes } = overlay(canvas, out[session.outputNames[0]!]!.data);
      const signer = sig.signer.method === 'key' ? (sig.signer.keyName ?? `the key ${sig.signer.keyHint.slice(0, 16)}…`) : sig.signer.method;
      this.outcome = { kind: 'result', signer, bytes: bytes.length, millis: performance.now() - t0, textShare: share, boxes };
    } catch (e) {
      this.error = (e as Error)?.message ?? String(e);
    } finally {
      this.running = false;
    }
  }

  override render() {
    const o = this.outcome;
    return html`
      <section aria-labelledby="infer-title">
        <h2 id="infer-title">Verified inference</h2>
        <p>
          The demo PP-OCRv4 text detector is downloaded through <code>createVerifiedFetch</code>: ONNX Runtime Web
          receives its bytes only once they match the signature. Then it finds the text in the sample below.
        </p>
        <label><input type="checkbox" .checked=${this.tampered} @change=${(e: Event) => (this.tampered = (e.target as HTMLInputElement).checked)} ?disabled=${this.running} />
          Load a tampered copy (one byte flipped, as a compromised server would send)</label>
        <p><button type="button" class="primary" @click=${() => this.run()} ?disabled=${this.running}>${this.running ? 'Running…' : 'Run the model'}</button></p>
        <div class="pair">
          <canvas width=${W} height=${H} aria-label="Sample image; detected text is highlighted after a run"></canvas>
          <div role="status" aria-live="polite" data-outcome=${o?.kind ?? nothing}>
            ${
              o?.kind === 'result'
                ? html`<p class="verdict ok"><strong>Verified</strong>: signed by ${o.signer}; ${(o.bytes / 1e6).toFixed(1)} MB.</p>
                    <p>Result: text found in ${o.boxes} region${o.boxes === 1 ? '' : 's'} (${(o.textShare * 100).toFixed(1)} % of the image), in ${(o.millis / 1000).toFixed(1)} s.</p>`
                : nothing
            }
            ${
              o?.kind === 'refused'
                ? html`<p class="verdict bad"><strong>Refused</strong>: <code data-code>${o.code}</code>${o.resource ? html` for <code>${o.resource}</code>` : nothing}.</p>
                    <p>${o.message}. The model never reached ONNX Runtime, so there is no result.</p>`
                : nothing
            }
            ${this.error ? html`<p role="alert">${this.error}</p>` : nothing}
          </div>
        </div>
      </section>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'mv-inference': MvInference;
  }
}
