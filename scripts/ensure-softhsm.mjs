// Makes sure SoftHSM2 (Debian's `softhsm2`: the PKCS#11 module and softhsm2-util) is present for the PKCS#11
// signing tests. Installs it with apt-get when it is missing and we run as root; otherwise says what to do.
// Usable as a script (`node scripts/ensure-softhsm.mjs`, exit 1 when it cannot) and as a module (the tests'
// beforeAll): ensureSoftHsm() returns the module path or throws with the reason.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where Debian and other distributions put libsofthsm2.so; SOFTHSM2_MODULE overrides. */
const MODULES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib64/pkcs11/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

function usable(p, mode = constants.R_OK) {
  try {
    accessSync(p, mode);
    return true;
  } catch {
    return false;
  }
}

function findModule() {
  if (process.env.SOFTHSM2_MODULE) return usable(process.env.SOFTHSM2_MODULE) ? process.env.SOFTHSM2_MODULE : null;
  return MODULES.find((m) => usable(m)) ?? null;
}

function findUtil() {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    if (d && usable(`${d}/softhsm2-util`, constants.X_OK)) return `${d}/softhsm2-util`;
  }
  return null;
}

/** { module, util } of an installed SoftHSM2, installing Debian's package first when possible. */
export function ensureSoftHsm({ quiet = false } = {}) {
  let module = findModule();
  let util = findUtil();
  if (module && util) return { module, util };
  if (process.getuid?.() !== 0) {
    throw new Error('SoftHSM2 is not installed: install it (sudo apt-get install -y softhsm2) or set SOFTHSM2_MODULE to libsofthsm2.so');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const stdio = quiet ? 'pipe' : 'inherit';
  if (!quiet) console.log('SoftHSM2 not found: installing the Debian package `softhsm2`…');
  try {
    execFileSync('apt-get', ['update'], { stdio, env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'softhsm2'], { stdio, env });
  } catch (e) {
    throw new Error(`apt-get could not install softhsm2: ${e.message}`);
  }
  module = findModule();
  util = findUtil();
  if (!module || !util) throw new Error(`apt-get installed softhsm2, but libsofthsm2.so or softhsm2-util is still missing (looked in ${MODULES.join(', ')})`);
  return { module, util };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { module, util } = ensureSoftHsm();
    console.log(`SoftHSM2: module ${module}, ${util}`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
