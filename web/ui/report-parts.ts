/**
 * Lit templates shared by the app and the element's details: per-file table, signer panel, messages.
 * Plain functions (not elements) so the element bundle registers one tag only. Status is always text plus
 * a symbol, never colour alone.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import type { ResourceResult } from '../../core/manifest/index.js';
import type { VerificationReport } from '../../core/verify/index.js';
import { formatBytes, formatDuration, formatRate, type LiveProgress } from '../verify-run.js';

const STATUS_TEXT: Record<ResourceResult['status'], [symbol: string, text: string]> = {
  ok: ['✓', 'matches'],
  mismatch: ['✗', 'modified'],
  missing: ['✗', 'missing'],
  unsigned: ['!', 'not signed'],
};

function digestCell(d: string | undefined, algorithm: string): TemplateResult {
  if (!d) return html`<span class="muted">—</span>`;
  // The whole digest is in the cell (selectable, copyable, read out); the cell shows its start until focused.
  return html`<code class="digest" tabindex="0" title="${algorithm}:${d}" aria-label="${algorithm} ${d}">${d}</code>`;
}

/** Per-file status table. `times` are measured seconds per resource when the UI saw them. */
export function fileTable(report: VerificationReport, times?: ReadonlyMap<string, number>): TemplateResult {
  const rows = [...report.resources].sort((a, b) => Number(a.status === 'ok') - Number(b.status === 'ok') || (a.name < b.name ? -1 : 1));
  return html`<div class="table-wrap">
    <table part="files" class="files">
      <caption>
        Files (${report.resources.filter((r) => r.status === 'ok').length} of ${report.resources.length} match)
      </caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">File</th>
          <th scope="col">Size</th>
          <th scope="col">Expected digest</th>
          <th scope="col">Actual digest</th>
          <th scope="col">Time</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map((r) => {
          const [sym, text] = STATUS_TEXT[r.status];
          const t = times?.get(r.name);
          return html`<tr class="status-${r.status}" data-file="${r.name}" data-status="${r.status}">
            <td class="status"><span aria-hidden="true">${sym}</span> ${text}</td>
            <th scope="row" class="name">${r.name}</th>
            <td>${r.status === 'missing' ? html`<span class="muted">—</span>` : formatBytes(r.bytes)}</td>
            <td>${digestCell(r.expected, r.algorithm)}</td>
            <td>${digestCell(r.actual, r.algorithm)}</td>
            <td>${t === undefined ? html`<span class="muted">—</span>` : t < 0.01 ? '< 0.01 s' : `${t.toFixed(2)} s`}</td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

/** One `<dt>/<dd>` pair of a details list; nothing for an empty value. */
export function row(label: string, value: unknown): TemplateResult | typeof nothing {
  if (value === undefined || value === null || value === '') return nothing;
  return html`<dt>${label}</dt>
    <dd>${value}</dd>`;
}

/** An ISO time as `YYYY-MM-DD hh:mm:ss UTC` (as typed when unparsable). */
export function localTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : `${d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')}`;
}

/** Fulcio claim names (core/x509/fulcio.ts) in plain words; the name itself stays visible for unknown ones. */
const CLAIM_LABELS: Record<string, string> = {
  sourceRepositoryURI: 'Source repository',
  sourceRepositoryRef: 'Source branch or tag',
  sourceRepositoryDigest: 'Source commit',
  sourceRepositoryIdentifier: 'Source repository ID',
  sourceRepositoryOwnerURI: 'Repository owner',
  sourceRepositoryOwnerIdentifier: 'Repository owner ID',
  sourceRepositoryVisibilityAtSigning: 'Repository visibility when signed',
  buildSignerURI: 'Build workflow',
  buildSignerDigest: 'Build workflow commit',
  buildConfigURI: 'Build configuration',
  buildConfigDigest: 'Build configuration commit',
  buildTrigger: 'Triggered by',
  runInvocationURI: 'Build run',
  runnerEnvironment: 'Runner',
  githubWorkflowTrigger: 'Workflow trigger',
  githubWorkflowSha: 'Workflow commit',
  githubWorkflowName: 'Workflow name',
  githubWorkflowRepository: 'Workflow repository',
  githubWorkflowRef: 'Workflow ref',
};

