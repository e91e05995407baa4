/**
 * The app: the verify page (this element) and the Sign page (<mv-sign>), chosen by the URL hash (#sign).
 * The verify page: pick or drop a model (folder, files, or a URL), its signature and a policy; see the verdict,
 * every file's status and who signed. All checking happens in core's verifyModel, in this tab: no file leaves
 * the computer.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { ModelVerifyError, inspectSignature, isModelVerifyError, type ErrorCode, type SignatureInspection } from '../../core/index.js';
import { HttpSource, fetchBytes } from '../../core/sources/index.js';
import type { ModelSource } from '../../core/serialize/index.js';
import { directoryPicker, droppedFiles, pickedFromHandle, pickedFromInput, type PickedFile } from '../../browser/file-source.js';
import { looksLikeSignature, prepareFiles, signatureInside } from '../model-input.js';
import { METHOD_WORDS, trySignatureInfo, type SignatureInfo } from '../signature-info.js';
import { claimLabel, fileTable, localTime, messages, progressPanel, reportStyles, row, signerPanel } from '../ui/report-parts.js';
import {
  buildPolicy,
  failureHeadline,
  formatBytes,
  parseIgnorePaths,
  reportFromError,
  runVerification,
  signerLabel,
  type LiveProgress,
  type Policy,
  type VerificationReport,
} from '../verify-run.js';
import type { MvSign } from './mv-sign.js';
import { appStyles } from './styles.js';
import { readShareLink, shareLink } from './share-link.js';
import { trustedRootFor } from '../trust-choice.js';
import { annotateHf, claimMismatchReport, hubClaim, isHfSpec, openHfModel, type OpenedHf } from '../hf-model.js';
import './mv-edge-models.js'; // published models and their edge verdict, only when served by our Worker

type Phase = 'idle' | 'running' | 'done';
/** The inputs a setup note can stand beside (each is the id of the input it describes). */
type NoteField =
  | 'model-folder'
  | 'signature-file'
  | 'model-url'
  | 'signature-url'
  | 'identity'
  | 'issuer'
  | 'public-key'
  | 'certificate-chain'
  | 'trusted-root';

/** A problem with what was given (missing, unreadable, unreachable): shown at its field, never as a verdict. */
class SetupProblem extends Error {
  override readonly name = 'SetupProblem';
  constructor(
    readonly field: NoteField,
    message: string,
  ) {
    super(message);
  }
}

/** `<base>/model.sig` for a folder URL, the sibling model.sig for a file URL; '' without a base. */
export function defaultSignatureUrl(base: string): string {
  const b = base.trim();
  if (!b) return '';
  try {
    const u = new URL(b);
    if (u.pathname.endsWith('/')) return new URL('model.sig', u).href;
    return /\.[^/.]+$/.test(u.pathname) ? new URL('model.sig', u).href : `${u.href}/model.sig`;
  } catch {
    return '';
  }
}

