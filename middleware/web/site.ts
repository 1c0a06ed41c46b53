/**
 * The site volume (docs/web.md; middleware/web/include/site.h holds the same layout): a
 * read-only image of a host folder that the web server's file layer serves. `vamos mksite`
 * writes one; `vamos serve --app http --site DIR` builds one in memory.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SITE_MAGIC = 'VAMSITE1';
export const SITE_VERSION = 1;
export const SITE_SECTOR = 512;
export const SITE_PAGE = 4096;
export const SITE_ENTRY = 256;
export const SITE_PATH_MAX = 223;
export const SITE_FILE = 1;
export const SITE_DIR = 2;

export interface SiteEntry {
  /** "/" for the root, "/docs/a.html" for a file in a subdirectory. */
  path: string;
  kind: 'file' | 'dir';
  /** A file's bytes (empty for a directory). */
  data: Uint8Array;
}

export class SiteError extends Error {}

/** FNV-1a, 32 bits: the file's entity tag (files.h), cheap to compute on both sides. */
export function fnv1a(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of data) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const parentOf = (path: string): string => (path.lastIndexOf('/') === 0 ? '/' : path.slice(0, path.lastIndexOf('/')));

/**
 * Lays out the volume: the superblock, the entry table sorted by path in byte order, then each
 * file from a 4 KiB boundary. Every directory on a file's path must be an entry too.
 */
export function buildSite(entries: readonly SiteEntry[]): Uint8Array {
  const all = [...entries];
  if (!all.some((e) => e.path === '/')) all.push({ path: '/', kind: 'dir', data: new Uint8Array(0) });
  all.sort((a, b) => byteOrder(a.path, b.path));
  const index = new Map(all.map((e, i) => [e.path, i]));
  for (const e of all) {
    const bytes = Buffer.byteLength(e.path, 'utf8');
    if (!e.path.startsWith('/') || (e.path !== '/' && e.path.endsWith('/')) || e.path.includes('//')) throw new SiteError(`'${e.path}': not a site path (/name/name..., no empty names)`);
    if (bytes > SITE_PATH_MAX) throw new SiteError(`'${e.path}': the path is ${bytes} bytes; a site path has at most ${SITE_PATH_MAX}`);
    if (/[\x00-\x1f\x7f]/.test(e.path)) throw new SiteError(`'${e.path.replace(/[\x00-\x1f\x7f]/g, '?')}': a control character in a name (the server refuses such paths)`);
    if (e.path.split('/').some((s) => s === '.' || s === '..')) throw new SiteError(`'${e.path}': '.' and '..' cannot be names`);
    if (e.data.length > 0xffff_ffff) throw new SiteError(`'${e.path}': larger than 4 GiB - 1`);
    if (e.path !== '/' && all[index.get(parentOf(e.path)) ?? -1]?.kind !== 'dir') throw new SiteError(`'${e.path}': its directory ${parentOf(e.path)} is not in the site`);
  }
  if (index.size !== all.length) throw new SiteError('two entries with the same path');
  const tableSectors = Math.ceil((all.length * SITE_ENTRY) / SITE_SECTOR);
  const pageSectors = SITE_PAGE / SITE_SECTOR;
  const dataSector = Math.ceil((1 + tableSectors) / pageSectors) * pageSectors;
  const first: number[] = [];
  let at = dataSector;
  for (const e of all) {
    first.push(e.kind === 'file' ? at : 0);
    if (e.kind === 'file') at += Math.ceil(e.data.length / SITE_PAGE) * pageSectors;
  }
  const total = Math.max(at, dataSector);
  if (total > 0xffff_ffff) throw new SiteError('the site is larger than 2 TiB');
  const out = Buffer.alloc(total * SITE_SECTOR);
  out.write(SITE_MAGIC, 0, 'latin1');
  out.writeUInt32LE(SITE_VERSION, 8);
  out.writeUInt32LE(all.length, 12);
  out.writeUInt32LE(tableSectors, 16);
  out.writeUInt32LE(dataSector, 20);
  out.writeUInt32LE(total, 24);
  all.forEach((e, i) => {
    const o = SITE_SECTOR + i * SITE_ENTRY;
    out.writeUInt32LE(e.kind === 'file' ? SITE_FILE : SITE_DIR, o);
    out.writeUInt32LE(e.kind === 'file' ? e.data.length : 0, o + 4);
    out.writeUInt32LE(first[i]!, o + 8);
    out.writeUInt32LE(e.kind === 'file' ? fnv1a(e.data) : 0, o + 12);
    out.writeUInt32LE(e.path === '/' ? 0 : index.get(parentOf(e.path))!, o + 16);
    out.write(e.path, o + 32, 'utf8');
    if (e.kind === 'file') out.set(e.data, first[i]! * SITE_SECTOR);
  });
  return out;
}

/** The entries of a volume buildSite wrote (for tests and for checking a --site file). */
export function readSite(vol: Uint8Array): SiteEntry[] {
  const b = Buffer.from(vol.buffer, vol.byteOffset, vol.byteLength);
  if (b.length < SITE_SECTOR || b.toString('latin1', 0, 8) !== SITE_MAGIC) throw new SiteError('not a site volume (no VAMSITE1 superblock; build one with vamos mksite)');
  if (b.readUInt32LE(8) !== SITE_VERSION) throw new SiteError(`site volume version ${b.readUInt32LE(8)}; this vamos reads version ${SITE_VERSION}`);
  const n = b.readUInt32LE(12);
  if (SITE_SECTOR + n * SITE_ENTRY > b.length || b.readUInt32LE(24) * SITE_SECTOR > b.length) throw new SiteError('the site volume is cut short');
  const out: SiteEntry[] = [];
  for (let i = 0; i < n; i++) {
    const o = SITE_SECTOR + i * SITE_ENTRY;
    const kind = b.readUInt32LE(o) === SITE_FILE ? 'file' : 'dir';
    const size = b.readUInt32LE(o + 4), first = b.readUInt32LE(o + 8) * SITE_SECTOR;
    const raw = b.subarray(o + 32, o + 32 + SITE_PATH_MAX);
    const path = raw.toString('utf8', 0, raw.indexOf(0) < 0 ? raw.length : raw.indexOf(0));
    out.push({ path, kind, data: kind === 'file' ? new Uint8Array(b.subarray(first, first + size)) : new Uint8Array(0) });
  }
  return out;
}

/**
 * The entries of a host folder: its regular files and directories, recursively. Symbolic links
 * and other kinds are refused, so the volume never holds what the folder only points at.
 */
export function entriesFromFolder(dir: string): SiteEntry[] {
  const out: SiteEntry[] = [{ path: '/', kind: 'dir', data: new Uint8Array(0) }];
  const walk = (host: string, site: string): void => {
    for (const name of readdirSync(host).sort()) {
      const h = join(host, name), p = `${site === '/' ? '' : site}/${name}`;
      const st = lstatSync(h);
      if (st.isDirectory()) { out.push({ path: p, kind: 'dir', data: new Uint8Array(0) }); walk(h, p); }
      else if (st.isFile()) out.push({ path: p, kind: 'file', data: readFileSync(h) });
      else throw new SiteError(`${h}: not a regular file or directory (a site holds only those; symbolic links are not followed)`);
    }
  };
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new SiteError(`${dir}: not a directory`);
  walk(dir, '/');
  return out;
}