/** A certificate claim's label for people. */
export function claimLabel(name: string): string {
  return CLAIM_LABELS[name] ?? name;
}

const METHOD_TEXT = { key: 'Public key', certificate: 'X.509 certificate', sigstore: 'Sigstore (keyless)' } as const;

/** Who signed, with what, and which evidence backs the signing time. */
export function signerPanel(report: VerificationReport): TemplateResult | typeof nothing {
  const s = report.signer;
  if (!s) return nothing;
  const c = s.method === 'key' ? undefined : s.certificate;
  const log = s.method === 'sigstore' ? s.log : undefined;
  // The public-good log has a search UI; other logs are named, not linked (their URL comes from the trust root).
  const publicGood = log && (!log.url || /^https:\/\/rekor\.sigstore\.dev\/?$/.test(log.url));
  const search = publicGood ? `https://search.sigstore.dev/?logIndex=${encodeURIComponent(log.logIndex)}` : undefined;
  return html`
    <section part="signer" class="signer" aria-label="Signer">
      <h3>Signer</h3>
      <dl>
        ${row('Method', METHOD_TEXT[s.method])}
        ${
          s.method === 'sigstore'
            ? html`${row('Identity', s.identity)} ${row('Issuer', s.issuer)} ${s.claims ? Object.entries(s.claims).map(([k, v]) => row(claimLabel(k), v)) : nothing}`
            : nothing
        }
        ${
          s.method === 'key'
            ? html`${row('Public key hash', html`<code>${s.keyHint}</code>`)}
            ${s.legacyKeyMaterial ? row('Key hint', 'none in the signature (older signer): the key you gave was used') : nothing}`
            : nothing
        }
        ${c ? row('Certificate subject', c.subject) : nothing} ${c ? row('Certificate issuer', c.issuer) : nothing}
        ${c ? row('Certificate valid', `${localTime(c.notBefore)} → ${localTime(c.notAfter)}`) : nothing}
        ${c ? row('Certificate SHA-256', html`<code class="wrap">${c.sha256Fingerprint}</code>`) : nothing}
        ${
          log
            ? row(
                'Transparency log',
                html`entry ${search ? html`<a href="${search}" target="_blank" rel="noopener noreferrer">${log.logIndex}</a>` : log.logIndex}
              ${log.url && !search ? html` in ${log.url}` : nothing} ${log.integratedTime ? html` · logged ${localTime(log.integratedTime)}` : nothing}`,
              )
            : nothing
        }
        ${
          s.method === 'sigstore'
            ? s.timestamps.map((t) =>
                row(t.source === 'rfc3161' ? 'Timestamp authority' : 'Log time', `${t.authority ? `${t.authority} · ` : ''}${localTime(t.time)}`),
              )
            : nothing
        }
        ${report.trustRoot ? row('Trust root', `${report.trustRoot.source}${report.trustRoot.date ? ` (${report.trustRoot.date})` : ''}`) : nothing}
      </dl>
    </section>
  `;
}

/** Warnings as a list (nothing when there are none); `id` lets a page point at its own list. */
export function warningList(warnings: readonly string[], id?: string): TemplateResult | typeof nothing {
  return warnings.length
    ? html`<ul part="warnings" class="warnings" id=${id ?? nothing} aria-label="Warnings">
        ${warnings.map((w) => html`<li><span aria-hidden="true">! </span>${w}</li>`)}
      </ul>`
    : nothing;
}

/** Errors (after the headline) and warnings, as plain sentences. */
export function messages(report: VerificationReport): TemplateResult {
  const notes = report.warnings.filter((w) => isSourceNote(report, w));
  const warnings = report.warnings.filter((w) => !isSourceNote(report, w));
  return html`
    ${
      report.errors.length
        ? html`<ul part="errors" class="errors" aria-label="Problems">
          ${report.errors.map((e) => html`<li><span aria-hidden="true">✗ </span>${e.message}${e.resource ? html` <span class="muted">(${e.resource})</span>` : nothing}</li>`)}
        </ul>`
        : nothing
    }
    ${warningList(warnings)}
    ${notes.map((n) => html`<p part="note" class="info"><span aria-hidden="true">ⓘ </span>${n}</p>`)}
  `;
}

