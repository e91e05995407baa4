// Makes sure Debian's Chromium is present for the Playwright e2e tests (Playwright's own browser download
// is not used). Installs the `chromium` apt package when it is missing and we run as root; otherwise
// explains what to do. CHROMIUM_PATH overrides the default /usr/bin/chromium.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function present() {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

if (!present()) {
  if (process.getuid?.() !== 0) {
    console.error(`Chromium not found at ${path}. Install it (sudo apt-get install -y chromium) or set CHROMIUM_PATH.`);
    process.exit(1);
  }
  console.log('Chromium not found: installing the Debian package `chromium`…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  if (!present()) {
    console.error(`apt-get installed chromium, but ${path} is still missing; set CHROMIUM_PATH.`);
    process.exit(1);
  }
}
