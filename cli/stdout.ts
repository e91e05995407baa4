/**
 * The verify commands' result on stdout. On a pipe, process.stdout is a net.Socket: loading node:net and setting
 * the socket up cost ~4 ms of a one-file `verify key` on the 2-core machine (issue 17), for one write at the end.
 * So the text goes out with one write(2) on fd 1 when that takes all of it. Anything else (a partial write, EAGAIN
 * on a full non-blocking pipe, EPIPE, a closed fd, Windows consoles, which want process.stdout's UTF-16 path)
 * hands the rest to process.stdout, which then carries every later write too, in order.
 */
import { writeSync } from 'node:fs';

let viaStream = process.platform === 'win32';

export function writeStdout(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  if (!viaStream) {
    try {
      written = writeSync(1, bytes);
    } catch {
      written = 0;
    }
  }
  if (written < bytes.length) {
    viaStream = true;
    process.stdout.write(bytes.subarray(written));
  }
}
