// Makes sure Debian's OCI distribution registry (`docker-registry`, the CNCF distribution server) is present for
// the OCI tests (tests/helpers/oci-registry.ts starts it on 127.0.0.1). Installs the apt package when it is missing
// and we run as root; otherwise says what to do. REGISTRY_BIN overrides the default /usr/bin/docker-registry.
// The package's own service is not used: the tests run their own instance with a temporary config and storage.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const bin = process.env.REGISTRY_BIN ?? '/usr/bin/docker-registry';

function present() {
  try {
    accessSync(bin, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

if (!present()) {
  if (process.getuid?.() !== 0) {
    console.error(`OCI registry not found at ${bin}. Install it (sudo apt-get install -y docker-registry) or set REGISTRY_BIN.`);
    process.exit(1);
  }
  console.log('OCI registry not found: installing the Debian package `docker-registry`…');
  // policy-rc.d 101: the package's postinst must not start a system-wide registry on :5000 (we start our own).
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'docker-registry'], { stdio: 'inherit', env });
  if (!present()) {
    console.error(`apt-get installed docker-registry, but ${bin} is still missing; set REGISTRY_BIN.`);
    process.exit(1);
  }
}
