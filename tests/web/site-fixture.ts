/**
 * The test site of the web tests: small, large, nested, empty and oddly named files, a directory
 * with an index.html and one without, built in a temporary folder (bytes from a fixed seed).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LARGE = 300_007;   // two hundred datagrams, not a multiple of a page

/** Deterministic bytes (an LCG). */
export function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

export const FILES: Record<string, Buffer> = {
  'index.html': Buffer.from('<!DOCTYPE html>\n<h1>vamos web</h1>\n'),
  'large.bin': bytes(LARGE, 1),
  'empty.txt': Buffer.alloc(0),
  'style.css': Buffer.from('h1 { color: teal }\n'),
  'docs/index.html': Buffer.from('<p>docs</p>\n'),
  'docs/a/b/deep.txt': Buffer.from('deep inside\n'),
  'files/one.txt': Buffer.from('one\n'),
  'files/two words & more.txt': Buffer.from('two\n'),
  'files/page.bin': bytes(4096 * 3 + 17, 2),
};

/** Writes the site into a fresh temporary folder and returns it. */
export function makeSiteFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vamos-site-'));
  for (const [name, data] of Object.entries(FILES)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  mkdirSync(join(dir, 'emptydir'));
  return dir;
}
