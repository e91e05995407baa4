// npm run bench — hashing throughput of model-verify against native baselines (issue 4), in every runtime.
//   Node:     the whole CLI process verifying a real signature (`verify key`) vs `openssl dgst -sha256` over the
//             same files one after another; a multi-file model and one big file; peak RSS on a large model.
//   Chromium: BrowserHashPool over Files picked from disk, vs hash-wasm's raw single-thread speed.
//   workerd:  SHA-256 of a generated stream (crypto.DigestStream path), crypto.subtle, static wasm.
//   Sigstore: bench/sigstore.mjs (bundle crypto check) when present.
// Sizes (MiB unless noted) via env or flags: --small, BENCH_FILES=8 BENCH_FILE_MB=256 BENCH_BIG_MB=2048
// BENCH_BROWSER_FILE_MB=128 BENCH_BROWSER_BIG_MB=1024 BENCH_WORKERD_MB=256 BENCH_RSS_GB=8 (0 skips)
// BENCH_SMALL_FILES=100000 BENCH_SMALL_DIRS=1000 (many-small-files case, issue 17; tree under bench/tmp)
// BENCH_REPS=3 BENCH_DIR=<data dir, default $TMPDIR/model-verify-bench> BENCH_ONLY=node,startup,small,chromium,workerd,rss,sigstore
// Results: a table on stdout and bench/results.json. Data files are kept in BENCH_DIR for the next run.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const small = argv.includes('--small');
const num = (name, full, smallValue) => Number(process.env[name] ?? (small ? smallValue : full));
const cfg = {
  files: num('BENCH_FILES', 8, 8),
  fileMb: num('BENCH_FILE_MB', 256, 32),
  bigMb: num('BENCH_BIG_MB', 2048, 256),
  browserFileMb: num('BENCH_BROWSER_FILE_MB', 128, 16),
  browserBigMb: num('BENCH_BROWSER_BIG_MB', 1024, 128),
  workerdMb: num('BENCH_WORKERD_MB', 256, 64),
  rssGb: num('BENCH_RSS_GB', 8, 1),
  smallFiles: num('BENCH_SMALL_FILES', 100000, 20000),
  smallDirs: num('BENCH_SMALL_DIRS', 1000, 200),
  reps: num('BENCH_REPS', 3, 3),
  dir: process.env.BENCH_DIR ?? path.join(tmpdir(), 'model-verify-bench'),
  only: (process.env.BENCH_ONLY ?? 'node,startup,small,chromium,workerd,rss,sigstore').split(','),
};
const MiB = 1 << 20;
const work = path.join(cfg.dir, 'work');
mkdirSync(work, { recursive: true });
const results = { date: new Date().toISOString(), config: cfg, machine: {}, node: {}, smallFiles: {}, chromium: {}, workerd: {}, rss: {}, sigstore: {} };
const table = [];
const row = (runtime, what, mbps, ratio, note = '') => table.push({ runtime, what, 'MB/s': mbps === null ? '' : mbps.toFixed(0), ratio: ratio ?? '', note });
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (s) => process.stderr.write(`[bench] ${s}\n`);

results.machine = {
  node: process.version,
  cpus: (() => {
    try {
      return execFileSync('nproc').toString().trim();
    } catch {
      return '?';
    }
  })(),
  openssl: execFileSync('openssl', ['version']).toString().trim(),
  // Other work on the machine skews every figure: recorded at the start and the end.
  loadavgStart: loadavg(),
};

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
// CPU seconds (user + sys, all threads) are what the load of a shared machine does not inflate: bytes / (CPU s / cores)
// estimates the throughput on an idle machine.
const TIME_FMT = 'MAXRSS_KB=%M CPU_S=%U+%S';
const cpuOf = (stderr) => {
  const m = stderr.match(/MAXRSS_KB=(\d+) CPU_S=([\d.]+)\+([\d.]+)/);
  return m ? { rssKb: Number(m[1]), cpuS: Number(m[2]) + Number(m[3]) } : { rssKb: NaN, cpuS: NaN };
};