/**
 * Warnings that describe what any source of this kind cannot do (an HTTP model cannot list its files) rather
 * than anything wrong with this model: shown as information, not as a warning. Matched on core's sentence, and
 * only when the report says the source is not listable.
 */
function isSourceNote(report: VerificationReport, w: string): boolean {
  return !report.model.listable && /cannot list its files/.test(w);
}

export const reportStyles = css`
  .muted {
    color: var(--mv-muted, #5b6270);
  }
  .table-wrap {
    overflow-x: auto;
  }
  table.files {
    border-collapse: collapse;
    width: 100%;
    font-size: 0.9em;
  }
  table.files caption {
    text-align: left;
    font-weight: 600;
    padding: 0.4em 0;
  }
  table.files th,
  table.files td {
    text-align: left;
    padding: 0.35em 0.6em;
    border-bottom: 1px solid var(--mv-line, #d8dce3);
    vertical-align: top;
  }
  table.files thead th {
    font-weight: 600;
    background: var(--mv-head, #f3f5f8);
  }
  table.files th.name {
    font-weight: 500;
    word-break: break-all;
    min-width: 8em;
  }
  td.status {
    white-space: nowrap;
    font-weight: 600;
  }
  tr.status-ok td.status {
    color: var(--mv-ok, #166534);
  }
  tr.status-mismatch td.status,
  tr.status-missing td.status {
    color: var(--mv-fail, #b91c1c);
  }
  tr.status-mismatch,
  tr.status-missing {
    background: var(--mv-fail-bg, #fef2f2);
  }
  tr.status-unsigned td.status {
    color: var(--mv-warn, #92400e);
  }
  code {
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    font-size: 0.92em;
  }
  code.wrap {
    word-break: break-all;
  }
  code.digest {
    display: inline-block;
    max-width: 16ch;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    vertical-align: bottom;
  }
  code.digest:focus,
  code.digest:hover {
    max-width: none;
    white-space: normal;
    word-break: break-all;
  }
  .signer dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.3em 1em;
    margin: 0;
  }
  .signer dt {
    font-weight: 600;
    color: var(--mv-muted, #5b6270);
  }
  .signer dd {
    margin: 0;
    word-break: break-word;
  }
  .signer h3 {
    margin: 0 0 0.5em;
    font-size: 1em;
  }
  ul.errors,
  ul.warnings {
    margin: 0.5em 0;
    padding-left: 1.2em;
    list-style: none;
  }
  ul.errors li {
    color: var(--mv-fail, #b91c1c);
  }
  ul.warnings li {
    color: var(--mv-warn, #92400e);
  }
  p.info {
    margin: 0.5em 0;
    color: var(--mv-muted, #5b6270);
  }
`;

/** Live progress of a hashing run (Verify and Sign pages): stage and percentage, a bar, bytes, files, MB/s, time left. */
export function progressPanel(stage: string, p: LiveProgress | undefined): TemplateResult {
  const pct = p && p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 0;
  return html`
    <section class="progress" aria-label="Progress">
      <p role="status">${stage}${p ? html` ${pct}%` : nothing}</p>
      <progress max=${p?.bytesTotal || 1} .value=${p?.bytesDone ?? 0} aria-label="Bytes hashed"></progress>
      ${
        p
          ? html`<p class="small">
            ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} · ${p.resourcesDone} of ${p.resourcesTotal} files${p.rate > 0 ? html` · ${formatRate(p.rate)}` : nothing}${
              p.eta !== undefined ? html` · about ${formatDuration(p.eta)} left` : nothing
            }
          </p>
          ${p.resource && p.resourcesDone < p.resourcesTotal ? html`<p class="small current">Now hashing <code>${p.resource}</code></p>` : nothing}`
          : nothing
      }
    </section>
  `;
}