/** What a server must send for this page to read it (the browser hides the reason of a CORS refusal). */
function corsNote(what: string, url: string): string {
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    // not a URL: named as typed
  }
  return `Could not download the ${what} from ${origin}: the server is unreachable, or does not let this page read it. It must send the header Access-Control-Allow-Origin: ${location.origin} (or *); for a model in shards also Access-Control-Allow-Headers: Range and Access-Control-Expose-Headers: Content-Length, Content-Range.`;
}
/** `oci://…` (web/oci-model.ts opens it; loaded on use, like the registry client it brings). */
const isOciSpec = (s: string) => /^oci:\/\//i.test(s.trim());
type Page = 'verify' | 'sign' | 'infer';
const pageFromHash = (): Page => (/^#\/?sign\b/.test(location.hash) ? 'sign' : /^#\/?infer\b/.test(location.hash) ? 'infer' : 'verify');
const TITLES: Record<Page, string> = {
  verify: 'model-verify — check a signed ML model in your browser',
  sign: 'model-verify — sign an ML model in your browser',
  infer: 'model-verify — verified inference in your browser',
};
const STAGE_TEXT = { signature: 'Checking the signature…', hashing: 'Hashing the model files…', compare: 'Comparing digests…' } as const;

@customElement('mv-app')
export class MvApp extends LitElement {
  static override styles = [reportStyles, appStyles];

  @state() private mode: 'files' | 'url' = 'files';
  @state() private picked: PickedFile[] = [];
  @state() private pickedLabel = '';
  @state() private signatureFile: File | undefined;
  @state() private modelUrl = '';
  @state() private signatureUrl = '';
  /** A Hub token the user typed, for gated or private `org/model` repositories (kept in memory only). */
  @state() private hubToken = '';
  /** The Hub repository of the current run and its claim (annotated into the report). */
  private hfRun: { opened: OpenedHf; claim: Awaited<ReturnType<typeof hubClaim>> } | undefined;
  @state() private method: Policy['method'] = 'sigstore';
  @state() private identity = '';
  @state() private identityRegexp = '';
  @state() private issuer = '';
  @state() private trustedRootFile: File | undefined;
  /** Where a keyless signature's trust root comes from (web/trust-choice.ts): TUF, the built-in snapshot, or a file. */
  @state() private trustSource: 'tuf' | 'embedded' | 'file' = 'tuf';
  @state() private publicKey = '';
  /** The key file's name, shown instead of the fingerprint (cleared when the key is typed or pasted). */
  @state() private publicKeyName = '';
  @state() private certificateChain = '';
  @state() private ignoreText = '';
  @state() private ignoreUnsigned = false;
  @state() private phase: Phase = 'idle';
  @state() private stage = '';
  @state() private progress: LiveProgress | undefined;
  @state() private report: VerificationReport | undefined;
  @state() private dragging = false;
  @state() private copied = '';
  @state() private page: Page = pageFromHash();
  /** What the chosen signature says about itself (its method), read as soon as it is chosen. */
  @state() private signatureInfo: SignatureInfo | undefined;
  /** Who the chosen signature claims as its signer (core's inspectSignature: every check that needs no policy). */
  @state() private inspection: SignatureInspection | undefined;
  /** Why inspecting the chosen signature failed (its own checks, before any policy), or ''. */
  @state() private inspectError = '';
  /** The chosen signature is being read (the policy part is aria-busy until then). */
  @state() private readingSignature = false;
  /** Setup problems, each shown next to its field. */
  @state() private notes: Partial<Record<NoteField, string>> = {};
  private signatureToken = 0;
  /** The chosen signature's bytes, kept to inspect it again when the trust root changes. */
  private signatureBytes: Uint8Array | undefined;

  /** One Sign page for the app's lifetime, so its inputs survive switching pages (keys stay in its memory). */
  @state() private signPage: MvSign | undefined;
  @state() private signLoadError = '';
  private signLoading = false;
  private readonly onHash = () => {
    this.page = pageFromHash();
    document.title = TITLES[this.page];
    if (this.page === 'sign') this.loadSignPage();
    // The Verified inference page is a chunk of its own, imported on first visit.
    else if (this.page === 'infer') void import('./mv-inference.js').catch(() => {});
    else this.openShareLink();
  };

  /** A `#verify?…` link (share-link.ts): its settings fill the form, then the check runs here. */
  private openShareLink(): void {
    const f = readShareLink(location.hash);
    if (!f || this.phase === 'running') return;
    this.mode = 'url';
    this.modelUrl = f.modelUrl ?? '';
    this.signatureUrl = f.signatureUrl ?? '';
    this.method = f.method ?? this.method;
    this.identity = f.identity ?? '';
    this.identityRegexp = f.identityRegexp ?? '';
    this.issuer = f.issuer ?? '';
    this.publicKey = f.publicKey ?? '';
    this.publicKeyName = f.publicKeyName ?? '';
    this.certificateChain = f.certificateChain ?? '';
    this.ignoreText = f.ignoreText ?? '';
    this.ignoreUnsigned = !!f.ignoreUnsigned;
    this.report = undefined;
    void this.updateComplete.then(() => this.onSubmit(new Event('submit')));
  }

  private async copyShareLink(): Promise<void> {
    const { href, omitted } = shareLink(location.href, {
      modelUrl: this.modelUrl,
      signatureUrl: this.signatureUrl,
      method: this.method,
      identity: this.identity,
      identityRegexp: this.identityRegexp,
      issuer: this.issuer,
      publicKey: this.publicKey,
      publicKeyName: this.publicKeyName,
      certificateChain: this.certificateChain,
      ignoreText: this.ignoreText,
      ignoreUnsigned: this.ignoreUnsigned,
    });
    const left = omitted.length ? ` (${omitted.join(' and ')} left out: too long for a link)` : '';
    try {
      await navigator.clipboard.writeText(href);
      this.copied = `Link copied${left}: it carries these settings, and whoever opens it runs the check again`;
    } catch {
      this.copied = `Copy this link${left}: ${href}`;
    }
  }

  /**
   * The Sign page is a chunk of its own, imported when first shown: key handling, the Fulcio/Rekor/TSA clients
   * and X.509 are most of the app's code, and the verify page (what most visits are) needs none of it.
   */
  private loadSignPage(): void {
    if (this.signPage || this.signLoading) return;
    this.signLoading = true;
    this.signLoadError = '';
    import('./mv-sign.js').then(
      ({ MvSign }) => {
        this.signPage = new MvSign();
      },
      (e: unknown) => {
        // Offline before the chunk was ever cached, or a deploy replaced it: say so; the next visit to #sign retries.
        this.signLoadError = (e as Error)?.message ?? String(e);
        this.signLoading = false;
      },
    );
  }

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this.onHash);
    this.onHash();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.urlTimer);
    removeEventListener('hashchange', this.onHash);
  }

  @query('#verdict') private verdictEl?: HTMLElement;

  private controller: AbortController | undefined;
  private times = new Map<string, number>();

  // ---- model and signature input ------------------------------------------------------------------

  private setPicked(files: PickedFile[], label: string): void {
    this.picked = files;
    this.pickedLabel = label;
    this.report = undefined;
    this.clearNote('model-folder');
    void this.readChosenSignature();
  }

  private setNote(field: NoteField, text: string): void {
    this.notes = { ...this.notes, [field]: text };
  }

  private clearNote(field: NoteField): void {
    if (!(field in this.notes)) return;
    const { [field]: _, ...rest } = this.notes;
    this.notes = rest;
  }

  /**
   * Reads the signature as soon as one is chosen — the picked file, or the one inside the folder — and takes its
   * method from it, so the policy part asks only for what that method needs.
   */
  private async readChosenSignature(): Promise<void> {
    const inside = this.signatureFile ? undefined : signatureInside(this.picked);
    const blob = this.signatureFile ?? inside?.file;
    const from = this.signatureFile?.name ?? inside?.name ?? '';
    await this.takeSignature(blob ? async () => new Uint8Array(await blob.arrayBuffer()) : undefined, from, 'signature-file');
  }

  /** URL mode: fetches the signature (the typed URL or `<base>/model.sig`) to read its method. */
  private async readUrlSignature(): Promise<void> {
    if (this.mode !== 'url') return;
    if (isHfSpec(this.modelUrl, true)) {
      const spec = this.modelUrl.trim();
      return void (await this.takeSignature(
        async () => {
          try {
            return (await this.openHf()).bundle;
          } catch (e) {
            throw new SetupProblem('model-url', (e as Error)?.message ?? String(e));
          }
        },
        spec,
        'signature-url',
      ));
    }
    const url = this.effectiveSignatureUrl();
    if (!url) return void (await this.takeSignature(undefined, '', 'signature-url'));
    await this.takeSignature(
      async () => {
        try {
          return await fetchBytes(url, 'signature');
        } catch (e) {
          throw new SetupProblem('signature-url', corsOrMessage(e, 'signature', url));
        }
      },
      url,
      'signature-url',
    );
  }

  private async takeSignature(read: (() => Promise<Uint8Array>) | undefined, from: string, field: NoteField): Promise<void> {
    const token = ++this.signatureToken;
    this.clearNote(field);
    this.inspection = undefined;
    this.inspectError = '';
    if (!read) {
      this.signatureInfo = undefined;
      this.readingSignature = false;
      return;
    }
    this.readingSignature = true;
    try {
      await this.readSignature(read, from, field, token);
    } finally {
      if (token === this.signatureToken) this.readingSignature = false;
    }
  }

  private async readSignature(read: () => Promise<Uint8Array>, from: string, field: NoteField, token: number): Promise<void> {
    let result: ReturnType<typeof trySignatureInfo>;
    let bytes: Uint8Array;
    try {
      bytes = await read();
      result = trySignatureInfo(bytes, from);
    } catch (e) {
      if (token !== this.signatureToken) return;
      this.signatureInfo = undefined;
      this.setNote(field, e instanceof SetupProblem ? e.message : `The signature could not be read: ${(e as Error)?.message ?? e}`);
      return;
    }
    if (token !== this.signatureToken) return;
    if ('error' in result) {
      this.signatureInfo = undefined;
      this.setNote(field, `${from} is not a model signature this page can read (${result.error.message}). Choose the model.sig file.`);
      return;
    }
    this.signatureInfo = result.info;
    this.method = result.info.method;
    this.signatureBytes = bytes;
    await this.inspect(bytes, token);
  }

  /** The trust root changed: who the signature claims is checked again against it. */
  private async reinspect(): Promise<void> {
    if (!this.signatureBytes || this.method !== 'sigstore') return;
    this.inspection = undefined;
    this.inspectError = '';
    await this.inspect(this.signatureBytes, this.signatureToken);
  }

  /** The trustedRoot option for a keyless check, as the Trust root choice says (undefined = built in). */
  private async chosenTrustedRoot(): Promise<unknown> {
    if (this.trustSource === 'embedded') return undefined;
    if (this.trustSource === 'file') {
      if (!this.trustedRootFile) throw new ModelVerifyError('INPUT_MISSING', 'Choose the trusted_root.json file, or another trust root above');
      return parseTrustedRoot(await this.trustedRootFile.text());
    }
    return trustedRootFor('tuf');
  }

  private trustNote(e: unknown): string {
    const err = e instanceof ModelVerifyError ? e : undefined;
    if (err?.code === 'TUF_UNAVAILABLE')
      return `The Sigstore trust root could not be refreshed (${err.message}). Offline? Choose "Built into this page" to check against the snapshot this page ships.`;
    if (err?.code === 'TUF_INVALID') return `The Sigstore trust root failed TUF verification and was not used [TUF_INVALID]: ${err.message}`;
    return (e as Error)?.message ?? String(e);
  }

  /** Runs core's inspectSignature on the chosen signature to show who claims to have signed it. */
  private async inspect(bytes: Uint8Array, token: number): Promise<void> {
    try {
      let trustedRoot: unknown;
      try {
        trustedRoot = this.method === 'sigstore' ? await this.chosenTrustedRoot() : undefined;
      } catch (e) {
        // Only to show who claims to have signed (no verdict): the built-in root stands in, and the trust field
        // says why — verification itself never falls back.
        if (token === this.signatureToken) this.setNote('trusted-root', this.trustNote(e));
      }
      const inspection = await inspectSignature(bytes, trustedRoot !== undefined ? { trustedRoot } : {});
      if (token === this.signatureToken) this.inspection = inspection;
    } catch (e) {
      if (token !== this.signatureToken) return;
      // A build without Sigstore cannot inspect a keyless signature: that is no finding about the signature.
      this.inspectError =
        isModelVerifyError(e) && e.code === 'UNSUPPORTED'
          ? `Who signed it cannot be shown in this build (${e.message}).`
          : `This signature does not check out on its own: ${(e as Error)?.message ?? String(e)}`;
    }
  }

  /** "Require this signer": the claimed identity and issuer become the policy (the user still runs Verify). */
  private requireClaimedSigner(): void {
    const s = this.inspection?.signer;
    if (s?.method !== 'sigstore') return;
    this.identity = s.identity;
    this.identityRegexp = '';
    this.issuer = s.issuer;
    this.clearNote('identity');
    this.clearNote('issuer');
  }

  private urlTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Reads the URL's signature once typing pauses (not on blur: a note appearing as the user clicks Verify would
   * move the button away from the click). The policy part is busy from the first keystroke.
   */
  private scheduleUrlSignature(): void {
    clearTimeout(this.urlTimer);
    this.readingSignature = true;
    this.urlTimer = setTimeout(() => void this.readUrlSignature(), 400);
  }

  /** Read through a method: TypeScript would keep the field narrowed to what onSubmit set before its awaits. */
  private currentHf() {
    return this.hfRun;
  }

  /** `org/model[@rev]` (or `hf://…`) typed as the model: the repository at its commit, its signature. */
  private openHf(signal?: AbortSignal): Promise<OpenedHf> {
    return openHfModel(this.modelUrl.trim(), this.signatureUrl.trim(), {
      ...(this.hubToken.trim() ? { token: this.hubToken.trim() } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  private effectiveSignatureUrl(): string {
    // A registry has no standard place for a signature: an oci:// image needs its URL given.
    if (isOciSpec(this.modelUrl)) return this.signatureUrl.trim();
    return this.signatureUrl.trim() || defaultSignatureUrl(this.modelUrl);
  }

  private summarize(files: readonly PickedFile[]): string {
    const bytes = files.reduce((n, f) => n + f.file.size, 0);
    const top = files[0]?.path.includes('/') ? files[0].path.split('/')[0] : undefined;
    return `${top ? `${top}: ` : ''}${files.length} file${files.length === 1 ? '' : 's'}, ${formatBytes(bytes)}`;
  }

  private onFolderInput(e: Event): void {
    const input = e.target as HTMLInputElement;
    if (!input.files?.length) return;
    const picked = pickedFromInput(input.files);
    this.setPicked(picked, this.summarize(picked));
  }

  private onFilesInput(e: Event): void {
    const input = e.target as HTMLInputElement;
    if (!input.files?.length) return;
    const all = pickedFromInput(input.files);
    // A signature picked together with loose model files is the signature, not part of the model.
    const sig = all.length > 1 ? all.find((p) => looksLikeSignature(p.path)) : undefined;
    if (sig) this.signatureFile = sig.file as File;
    const model = all.filter((p) => p !== sig);
    this.setPicked(model, this.summarize(model)); // reads the signature too
  }

  private async onOpenFolder(): Promise<void> {
    const pick = directoryPicker();
    if (!pick) return;
    try {
      const handle = await pick();
      const picked = await pickedFromHandle(handle);
      this.setPicked(picked, this.summarize(picked));
    } catch (e) {
      if ((e as Error)?.name !== 'AbortError') this.report = reportFromError(e);
    }
  }

  private onSignatureInput(e: Event): void {
    this.signatureFile = (e.target as HTMLInputElement).files?.[0];
    this.report = undefined;
    void this.readChosenSignature();
  }

  private async readTextInput(e: Event): Promise<string> {
    const f = (e.target as HTMLInputElement).files?.[0];
    return f ? await f.text() : '';
  }

  private onDragOver(e: DragEvent): void {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  }

  private async onDrop(e: DragEvent): Promise<void> {
    e.preventDefault();
    this.dragging = false;
    if (!e.dataTransfer) return;
    const dropped = droppedFiles(e.dataTransfer); // synchronously, before the DataTransfer empties
    try {
      const { folders, loose } = await dropped;
      const sigs = loose.filter((p) => looksLikeSignature(p.path));
      const others = loose.filter((p) => !looksLikeSignature(p.path));
      if (sigs.length === 1 && (folders.length > 0 || others.length > 0 || this.picked.length > 0)) this.signatureFile = sigs[0]!.file as File;
      const model = folders[0] ?? (others.length > 0 ? others : sigs.length === 1 && this.picked.length > 0 ? undefined : loose);
      if (model?.length) this.setPicked(model, this.summarize(model));
      else void this.readChosenSignature();
      this.mode = 'files';
    } catch (err) {
      this.report = reportFromError(err);
    }
  }

  // ---- running ------------------------------------------------------------------------------------

  /** The policy fields the detected (or chosen) method needs, each missing one noted at its field. */
  private missingPolicyFields(): Partial<Record<NoteField, string>> {
    const missing: Partial<Record<NoteField, string>> = {};
    if (this.method === 'sigstore') {
      if (!this.identity.trim() && !this.identityRegexp.trim()) missing.identity = 'Give who must have signed it: their email or URI (or a pattern below).';
      if (!this.issuer.trim()) missing.issuer = 'Give the service that vouched for that identity (its issuer URL).';
    } else if (this.method === 'key' && !this.publicKey.trim()) {
      missing['public-key'] = "Give the signer's public key (paste it or load the .pem file).";
    } else if (this.method === 'certificate' && !this.certificateChain.trim()) {
      missing['certificate-chain'] = 'Give the CA certificate(s) you trust (paste them or load the .pem file).';
    }
    return missing;
  }

  /** The field a policy error from core's parsePolicy is about, by the field name it quotes. */
  private policyField(message: string): NoteField {
    if (this.method === 'key') return 'public-key';
    if (this.method === 'certificate') return 'certificate-chain';
    return /issuer/i.test(message) ? 'issuer' : 'identity';
  }

  private async onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.phase === 'running') return;
    this.notes = {};
    this.report = undefined;
    this.hfRun = undefined;
    let setup: { policy: Policy; ignorePaths: string[]; source: ModelSource; bundle: Uint8Array; trustedRoot: unknown } | undefined;
    const ctrl = new AbortController();
    try {
      setup = await this.prepareRun(ctrl.signal);
    } catch (err) {
      if (err instanceof SetupProblem) {
        this.setNote(err.field, err.message);
        await this.updateComplete;
        (this.renderRoot.querySelector(`#${err.field}`) as HTMLElement | null)?.focus();
        return;
      }
      this.report = reportFromError(err);
      const hf = this.currentHf();
      if (hf?.claim?.status === 'mismatch') annotateHf(claimMismatchReport(this.report, hf.claim), hf.opened, hf.claim);
      this.phase = 'done';
      return;
    }
    this.controller = ctrl;
    this.phase = 'running';
    this.progress = undefined;
    this.stage = 'Preparing…';
    this.times = new Map();
    const seen = new Map<string, number>();
    const { source } = setup;
    let report: VerificationReport;
    try {
      report = await runVerification({
        source,
        bundle: setup.bundle,
        policy: setup.policy,
        ...(setup.trustedRoot !== undefined ? { trustedRoot: setup.trustedRoot } : {}),
        ignorePaths: setup.ignorePaths,
        ignoreUnsigned: this.ignoreUnsigned,
        signal: ctrl.signal,
        onStage: (s) => (this.stage = STAGE_TEXT[s]),
        onProgress: (p) => {
          this.progress = p;
          if (p.resource) {
            const now = performance.now();
            if (!seen.has(p.resource)) seen.set(p.resource, now);
            this.times.set(p.resource, (now - seen.get(p.resource)!) / 1000);
          }
        },
      });
    } catch (err) {
      report = reportFromError(err, source.name, source.listable);
    }
    const hfNow = this.currentHf();
    if (hfNow?.opened.source === source) annotateHf(report, hfNow.opened, hfNow.claim);
    if (this.controller !== ctrl) return;
    this.controller = undefined;
    this.phase = 'done';
    const note = this.setupNoteFor(report);
    if (note) this.setNote(note.field, note.text);
    else this.report = report;
  }

  /** Everything verification needs, or the SetupProblem that says which field to fix. */
  private async prepareRun(signal: AbortSignal) {
    const missing = this.missingPolicyFields();
    if (this.mode === 'files' && this.picked.length === 0) missing['model-folder'] = 'Choose the model folder (or its files) first.';
    if (this.mode === 'url' && !this.modelUrl.trim()) missing['model-url'] = 'Give the address of the model folder (or file).';
    const first = Object.keys(missing)[0] as NoteField | undefined;
    if (first) {
      this.notes = { ...missing };
      throw new SetupProblem(first, missing[first]!);
    }
    let policy: Policy;
    try {
      policy = buildPolicy({
        method: this.method,
        identity: this.identity,
        identityRegexp: this.identityRegexp,
        issuer: this.issuer,
        publicKey: this.publicKey,
        keyName: this.publicKeyName,
        certificateChain: this.certificateChain,
      });
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      throw new SetupProblem(this.policyField(message), message);
    }
    const ignorePaths = parseIgnorePaths(this.ignoreText);
    let source: ModelSource;
    let bundle: Uint8Array;
    let sigField: NoteField;
    if (this.mode === 'files') {
      sigField = 'signature-file';
      let prep: Awaited<ReturnType<typeof prepareFiles>>;
      try {
        prep = await prepareFiles(this.picked, this.signatureFile, ignorePaths);
      } catch (err) {
        if (isModelVerifyError(err) && err.code === 'INPUT_MISSING') throw new SetupProblem('signature-file', err.message);
        throw err;
      }
      source = prep.source;
      bundle = prep.bundle;
    } else if (isHfSpec(this.modelUrl, true)) {
      sigField = 'signature-url';
      let opened: OpenedHf;
      try {
        opened = await this.openHf(signal);
      } catch (err) {
        throw new SetupProblem('model-url', (err as Error)?.message ?? String(err));
      }
      source = opened.source;
      bundle = opened.bundle;
      if (opened.signatureInRepo) ignorePaths.push(opened.signatureInRepo);
      this.hfRun = { opened, claim: undefined };
    } else if (isOciSpec(this.modelUrl)) {
      sigField = 'signature-url';
      const url = this.effectiveSignatureUrl();
      if (!url) throw new SetupProblem('signature-url', 'Give the signature URL: a registry has no standard place for a signature.');
      const spec = this.modelUrl.trim();
      // http:// only to a registry on this machine (a local one has no TLS; anything else is https).
      const plainHttp = /^oci:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//i.test(spec);
      try {
        const oci = await (await import('../oci-model.js')).openOciModel(spec, url, { signal, ...(plainHttp ? { plainHttp } : {}) });
        source = oci.source;
        bundle = oci.bundle;
      } catch (err) {
        if (isModelVerifyError(err) && (err.code === 'HASH_MISMATCH' || err.code === 'BLOB_DIGEST_MISMATCH')) throw err;
        throw new SetupProblem('model-url', corsOrMessage(err, 'image', spec));
      }
    } else {
      sigField = 'signature-url';
      const url = this.effectiveSignatureUrl();
      source = new HttpSource(this.modelUrl.trim());
      try {
        bundle = await fetchBytes(url, 'signature', { signal });
      } catch (err) {
        throw new SetupProblem('signature-url', corsOrMessage(err, 'signature', url));
      }
    }
    const read = trySignatureInfo(bundle, '');
    if ('error' in read) throw new SetupProblem(sigField, `This is not a model signature this page can read: ${read.error.message}`);
    let trustedRoot: unknown;
    if (this.method === 'sigstore') {
      try {
        trustedRoot = await this.chosenTrustedRoot();
      } catch (err) {
        throw new SetupProblem('trusted-root', this.trustNote(err));
      }
    }
    if (this.hfRun?.opened.source === source) {
      // The Hub's own digests against the signature, before anything is downloaded.
      this.hfRun.claim = await hubClaim(this.hfRun.opened, policy, trustedRoot);
      if (this.hfRun.claim?.status === 'mismatch') throw new ModelVerifyError('HASH_MISMATCH', this.hfRun.claim.summary);
    }
    return { policy, ignorePaths, source, bundle, trustedRoot };
  }

  /** A finished run that failed on a setup problem (an unreadable key, a server that refuses CORS) is a note, not a verdict. */
  private setupNoteFor(r: VerificationReport): { field: NoteField; text: string } | undefined {
    const e = r.errors[0];
    if (r.verified || !e || r.resources.some((x) => x.status === 'ok')) return undefined;
    if (e.code === 'KEY_MALFORMED' || e.code === 'KEY_UNSUPPORTED') return { field: 'public-key', text: e.message };
    if (e.code === 'TRUST_ROOT_INVALID') return { field: 'trusted-root', text: e.message };
    if (this.mode === 'url' && e.code === 'IO_ERROR' && /cross-origin|CORS/.test(e.message))
      return { field: 'model-url', text: corsNote('model files', this.modelUrl.trim()) };
    return undefined;
  }

  private cancel(): void {
    this.controller?.abort(new DOMException('Cancelled by the user', 'AbortError'));
  }

  protected override updated(changed: PropertyValues<this>): void {
    // Move focus to the verdict so keyboard and screen-reader users land on the outcome.
    if (changed.has('report' as keyof MvApp) && this.report) this.verdictEl?.focus();
  }

  private async copyJson(): Promise<void> {
    if (!this.report) return;
    const text = JSON.stringify(this.report, null, 2);
    try {
      await navigator.clipboard.writeText(text);
      this.copied = 'Copied to the clipboard';
    } catch {
      const pre = this.renderRoot.querySelector('#json');
      if (pre) getSelection()?.selectAllChildren(pre);
      this.copied = 'Selected: press Ctrl+C to copy';
    }
  }

  // ---- rendering ----------------------------------------------------------------------------------

  override render() {
    const running = this.phase === 'running';
    return html`
      <header>
        <button type="button" class="skip" @click=${this.skipToMain}>Skip to the content</button>
        <h1>
          <svg class="logo" viewBox="0 0 16 16" aria-hidden="true"><path fill="#15803d" d="M8 0 1 3v5c0 4 3 7 7 8 4-1 7-4 7-8V3z" /><path fill="#fff" d="m6.6 10.9-2.8-2.8 1.1-1.1 1.7 1.7 4-4 1.1 1.1z" /></svg>
          model-verify
        </h1>
        <p class="tagline">
          ${
            this.page === 'sign'
              ? 'Sign an ML model so anyone can check it is exactly what you published. Hashing and signing run in this tab: your files never leave your computer.'
              : 'Check that an ML model is exactly what its signer published. Everything runs in this tab: your files never leave your computer.'
          }
        </p>
        <nav class="pages" aria-label="Pages">
          <a href="#verify" aria-current=${this.page === 'verify' ? 'page' : nothing}>Verify</a>
          <a href="#sign" aria-current=${this.page === 'sign' ? 'page' : nothing}>Sign</a>
          <a href="#infer" aria-current=${this.page === 'infer' ? 'page' : nothing}>Verified inference</a>
        </nav>
      </header>
      <main id="main" tabindex="-1">${this.page === 'sign' ? this.renderSign() : this.page === 'infer' ? html`<mv-inference></mv-inference>` : this.renderVerify(running)}</main>
    `;
  }

  /**
   * Skip to the content: a button, not a `#main` link — the target is in this shadow root, where a fragment cannot
   * reach, and the page's own fragments are its routes (#verify, #sign).
   */
  private skipToMain(e: Event): void {
    e.preventDefault();
    (this.renderRoot.querySelector('#main') as HTMLElement | null)?.focus();
  }

  private renderSign() {
    if (this.signPage) return this.signPage;
    if (this.signLoadError) return html`<p role="alert">The Sign page could not be loaded (${this.signLoadError}). Reload the page to try again.</p>`;
    return html`<p role="status">Loading the Sign page…</p>`;
  }

  private renderVerify(running: boolean) {
    return html`
      <mv-edge-models></mv-edge-models>
      ${running ? progressPanel(this.stage, this.progress) : nothing}
      <form @submit=${this.onSubmit} aria-describedby="privacy" novalidate>
        <fieldset ?disabled=${running}>
          <legend>1. Model</legend>
          <div class="tabs" role="radiogroup" aria-label="Where the model is">
            <label><input type="radio" name="mode" value="files" .checked=${this.mode === 'files'} @change=${() => this.setMode('files')} /> Files on this computer</label>
            <label><input type="radio" name="mode" value="url" .checked=${this.mode === 'url'} @change=${() => this.setMode('url')} /> From a URL</label>
          </div>
          ${this.mode === 'files' ? this.renderFileInputs() : this.renderUrlInputs()}
        </fieldset>
        <fieldset ?disabled=${running} aria-busy=${this.readingSignature ? 'true' : 'false'}>
          <legend>2. Who must have signed it</legend>
          ${
            this.signatureInfo
              ? html`<p class="detected" id="detected-method" role="status">
                  <span aria-hidden="true">✓ </span><strong>${METHOD_WORDS[this.signatureInfo.method]}</strong>
                  <span class="muted small">— read from ${this.signatureInfo.from}; only what this method needs is asked below.</span>
                </p>
                ${this.renderClaimedSigner()}`
              : html`<div class="tabs" role="radiogroup" aria-label="Signature method">
                  ${(['sigstore', 'key', 'certificate'] as const).map(
                    (m) => html`<label
                      ><input type="radio" name="method" value=${m} .checked=${this.method === m} @change=${() => (this.method = m)} />
                      ${{ sigstore: 'Sigstore identity', key: 'Public key', certificate: 'Certificate chain' }[m]}</label
                    >`,
                  )}
                </div>`
          }
          ${this.renderPolicyInputs()}
        </fieldset>
        <details class="options">
          <summary>Options</summary>
          <div class="field">
            <label for="ignore">Ignore these paths (model-relative, comma separated)</label>
            <input id="ignore" type="text" placeholder="e.g. README.md, .cache" .value=${this.ignoreText} @input=${(e: Event) => (this.ignoreText = (e.target as HTMLInputElement).value)} />
          </div>
          <label class="check"
            ><input type="checkbox" .checked=${this.ignoreUnsigned} @change=${(e: Event) => (this.ignoreUnsigned = (e.target as HTMLInputElement).checked)} /> Allow files the
            signature does not cover (they are listed, not hashed)</label
          >
        </details>
        <div class="actions">
          <button type="submit" class="primary" ?disabled=${running}>Verify model</button>
          ${running ? html`<button type="button" class="secondary" @click=${this.cancel}>Cancel</button>` : nothing}
        </div>
        <p id="privacy" class="muted small">Model bytes are read locally; only signature URLs and model URLs you type are fetched.</p>
      </form>
      ${this.report ? this.renderReport(this.report) : nothing}
    `;
  }

  private setMode(mode: 'files' | 'url'): void {
    clearTimeout(this.urlTimer);
    this.mode = mode;
    this.notes = {};
    void (mode === 'files' ? this.readChosenSignature() : this.readUrlSignature());
  }

  /** The setup note beside a field (announced politely), or nothing. */
  private note(field: NoteField) {
    const text = this.notes[field];
    return text ? html`<p id="${field}-note" class="field-note" role="alert" aria-live="polite">${text}</p>` : nothing;
  }

  /** aria-describedby for a field: its setup note when it has one. */
  private describedBy(field: NoteField, ...more: string[]): string | typeof nothing {
    const ids = [...(this.notes[field] ? [`${field}-note`] : []), ...more];
    return ids.length ? ids.join(' ') : nothing;
  }

  /** "Who signed this?": the signer the signature claims, plainly not yet anything the user required. */
  private renderClaimedSigner() {
    if (this.inspectError) {
      return html`<section class="claimed" aria-label="Who signed this?">
        <h2>Who signed this?</h2>
        <p class="field-note">${this.inspectError}</p>
      </section>`;
    }
    const i = this.inspection;
    if (!i) return this.signatureInfo ? html`<p class="muted small" role="status">Reading who signed it…</p>` : nothing;
    const s = i.signer;
    const log = s.method === 'sigstore' ? s.log : undefined;
    const publicGood = log && (!log.url || /^https:\/\/rekor\.sigstore\.dev\/?$/.test(log.url));
    const required = s.method === 'sigstore' && this.identity.trim() === s.identity && this.issuer.trim() === s.issuer && !this.identityRegexp.trim();
    return html`<section class="claimed" aria-label="Who signed this?">
      <h2>Who signed this? <span class="tag">claimed — not yet required by you</span></h2>
      <dl>
        ${
          s.method === 'sigstore'
            ? html`${row('Identity', s.identity)} ${row('Issuer', s.issuer)} ${Object.entries(s.claims).map(([k, v]) => row(claimLabel(k), v))}
              ${
                log
                  ? row(
                      'Transparency log',
                      html`entry
                      ${publicGood ? html`<a href="https://search.sigstore.dev/?logIndex=${encodeURIComponent(log.logIndex)}" target="_blank" rel="noopener noreferrer">${log.logIndex}</a>` : log.logIndex}
                      ${log.integratedTime ? html` · logged ${localTime(log.integratedTime)}` : nothing}`,
                    )
                  : nothing
              }
              ${s.timestamps.filter((t) => t.source === 'rfc3161').map((t) => row('Timestamp authority', `${t.authority ? `${t.authority} · ` : ''}${localTime(t.time)}`))}`
            : nothing
        }
        ${s.method === 'key' ? row('Key fingerprint (SHA-256)', s.keyHint ? html`<code class="wrap">${s.keyHint}</code>` : 'none recorded (an older signer)') : nothing}
        ${
          s.method === 'certificate'
            ? html`${row('Certificate subject', s.certificate.subject)} ${s.sans.length ? row('Names in the certificate', s.sans.join(', ')) : nothing}
              ${row('Issued by', s.certificate.issuer)} ${row('Valid', `${localTime(s.certificate.notBefore)} → ${localTime(s.certificate.notAfter)}`)}`
            : nothing
        }
      </dl>
      ${
        s.method === 'sigstore'
          ? html`<div class="actions">
              <button type="button" class="secondary" @click=${this.requireClaimedSigner} ?disabled=${required}>Require this signer</button>
              <span class="small muted" role="status"
                >${required ? 'Required: Verify checks the model was signed by exactly this identity and issuer.' : 'Fills in the identity and issuer below; only you can decide that this is who you expect.'}</span
              >
            </div>`
          : html`<p class="small muted">
              ${
                s.method === 'key'
                  ? "Anyone can write a fingerprint here: give the signer's public key you got from them, and Verify checks it signed the model."
                  : 'Anyone can make a certificate with this subject: give the CA certificate you trust, and Verify checks it issued this one.'
              }
            </p>`
      }
    </section>`;
  }

  private renderFileInputs() {
    const openFolder = directoryPicker();
    return html`
      <div
        class="dropzone ${this.dragging ? 'dragging' : ''}"
        @dragover=${this.onDragOver}
        @dragleave=${() => (this.dragging = false)}
        @drop=${this.onDrop}
        aria-describedby="drop-hint"
      >
        <p id="drop-hint"><strong>Drop the model folder here</strong> (with its <code>model.sig</code>), or choose it:</p>
        <div class="pickers">
          <div class="field">
            <label for="model-folder">Model folder</label>
            <input
              id="model-folder"
              type="file"
              webkitdirectory
              multiple
              aria-describedby=${this.describedBy('model-folder')}
              aria-invalid=${this.notes['model-folder'] ? 'true' : nothing}
              @change=${this.onFolderInput}
            />
          </div>
          <div class="field">
            <label for="model-files">…or model file(s)</label>
            <input id="model-files" type="file" multiple @change=${this.onFilesInput} />
          </div>
          ${openFolder ? html`<button type="button" class="secondary" @click=${this.onOpenFolder}>Open folder…</button>` : nothing}
        </div>
        <p class="selection" aria-live="polite">${this.pickedLabel ? html`Model: <strong>${this.pickedLabel}</strong>` : html`<span class="muted">No model chosen yet.</span>`}</p>
        ${this.note('model-folder')}
        <div class="field">
          <label for="signature-file">Signature (<code>model.sig</code>) — optional when it is inside the folder</label>
          <input
            id="signature-file"
            type="file"
            accept=".sig,.json,.sigstore,.bundle"
            aria-describedby=${this.describedBy('signature-file')}
            aria-invalid=${this.notes['signature-file'] ? 'true' : nothing}
            @change=${this.onSignatureInput}
          />
          ${this.signatureFile ? html`<span class="small">Using <strong>${this.signatureFile.name}</strong></span>` : nothing} ${this.note('signature-file')}
        </div>
      </div>
    `;
  }

  private renderUrlInputs() {
    return html`
      <div class="field">
        <label for="model-url"
          >Model base URL (a folder or one file), a Hugging Face repository <code>org/model</code> or
          <code>org/model@revision</code>, or an OCI image <code>oci://registry/repository:tag</code></label
        >
        <input
          id="model-url"
          type="text"
          inputmode="url"
          placeholder="https://…/ or org/model"
          aria-describedby=${this.describedBy('model-url')}
          aria-invalid=${this.notes['model-url'] ? 'true' : nothing}
          .value=${this.modelUrl}
          @input=${(e: Event) => {
            this.modelUrl = (e.target as HTMLInputElement).value;
            this.clearNote('model-url');
            if (!this.signatureUrl.trim()) this.scheduleUrlSignature();
          }}
        />
        ${this.note('model-url')}
      </div>
      <div class="field">
        <label for="signature-url">Signature URL</label>
        <input
          id="signature-url"
          type="url"
          placeholder=${defaultSignatureUrl(this.modelUrl) || 'https://…/model.sig'}
          aria-describedby=${this.describedBy('signature-url', 'signature-url-hint')}
          aria-invalid=${this.notes['signature-url'] ? 'true' : nothing}
          .value=${this.signatureUrl}
          @input=${(e: Event) => {
            this.signatureUrl = (e.target as HTMLInputElement).value;
            this.clearNote('signature-url');
            this.scheduleUrlSignature();
          }}
        />
        <span id="signature-url-hint" class="small muted"
          >Left empty: <code>model.sig</code> in the model folder (or repository; for a repository also a path in it).</span
        >
        ${this.note('signature-url')}
      </div>
      ${
        isHfSpec(this.modelUrl, true)
          ? html`<div class="field">
            <label for="hub-token">Hugging Face token (only for gated or private repositories)</label>
            <input
              id="hub-token"
              type="password"
              autocomplete="off"
              .value=${this.hubToken}
              @input=${(e: Event) => {
                this.hubToken = (e.target as HTMLInputElement).value;
                if (!this.signatureUrl.trim()) this.scheduleUrlSignature();
              }}
            />
            <span class="small muted">Sent to the Hub only, never stored. The repository is pinned to the commit its revision names now, and listed: unsigned extra files are found.</span>
          </div>`
          : nothing
      }
      <p class="note">
        Remote verification downloads exactly the files the signature lists. A web server cannot list a folder, so extra unsigned files
        on the server go unseen. The server must allow cross-origin requests (CORS).
      </p>
    `;
  }

  private renderPolicyInputs() {
    const text = (id: string, label: string, value: string, set: (v: string) => void, placeholder = '') => {
      const field = id === 'identity-regexp' ? 'identity' : (id as NoteField);
      return html`
        <div class="field">
          <label for=${id}>${label}</label>
          <input
            id=${id}
            type="text"
            placeholder=${placeholder}
            aria-describedby=${id === field ? this.describedBy(field) : nothing}
            aria-invalid=${id === field && this.notes[field] ? 'true' : nothing}
            .value=${value}
            @input=${(e: Event) => {
              set((e.target as HTMLInputElement).value);
              this.clearNote(field);
            }}
            autocomplete="off"
            spellcheck="false"
          />
          ${id === field ? this.note(field) : nothing}
        </div>
      `;
    };
    if (this.method === 'sigstore') {
      return html`
        ${text('identity', 'Signer identity (email or URI)', this.identity, (v) => (this.identity = v), 'someone@example.com')}
        ${text('identity-regexp', '…or an identity pattern (regular expression)', this.identityRegexp, (v) => (this.identityRegexp = v), '^https://github.com/org/repo/')}
        ${text('issuer', 'OIDC issuer', this.issuer, (v) => (this.issuer = v), 'https://accounts.google.com')}
        <div class="field">
          <span id="trust-label">Trust root (who vouches for Sigstore's keys)</span>
          <div class="tabs" role="radiogroup" aria-labelledby="trust-label">
            ${(
              [
                ['tuf', 'Sigstore public good, refreshed through TUF'],
                ['embedded', 'Built into this page (offline)'],
                ['file', 'A trusted_root.json file'],
              ] as const
            ).map(
              ([v, label]) =>
                html`<label
                  ><input
                    type="radio"
                    name="trust"
                    value=${v}
                    .checked=${this.trustSource === v}
                    @change=${() => {
                      this.trustSource = v;
                      this.clearNote('trusted-root');
                      void this.reinspect();
                    }}
                  />
                  ${label}</label
                >`,
            )}
          </div>
          ${
            this.trustSource === 'file'
              ? html`<input
                  id="trusted-root"
                  type="file"
                  accept=".json"
                  aria-label="trusted_root.json file"
                  aria-describedby=${this.describedBy('trusted-root')}
                  aria-invalid=${this.notes['trusted-root'] ? 'true' : nothing}
                  @change=${(e: Event) => {
                    this.trustedRootFile = (e.target as HTMLInputElement).files?.[0];
                    this.clearNote('trusted-root');
                  }}
                />`
              : html`<span id="trusted-root" tabindex="-1" aria-describedby=${this.describedBy('trusted-root')}></span>`
          }
          ${this.note('trusted-root')}
        </div>
      `;
    }
    const isKey = this.method === 'key';
    const id = isKey ? 'public-key' : 'certificate-chain';
    const value = isKey ? this.publicKey : this.certificateChain;
    const set = (v: string, fileName = '') => {
      if (isKey) {
        this.publicKey = v;
        this.publicKeyName = fileName;
      } else this.certificateChain = v;
      this.clearNote(id);
    };
    return html`
      <div class="field">
        <label for=${id}>${isKey ? "Signer's public key (PEM)" : 'Trusted CA certificate(s) (PEM)'}</label>
        <textarea
          id=${id}
          rows="5"
          spellcheck="false"
          placeholder="-----BEGIN ${isKey ? 'PUBLIC KEY' : 'CERTIFICATE'}-----"
          aria-describedby=${this.describedBy(id)}
          aria-invalid=${this.notes[id] ? 'true' : nothing}
          .value=${value}
          @input=${(e: Event) => set((e.target as HTMLTextAreaElement).value)}
        ></textarea>
        ${this.note(id)}
      </div>
      <div class="field">
        <label for="${id}-file">…or load it from a file</label>
        <input id="${id}-file" type="file" accept=".pem,.crt,.cer,.pub,.txt" @change=${async (e: Event) => {
          // Read the name before awaiting: once dispatch ends, a shadow-tree event's target is cleared.
          const name = (e.target as HTMLInputElement).files?.[0]?.name ?? '';
          set(await this.readTextInput(e), name);
        }} />
      </div>
    `;
  }

  private renderReport(r: VerificationReport) {
    const ok = r.verified;
    const n = r.resources.filter((x) => x.status === 'ok').length;
    return html`
      <section class="result" aria-label="Result">
        <div id="verdict" class="verdict ${ok ? 'ok' : 'fail'}" data-verdict=${ok ? 'verified' : 'failed'} role="status" tabindex="-1">
          <span class="icon" aria-hidden="true">${ok ? '✓' : '✗'}</span>
          <div>
            <h2 class="headline">${ok ? html`Verified — signed by <strong>${signerLabel(r)}</strong>` : html`Not verified — ${failureHeadline(r)}`}</h2>
            <p class="sub">
              ${
                ok
                  ? html`All ${n} file${n === 1 ? '' : 's'} of <strong>${r.model.name}</strong> match the signature · ${formatBytes(r.bytesHashed)} hashed in ${(r.millis / 1000).toFixed(2)} s`
                  : (r.errors[0]?.message ?? '')
              }
            </p>
          </div>
        </div>
        ${messages(ok ? { ...r, errors: [] } : { ...r, errors: r.errors.slice(1) })}
        <div class="panels">${signerPanel(r)}</div>
        ${r.resources.length ? fileTable(r, this.times) : nothing}
        <details class="json">
          <summary>JSON report</summary>
          <pre id="json" tabindex="0">${JSON.stringify(r, null, 2)}</pre>
        </details>
        <div class="actions">
          <button type="button" class="secondary" @click=${this.copyJson}>Copy JSON report</button>
          ${this.mode === 'url' ? html`<button type="button" class="secondary" id="share-link" @click=${this.copyShareLink}>Copy link to this check</button>` : nothing}
          <span role="status" class="small">${this.copied}</span>
        </div>
      </section>
    `;
  }
}

/** A download failure in plain words: the CORS headers to send when the browser hid the reason. */
function corsOrMessage(e: unknown, what: string, url: string): string {
  const message = (e as Error)?.message ?? String(e);
  return /cross-origin|CORS/.test(message) ? corsNote(what, url) : message;
}

function reportError(code: ErrorCode, message: string): ModelVerifyError {
  return new ModelVerifyError(code, message);
}

function parseTrustedRoot(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw reportError('TRUST_ROOT_INVALID', 'The trusted root file is not valid JSON');
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'mv-app': MvApp;
  }
}