/** user+sys CPU seconds of this process's descendants (Chromium is one: Playwright launches it), Linux /proc. */
function childrenCpuS(rootPid = process.pid) {
  let procs;
  try {
    procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  const info = new Map();
  for (const pid of procs) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": state is f[0]
      info.set(Number(pid), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // exited meanwhile
    }
  }
  const kids = new Map();
  for (const [pid, i] of info) kids.set(i.ppid, [...(kids.get(i.ppid) ?? []), pid]);
  let ticks = 0;
  const todo = [...(kids.get(rootPid) ?? [])];
  while (todo.length) {
    const pid = todo.pop();
    ticks += info.get(pid)?.ticks ?? 0;
    todo.push(...(kids.get(pid) ?? []));
  }
  return ticks / 100; // USER_HZ
}

// ---------- data ----------
/** Writes `bytes` of random-looking data (one random 16 MiB block, each MiB stamped with its index), unless present. */
function ensureFile(file, bytes) {
  if (existsSync(file) && statSync(file).size === bytes) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const block = randomFillSync(Buffer.allocUnsafe(16 * MiB));
  const fd = openSync(file, 'w');
  try {
    for (let pos = 0, k = 0; pos < bytes; pos += block.length) {
      for (let o = 0; o < block.length; o += MiB) block.writeUInt32LE(k++, o);
      writeSync(fd, block, 0, Math.min(block.length, bytes - pos), pos);
    }
  } finally {
    closeSync(fd);
  }
}
function makeModel(name, count, mb) {
  const dir = path.join(cfg.dir, name);
  const files = Array.from({ length: count }, (_, i) => path.join(dir, `${name}-${String(i).padStart(2, '0')}.bin`));
  for (const f of files) ensureFile(f, Math.round(mb * MiB));
  return { dir, files, bytes: files.reduce((n, f) => n + statSync(f).size, 0) };
}

