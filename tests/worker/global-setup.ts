/** wrangler.toml points static assets at dist/app (the web build); a fresh checkout has none yet. */
import { mkdirSync } from 'node:fs';

export default function setup(): void {
  mkdirSync('dist/app', { recursive: true });
}
