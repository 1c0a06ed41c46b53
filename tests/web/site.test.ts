/**
 * The site volume (docs/web.md): what buildSite writes, readSite reads back, for any tree of
 * names and contents; site.h and site.ts agree on every number; `vamos mksite` writes the volume
 * of a folder, refuses what a site cannot hold in one line, and leaves nothing half-written.
 */
import t from 'tap';
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as site from '../../middleware/web/site.js';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { FILES, makeSiteFolder } from './site-fixture.js';

function vamos(argv: string[]): { code: number; out: string; err: string } {
  const io = bufferIo();
  const code = main(argv, io) as number;
  return { code, out: io.out, err: io.err };
}

t.test('site.h and site.ts hold the same numbers', async (t) => {
  const h = readFileSync(new URL('../../middleware/web/include/site.h', import.meta.url), 'utf8');
  const d = new Map([...h.matchAll(/^#define[ \t]+(\w+)[ \t]+(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
  t.equal(d.get('SITE_MAGIC'), `"${site.SITE_MAGIC}"`);
  for (const k of ['SITE_VERSION', 'SITE_SECTOR', 'SITE_PAGE', 'SITE_ENTRY', 'SITE_PATH_MAX', 'SITE_FILE', 'SITE_DIR'] as const) {
    t.equal(Number(d.get(k)), site[k], k);
  }
});

const name = fc.stringMatching(/^[a-zA-Z0-9 ._&%-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
const tree = fc.uniqueArray(fc.tuple(fc.array(name, { minLength: 1, maxLength: 3 }), fc.uint8Array({ maxLength: 9000 })), { selector: ([p]) => p.join('/'), maxLength: 12 });

t.test('readSite reads back what buildSite wrote', async (t) => {
  fc.assert(fc.property(tree, (files) => {
    const entries = new Map<string, site.SiteEntry>();
    for (const [parts, data] of files) {
      for (let i = 1; i < parts.length; i++) {
        const dir = '/' + parts.slice(0, i).join('/');
        if (!entries.has(dir)) entries.set(dir, { path: dir, kind: 'dir', data: new Uint8Array(0) });
      }
      const p = '/' + parts.join('/');
      if (!entries.has(p)) entries.set(p, { path: p, kind: 'file', data });
    }
    // A name used as both a file and a directory cannot be built: skip those trees.
    const all = [...entries.values()];
    if (all.some((e) => e.kind === 'file' && all.some((o) => o.path.startsWith(e.path + '/')))) return true;
    const vol = site.buildSite(all);
    const back = site.readSite(vol);
    if (back[0]!.path !== '/' || vol.length % site.SITE_PAGE !== 0) return false;
    const byPath = new Map(back.map((e) => [e.path, e]));
    return all.every((e) => byPath.get(e.path)?.kind === e.kind && Buffer.from(byPath.get(e.path)!.data).equals(Buffer.from(e.data)))
      && back.length === all.length + 1
      && back.every((e, i) => i === 0 || Buffer.compare(Buffer.from(back[i - 1]!.path), Buffer.from(e.path)) < 0);
  }), { numRuns: 60 });
  t.pass('60 random trees');
});

t.test('buildSite refuses what the server could not serve', async (t) => {
  const f = (path: string): site.SiteEntry => ({ path, kind: 'file', data: new Uint8Array(1) });
  t.throws(() => site.buildSite([f('/a/b')]), /directory \/a is not in the site/);
  t.throws(() => site.buildSite([f('/' + 'x'.repeat(230))]), /at most 223/);
  t.throws(() => site.buildSite([f('/a\nb')]), /control character/);
  t.throws(() => site.buildSite([f('relative')]), /not a site path/);
  t.throws(() => site.readSite(new Uint8Array(512)), /not a site volume/);
});

t.test('vamos mksite', async (t) => {
  const dir = makeSiteFolder();
  const out = join(mkdtempSync(join(tmpdir(), 'vamos-mksite-')), 'site.vol');
  const r = vamos(['mksite', dir, '-o', out]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, new RegExp(`site.vol: ${Object.keys(FILES).length} files, \\d+ sectors`));
  const back = new Map(site.readSite(readFileSync(out)).map((e) => [e.path, e]));
  for (const [p, data] of Object.entries(FILES)) t.ok(Buffer.from(back.get('/' + p)!.data).equals(data), p);
  t.equal(back.get('/emptydir')?.kind, 'dir');

  const odd = mkdtempSync(join(tmpdir(), 'vamos-mksite-'));
  mkdirSync(join(odd, 'sub'));
  writeFileSync(join(odd, 'sub', 'f'), 'x');
  symlinkSync(join(odd, 'sub', 'f'), join(odd, 'link'));
  const bad = join(odd, 'out.vol');
  const refused = vamos(['mksite', odd, '-o', bad]);
  t.equal(refused.code, 1);
  t.match(refused.err, /^vamos mksite: .*link: not a regular file or directory .*\n$/);
  t.notOk(existsSync(bad), 'nothing written');
  t.match(vamos(['mksite', join(odd, 'missing'), '-o', bad]).err, /^vamos mksite: .*missing: not a directory\n$/);
  t.equal(vamos(['mksite', dir]).code, 2, 'no -o: a usage error');
  t.equal(vamos(['mksite', '-o', bad]).code, 2, 'no folder: a usage error');
});