/** `openssl dgst -sha256` over the files one after another (one process): wall ms and digests. */
function openssl(files) {
  const t0 = performance.now();
  const r = spawnSync(TIME ?? 'openssl', [...(TIME ? ['-f', TIME_FMT, 'openssl'] : []), 'dgst', '-sha256', '-r', ...files], {
    maxBuffer: 1 << 24,
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const out = r.stdout;
  const digests = {};
  for (const line of out.trim().split('\n')) {
    const m = line.match(/^([0-9a-f]{64}) \*?(.+)$/);
    if (m) digests[path.resolve(m[2])] = m[1];
  }
  return { ms, digests, ...cpuOf(r.stderr) };
}

let signer;
async function sign(model, digests) {
  if (!signer) {
    const outfile = path.join(work, 'sign-model.mjs');
    await build({
      entryPoints: [path.join(root, 'bench/sign-model.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
    });
    signer = await import(pathToFileURL(outfile).href);
  }
  const rel = Object.fromEntries(model.files.map((f) => [path.relative(model.dir, f).split(path.sep).join('/'), digests[path.resolve(f)]]));
  return signer.signModel(model.dir, rel, work);
}

/** The real CLI, whole process: `model-verify verify key`. Wall ms, max RSS (KiB, via /usr/bin/time), success. */
function cliVerify(model, signed) {
  const args = [
    path.join(root, 'bin/model-verify.js'),
    'verify',
    'key',
    '--signature',
    signed.signature,
    '--public-key',
    signed.publicKey,
    '--no-progress',
    model.dir,
  ];
  const cmd = TIME ? TIME : process.execPath;
  const full = TIME ? ['-f', TIME_FMT, process.execPath, ...args] : args;
  const t0 = performance.now();
  const r = spawnSync(cmd, full, { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0 || !/Verification succeeded/.test(r.stdout)) throw new Error(`CLI verification failed (${r.status}): ${r.stdout}\n${r.stderr}`);
  return { ms, ...cpuOf(r.stderr) };
}

async function nodeCase(label, model) {
  log(`${label}: ${(model.bytes / MiB).toFixed(0)} MiB in ${model.files.length} file(s)`);
  openssl(model.files); // warm the page cache and the binary
  const base = [];
  const baseCpu = [];
  let digests;
  for (let i = 0; i < cfg.reps; i++) {
    const r = openssl(model.files);
    base.push(r.ms);
    baseCpu.push(r.cpuS);
    digests = r.digests;
  }
  const signed = await sign(model, digests);
  cliVerify(model, signed); // warm-up
  const ours = [];
  const oursCpu = [];
  let rss = 0;
  for (let i = 0; i < cfg.reps; i++) {
    const r = cliVerify(model, signed);
    ours.push(r.ms);
    oursCpu.push(r.cpuS);
    rss = Math.max(rss, r.rssKb || 0);
  }
  const cores = Number(results.machine.cpus) || 1;
  const res = {
    bytes: model.bytes,
    files: model.files.length,
    cliMs: ours,
    opensslMs: base,
    cliMBps: mbps(model.bytes, median(ours)),
    opensslMBps: mbps(model.bytes, median(base)),
    ratioTimeVsOpenssl: median(ours) / median(base),
    cliMaxRssMB: rss / 1024,
    cliCpuS: oursCpu,
    opensslCpuS: baseCpu,
    // Idle-machine estimates from CPU time: ours spread over every core, openssl on one.
    cliIdleMBps: mbps(model.bytes, (median(oursCpu) / Math.min(cores, model.files.length)) * 1000),
    opensslIdleMBps: mbps(model.bytes, median(baseCpu) * 1000),
  };
  row(
    'node',
    `${label}: CLI verify (whole process)`,
    res.cliMBps,
    `${res.ratioTimeVsOpenssl.toFixed(2)}× openssl time`,
    `median of ${cfg.reps}: ${median(ours).toFixed(0)} ms`,
  );
  row('node', `${label}: openssl dgst -sha256, sequential`, res.opensslMBps, '1.00', `median ${median(base).toFixed(0)} ms`);
  row(
    'node',
    `${label}: CPU-time estimate, idle ${cores}-core machine: CLI`,
    res.cliIdleMBps,
    `${(res.opensslIdleMBps / res.cliIdleMBps).toFixed(2)}× openssl time`,
    `CPU ${median(oursCpu).toFixed(2)} s vs openssl ${median(baseCpu).toFixed(2)} s (user+sys)`,
  );
  return res;
}

// ---------- Node ----------
if (cfg.only.includes('node')) {
  const multi = makeModel(`model-${cfg.files}x${cfg.fileMb}`, cfg.files, cfg.fileMb);
  results.node.multi = await nodeCase(`${cfg.files} × ${cfg.fileMb} MiB`, multi);
  const one = makeModel(`model-1x${cfg.bigMb}`, 1, cfg.bigMb);
  results.node.single = await nodeCase(`1 × ${cfg.bigMb} MiB`, one);
  results.node.singleSpeedVsOpenssl = results.node.single.opensslMs && median(results.node.single.opensslMs) / median(results.node.single.cliMs);
}

// ---------- many small files (issue 17) ----------
// A model of BENCH_SMALL_FILES files of 0.2–1.2 kB in BENCH_SMALL_DIRS directories, built once under bench/tmp
// (gitignored: the tree is metadata-bound, so it lives on the repository's disk, not in a tmpfs $TMPDIR). Signed
// with our own CLI (`sign key`), then whole-process `verify key` and `sign key`, best of BENCH_REPS, against
// `find -print0 | xargs -0 -P$(nproc) sha256sum` in the same run; peak RSS from /usr/bin/time.
if (cfg.only.includes('small')) {
  const base = path.join(root, 'bench/tmp', `small-${cfg.smallFiles}x${cfg.smallDirs}`);
  const dir = path.join(base, 'model');
  const done = path.join(base, '.complete');
  if (!existsSync(done)) {
    log(`small files: building ${cfg.smallFiles} files in ${cfg.smallDirs} directories`);
    execFileSync('rm', ['-rf', base]);
    const block = randomFillSync(Buffer.allocUnsafe(1 << 16));
    for (let i = 0; i < cfg.smallFiles; i++) {
      const d = path.join(dir, `d${String(i % cfg.smallDirs).padStart(4, '0')}`);
      if (i < cfg.smallDirs) mkdirSync(d, { recursive: true });
      // Deterministic sizes 200..1200 and contents (offset into one random block, stamped with the index).
      const size = 200 + ((i * 7919) % 1001);
      const buf = Buffer.from(block.subarray((i * 131) % (block.length - size), ((i * 131) % (block.length - size)) + size));
      buf.writeUInt32LE(i, 0);
      writeFileSync(path.join(d, `f${String(i).padStart(6, '0')}.bin`), buf);
    }
    writeFileSync(done, '');
  }
  const keyDir = path.join(base, 'keys');
  mkdirSync(keyDir, { recursive: true });
  const priv = path.join(keyDir, 'key.pem');
  const pub = path.join(keyDir, 'key.pub');
  if (!existsSync(pub)) {
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', priv]);
    execFileSync('openssl', ['ec', '-in', priv, '-pubout', '-out', pub], { stdio: 'ignore' });
  }
  const sig = path.join(keyDir, 'model.sig');
  const sig2 = path.join(keyDir, 'model2.sig');
  const cli = path.join(root, 'bin/model-verify.js');
  const timed = (argv0, args, opts = {}) => {
    const t0 = performance.now();
    const r = spawnSync(TIME ?? argv0, TIME ? ['-f', TIME_FMT, argv0, ...args] : args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${argv0} ${args.slice(0, 3).join(' ')} failed (${r.status}): ${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`);
    return { ms, ...cpuOf(r.stderr), stdout: r.stdout };
  };
  const signArgs = (out) => [cli, 'sign', 'key', '--private-key', priv, '--signature', out, '-q', dir];
  const verifyArgs = [cli, 'verify', 'key', '--signature', sig, '--public-key', pub, '--no-progress', dir];
  const nproc = Number(results.machine.cpus) || 1;
  const baseline = () => timed('sh', ['-c', `find "$0" -type f -print0 | xargs -0 -P${nproc} sha256sum > /dev/null`, dir]);
  log('small files: warm-up (page and dentry cache), signing');
  baseline();
  timed(process.execPath, signArgs(sig));
  const best = (f) => {
    const rs = Array.from({ length: cfg.reps }, f);
    return { ...rs.reduce((a, b) => (b.ms < a.ms ? b : a)), allMs: rs.map((r) => r.ms), maxRssKb: Math.max(...rs.map((r) => r.rssKb || 0)) };
  };
  const b = best(baseline);
  const v = best(() => {
    const r = timed(process.execPath, verifyArgs);
    if (!/Verification succeeded/.test(r.stdout)) throw new Error(`small files: verification failed: ${r.stdout}`);
    return r;
  });
  const s = best(() => timed(process.execPath, signArgs(sig2)));
  // CPU time (user + sys, all threads) as well: on the shared machine wall times under load are not comparable.
  const entry = (r) => ({
    bestMs: r.ms,
    allMs: r.allMs,
    cpuS: r.cpuS,
    maxRssMB: r.maxRssKb / 1024,
    ratioToBaseline: r.ms / b.ms,
    cpuRatioToBaseline: r.cpuS / b.cpuS,
  });
  results.smallFiles = {
    files: cfg.smallFiles,
    dirs: cfg.smallDirs,
    baseline: { cmd: `find | xargs -0 -P${nproc} sha256sum`, bestMs: b.ms, allMs: b.allMs, cpuS: b.cpuS },
    verify: entry(v),
    sign: entry(s),
  };
  for (const [what, r] of [
    ['verify', v],
    ['sign', s],
  ]) {
    row(
      'node',
      `${cfg.smallFiles} small files / ${cfg.smallDirs} dirs: CLI ${what} (whole process)`,
      null,
      `${(r.ms / b.ms).toFixed(2)}× baseline`,
      `best of ${cfg.reps}: ${r.ms.toFixed(0)} ms, peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB, CPU ${r.cpuS.toFixed(2)} s (${(r.cpuS / b.cpuS).toFixed(2)}× baseline's)`,
    );
  }
  row('node', `  find | xargs -0 -P${nproc} sha256sum`, null, '1.00', `best of ${cfg.reps}: ${b.ms.toFixed(0)} ms, CPU ${b.cpuS.toFixed(2)} s`);
}

// ---------- Chromium ----------
if (cfg.only.includes('chromium')) {
  log('chromium: building the page');
  const smallModel = makeModel(`browser-${cfg.files}x${cfg.browserFileMb}`, cfg.files, cfg.browserFileMb);
  const bigModel = makeModel(`browser-1x${cfg.browserBigMb}`, 1, cfg.browserBigMb);
  const expected = { ...openssl(smallModel.files).digests, ...openssl(bigModel.files).digests };
  const { build: viteBuild } = await import('vite');
  const pageDir = path.join(work, 'page');
  await viteBuild({
    configFile: false,
    root: path.join(root, 'bench/browser'),
    logLevel: 'warn',
    build: { outDir: pageDir, emptyOutDir: true, target: 'es2022' },
    worker: { format: 'es' },
  });
  const server = createServer((req, res) => {
    const p = path.join(pageDir, decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/$/, '/index.html'));
    if (!p.startsWith(pageDir) || !existsSync(p)) return res.writeHead(404).end();
    const type = p.endsWith('.html')
      ? 'text/html'
      : p.endsWith('.js')
        ? 'text/javascript'
        : p.endsWith('.wasm')
          ? 'application/wasm'
          : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(p));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--enable-precise-memory-info'],
    headless: true,
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://localhost:${server.address().port}/`);
    await page.setInputFiles('#files', [...smallModel.files, ...bigModel.files]);
    log('chromium: hashing');
    const args = {
      smallNames: smallModel.files.map((f) => path.basename(f)),
      bigName: path.basename(bigModel.files[0]),
      reps: cfg.reps,
      rawMb: Math.min(256, cfg.browserBigMb),
    };
    const cases = {};
    let hc;
    for (const only of ['multi', 'big', 'prepare', 'raw']) {
      if (only === 'prepare') {
        // The raw case's 256 MiB of random data is made outside its measured CPU (and after the heap samples above).
        await page.evaluate((o) => window.hashBench(o), { ...args, only });
        continue;
      }
      // CPU of every Chromium process (browser, renderer, utility) per case, for idle-machine estimates.
      const c0 = childrenCpuS();
      const r = await page.evaluate((o) => window.hashBench(o), { ...args, only });
      cases[only] = { ...r.cases[0], cpuSPerRep: (childrenCpuS() - c0) / cfg.reps };
      hc = r.hardwareConcurrency;
    }
    // The digests must be right, or the speed means nothing.
    for (const [c, files] of [
      [cases.multi, smallModel.files],
      [cases.big, bigModel.files],
    ]) {
      for (const f of files) if (c.digests[path.basename(f)] !== expected[path.resolve(f)]) throw new Error(`chromium digest mismatch for ${f}`);
    }
    const { multi, big, raw } = cases;
    const rawMBps = mbps(raw.bytes, median(raw.ms));
    const cores = Number(results.machine.cpus) || 1;
    results.chromium = {
      version: browser.version(),
      hardwareConcurrency: hc,
      multi: { ...multi, MBps: mbps(multi.bytes, median(multi.ms)), idleMBps: mbps(multi.bytes, (multi.cpuSPerRep / cores) * 1000), digests: undefined },
      big: { ...big, MBps: mbps(big.bytes, median(big.ms)), digests: undefined, vsRawHashWasm: mbps(big.bytes, median(big.ms)) / rawMBps },
      rawHashWasm: { ...raw, MBps: rawMBps, idleMBps: mbps(raw.bytes, raw.cpuSPerRep * 1000), digests: undefined },
    };
    // The big File streams on one worker thread: its CPU per byte vs raw hash-wasm's is the load-independent ratio.
    results.chromium.big.cpuVsRaw = big.cpuSPerRep / big.bytes / (raw.cpuSPerRep / raw.bytes);
    const heapMB = (c) => `page heap ${(c.heapBase / MiB).toFixed(1)} → peak ${(c.heapPeak / MiB).toFixed(1)} MiB`;
    row('chromium', `${cfg.files} × ${cfg.browserFileMb} MiB Files, ${multi.workers} workers`, results.chromium.multi.MBps, '', heapMB(multi));
    row(
      'chromium',
      `  CPU-time estimate, idle ${cores}-core machine`,
      results.chromium.multi.idleMBps,
      '',
      `Chromium CPU ${multi.cpuSPerRep.toFixed(2)} s per run (all processes)`,
    );
    row(
      'chromium',
      `1 × ${cfg.browserBigMb} MiB File`,
      results.chromium.big.MBps,
      `${results.chromium.big.vsRawHashWasm.toFixed(2)}× raw hash-wasm`,
      `${heapMB(big)}; CPU per byte ${results.chromium.big.cpuVsRaw.toFixed(2)}× raw's`,
    );
    row('chromium', raw.name, rawMBps, '1.00', `CPU-time estimate ${results.chromium.rawHashWasm.idleMBps.toFixed(0)} MB/s`);
  } finally {
    await browser.close();
    server.close();
  }
}

// ---------- workerd ----------
if (cfg.only.includes('workerd')) {
  log('workerd: bundling');
  const wdir = path.join(work, 'workerd');
  mkdirSync(wdir, { recursive: true });
  const wasmExternal = {
    name: 'wasm-external',
    setup(b) {
      // workerd imports .wasm as precompiled modules: keep them as separate modules next to the bundle.
      b.onResolve({ filter: /\.wasm$/ }, (a) => {
        const src = path.resolve(a.resolveDir, a.path);
        copyFileSync(src, path.join(wdir, path.basename(src)));
        return { path: `./${path.basename(src)}`, external: true };
      });
    },
  };
  const scriptPath = path.join(wdir, 'index.mjs');
  await build({
    entryPoints: [path.join(root, 'bench/workerd-entry.ts')],
    outfile: scriptPath,
    bundle: true,
    platform: 'neutral',
    format: 'esm',
    target: 'es2022',
    plugins: [wasmExternal],
    logLevel: 'warning',
    mainFields: ['module', 'main'],
  });
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: wdir,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-04-26',
  });
  try {
    const cases = ['digeststream', 'digeststream-raw', 'subtle', 'wasm-sha256', 'blake3'];
    const out = {};
    for (const c of cases) {
      const inside = [];
      const outside = [];
      let digest;
      for (let i = 0; i < cfg.reps + 1; i++) {
        const t0 = performance.now();
        const r = await (await mf.dispatchFetch(`http://bench/?mb=${cfg.workerdMb}&case=${c}`)).json();
        if (i === 0) continue; // warm-up
        outside.push(performance.now() - t0);
        inside.push(r.ms);
        digest = r.digest;
      }
      out[c] = { inWorkerMs: inside, outsideMs: outside, MBps: mbps(cfg.workerdMb * MiB, median(inside)), digest };
    }
    // One random MiB repeated, regenerated per request: equal digests only within a request, so check lengths only.
    results.workerd = out;
    const label = {
      digeststream: 'SHA-256 stream via StreamingBackend → crypto.DigestStream',
      'digeststream-raw': 'SHA-256 stream piped into DigestStream directly',
      subtle: 'SHA-256 crypto.subtle one-shot (buffered)',
      'wasm-sha256': 'SHA-256 static wasm (hash-wasm binary)',
      blake3: 'BLAKE3 stream via static wasm',
    };
    for (const c of cases)
      row(
        'workerd',
        `${cfg.workerdMb} MiB: ${label[c]}`,
        out[c].MBps,
        c === 'digeststream' ? '' : `${(out[c].MBps / out.digeststream.MBps).toFixed(2)}× DigestStream`,
        `in-Worker median ${median(out[c].inWorkerMs).toFixed(0)} ms, request ${median(out[c].outsideMs).toFixed(0)} ms`,
      );
  } finally {
    await mf.dispose();
  }
}

// ---------- peak RSS on a large model ----------
if (cfg.only.includes('rss') && cfg.rssGb > 0) {
  const model = makeModel(`model-rss-${cfg.rssGb}g`, 8, (cfg.rssGb * 1024) / 8);
  log(`rss: ${(model.bytes / 2 ** 30).toFixed(1)} GiB model`);
  const { digests } = openssl(model.files);
  const signed = await sign(model, digests);
  const r = cliVerify(model, signed);
  results.rss = { bytes: model.bytes, cliMs: r.ms, maxRssMB: r.rssKb / 1024, MBps: mbps(model.bytes, r.ms) };
  row(
    'node',
    `${cfg.rssGb} GiB model: CLI verify peak RSS ${(r.rssKb / 1024).toFixed(0)} MB`,
    results.rss.MBps,
    '',
    `${r.ms.toFixed(0)} ms (cache state as left by data generation)`,
  );
}

// ---------- Sigstore crypto check ----------
if (cfg.only.includes('sigstore') && existsSync(path.join(root, 'bench/sigstore.mjs'))) {
  log('sigstore: bench/sigstore.mjs');
  const r = spawnSync(process.execPath, [path.join(root, 'bench/sigstore.mjs')], { encoding: 'utf8', env: { ...process.env, RUNS: process.env.RUNS ?? '20' } });
  results.sigstore = { status: r.status, lines: r.stdout.trim().split('\n').filter(Boolean) };
  for (const l of results.sigstore.lines) row('sigstore', l.split(':')[0], null, '', l.slice(l.indexOf(':') + 1).trim());
}

// Start-up (issue 17): whole processes, best of N (start-up is a floor, not an average), against `node -e ''` in the
// same run — `--version`, and `verify key` of a one-file model (signed by bench/sign-model.ts like the others).
if (cfg.only.includes('startup')) {
  const n = Math.max(5, cfg.reps * 3);
  const best = (args) => {
    let min = Infinity;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`start-up case failed (${r.status}): ${args.join(' ')}\n${r.stderr}`);
      min = Math.min(min, performance.now() - t0);
    }
    return min;
  };
  const one = makeModel('startup-one-file', 1, 0);
  const file = one.files[0];
  writeFileSync(file, 'one small file\n');
  const { digest } = await import('node:crypto').then((c) => ({ digest: c.createHash('sha256').update(readFileSync(file)).digest('hex') }));
  const signed = await sign(one, { [path.resolve(file)]: digest });
  const cli = path.join(root, 'bin/model-verify.js');
  const nodeMs = best(['-e', '']);
  const versionMs = best([cli, '--version']);
  const verifyMs = best([cli, 'verify', 'key', '--signature', signed.signature, '--public-key', signed.publicKey, '--no-progress', one.dir]);
  results.startup = { runs: n, nodeMs, versionMs, verifyMs, goals: { versionMs: 80, verifyMs: 150 } };
  row('node', "start-up: node -e ''", null, '', `${nodeMs.toFixed(0)} ms`);
  row('node', 'start-up: --version', null, '', `${versionMs.toFixed(0)} ms (goal ≤ 80 ms)`);
  row('node', 'start-up: verify key, one file', null, '', `${verifyMs.toFixed(0)} ms (goal ≤ 150 ms)`);
}

results.machine.loadavgEnd = loadavg();
// A partial run (BENCH_ONLY) keeps the sections it did not measure from the previous results.json.
// BENCH_RESULTS: another file (a trial run beside someone else's must not overwrite bench/results.json).
const resultsFile = process.env.BENCH_RESULTS ? path.resolve(process.env.BENCH_RESULTS) : path.join(root, 'bench/results.json');
const sectionOf = { node: 'node', startup: 'startup', small: 'smallFiles', chromium: 'chromium', workerd: 'workerd', rss: 'rss', sigstore: 'sigstore' };
if (existsSync(resultsFile)) {
  let prev = {};
  try {
    prev = JSON.parse(readFileSync(resultsFile, 'utf8'));
  } catch {
    // unreadable: write this run's sections only
  }
  for (const [part, key] of Object.entries(sectionOf)) if (!cfg.only.includes(part) && prev[key] !== undefined) results[key] = prev[key];
}
writeFileSync(resultsFile, JSON.stringify({ ...results, table }, null, 2) + '\n');
console.table(table);
console.log(
  `load average at start ${results.machine.loadavgStart.map((x) => x.toFixed(1)).join(' ')}, at end ${results.machine.loadavgEnd.map((x) => x.toFixed(1)).join(' ')} (${results.machine.cpus} cores)`,
);
console.log(`results: ${path.relative(root, resultsFile)} (data kept in ${cfg.dir})`);
