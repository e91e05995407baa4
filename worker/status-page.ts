/**
 * Shown at `/` when the web app has not been built: the published models and their verdicts at the edge.
 * `base` is the gate's mount point (createModelGate's basePath), validated there as a plain path.
 */
export const statusPage = (base: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>model-verify at the edge</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1f2937}
code{background:#f3f4f6;padding:0 .25rem;border-radius:3px}.ok{color:#047857}.bad{color:#b91c1c}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #e5e7eb}</style></head>
<body><h1>model-verify at the edge</h1>
<p>The web app is not built (<code>npx vite build</code>), so this is the Worker's status page.
Each model below was verified by this Worker: signature, policy and every file's digest.</p>
<div id="models">Loading…</div>
<script type="module">
const base = ${JSON.stringify(base)};
const root = document.getElementById('models');
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const { models } = await (await fetch(base + '/api/v1/models')).json();
if (!models.length) root.textContent = 'No models are published yet.';
else root.innerHTML = '';
for (const name of models) {
  const s = await (await fetch(base + '/api/v1/models/' + encodeURIComponent(name))).json();
  const sec = document.createElement('section');
  const who = s.signer ? (s.signer.identity || s.signer.keyName || s.signer.keyHint || s.signer.method) : '';
  sec.innerHTML = '<h2>' + esc(name) + ' — <span class="' + (s.verified ? 'ok">verified' : 'bad">not verified') + '</span></h2>'
    + (who ? '<p>Signer: <code>' + esc(s.signer.method) + '</code> ' + esc(who) + '</p>' : '')
    + (s.errors || []).map((e) => '<p class="bad"><code>' + esc(e.code) + '</code> ' + esc(e.message) + '</p>').join('')
    + '<table><tr><th>file</th><th>status</th><th>bytes</th></tr>'
    + (s.resources || []).map((r) => '<tr><td><a href="' + base + '/models/' + encodeURIComponent(name) + '/' + r.name.split('/').map(encodeURIComponent).join('/') + '">' + esc(r.name) + '</a></td><td class="' + (r.status === 'ok' ? 'ok' : 'bad') + '">' + esc(r.status) + '</td><td>' + esc(r.bytes) + '</td></tr>').join('')
    + '</table>';
  root.append(sec);
}
</script></body></html>
`;
