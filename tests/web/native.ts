/**
 * The web front end and file layer built natively with gcc over the file OSAL
 * (tests/web/native_main.c): one connection's bytes in, its replies out, fast enough for
 * property tests. Without gcc the tests that use it skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSite, type SiteEntry } from '../../middleware/web/site.js';
import { projectFile } from '../../vmm/paths.js';

const root = projectFile();
const web = join(root, 'middleware', 'web');
export const noGcc = spawnSync('gcc', ['--version']).status === 0 ? false : 'gcc not found: the native build of the web server needs it';
const tmp = mkdtempSync(join(tmpdir(), 'vamos-web-'));
let exe: string | undefined;

const cFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => join(dir, f));

function nativeServer(): string {
  if (exe) return exe;
  exe = join(tmp, 'web-native');
  const inc = [join(root, 'middleware', 'include'), join(web, 'include'), join(web, 'files'), join(web, 'http')];
  execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-O1', ...inc.flatMap((d) => ['-I', d]), '-o', exe,
    ...cFiles(join(web, 'files')), ...cFiles(join(web, 'http')), join(root, 'middleware', 'osal', 'native.c'), projectFile('tests', 'web', 'native_main.c')], { stdio: 'pipe' });
  return exe;
}

let volumes = 0;
/** A site volume in a temporary file. */
export function siteFile(entries: readonly SiteEntry[]): string {
  const f = join(tmp, `site${volumes++}.vol`);
  writeFileSync(f, buildSite(entries));
  return f;
}

export interface NativeRun { out: Buffer; hits: number; misses: number; closed: boolean }

/** One connection: `input` fed in `chunk`-byte pieces, replies drained `cap` bytes at a time. */
export function runNative(vol: string, input: Uint8Array | string, opts: { cachePages?: number; chunk?: number; cap?: number } = {}): NativeRun {
  const r = spawnSync(nativeServer(), [vol, String(opts.cachePages ?? 16), String(opts.chunk ?? 1 << 20), String(opts.cap ?? 65536)],
    { input: typeof input === 'string' ? Buffer.from(input, 'latin1') : input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`web-native failed (${r.status ?? r.signal}): ${r.stderr}`);
  const m = /hits (\d+) misses (\d+) pages \d+ bytes \d+ closed (\d)/.exec(r.stderr.toString());
  return { out: r.stdout, hits: Number(m?.[1]), misses: Number(m?.[2]), closed: m?.[3] === '1' };
}

/** Splits a reply stream into responses (status, headers, body by Content-Length; none for HEAD/304). */
export function parseResponses(out: Buffer, heads: readonly boolean[] = []): { status: number; headers: Map<string, string>; body: Buffer }[] {
  const res = [];
  let at = 0;
  for (let i = 0; at < out.length; i++) {
    const end = out.indexOf('\r\n\r\n', at);
    if (end < 0) throw new Error(`a reply head without its end at byte ${at}`);
    const [line, ...lines] = out.toString('latin1', at, end).split('\r\n');
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 2)]));
    const status = Number(line!.split(' ')[1]);
    const len = heads[i] || status === 304 ? 0 : Number(headers.get('content-length') ?? 0);
    res.push({ status, headers, body: out.subarray(end + 4, end + 4 + len) });
    at = end + 4 + len;
  }
  return res;
}
