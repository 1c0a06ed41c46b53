/**
 * The libc cache (toolchain/cc/libc-cache.ts) is invisible except for speed: the objects are
 * the compiler's, the disk entry is read by the next process, and an edited libc source or
 * header gives a new key, so the objects change with it. Works on a copy of the libc in a
 * temporary directory with its own cache directory.
 */
import t from 'tap';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileObject, libcObjects, libcObjectsAt } from '../../toolchain/cc/driver.js';
import { forgetLibcMemo } from '../../toolchain/cc/libc-cache.js';
import { projectFile } from '../../vmm/paths.js';

const root = mkdtempSync(join(tmpdir(), 'vamos-libc-cache-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const dirs = { src: join(root, 'src'), include: join(root, 'include') };
cpSync(projectFile('guest-os', 'libc', 'src'), dirs.src, { recursive: true });
cpSync(projectFile('guest-os', 'libc', 'include'), dirs.include, { recursive: true });
const cache = join(root, 'cache');
const texts = (o: { name: string; text: string }[]): string[] => o.map((x) => `${x.name}\n${x.text}`);

t.test('the default libc: cached objects are the compiler output', async (t) => {
  const cached = libcObjects();
  t.equal(libcObjects(), cached, 'the same objects within a process');
  const dir = projectFile('guest-os', 'libc', 'src');
  const fresh = readdirSync(dir).sort().filter((f) => f.endsWith('.c'))
    .map((f) => compileObject(readFileSync(join(dir, f), 'utf8'), `guest-os/libc/src/${f}`, { includeDirs: [] }));
  t.same(texts(cached.filter((o) => o.unit !== '')), texts(fresh));
});

t.test('a disk entry is written, read back, and replaced when the libc changes', async (t) => {
  const first = libcObjectsAt(dirs, false, cache);
  const entries = readdirSync(cache).filter((n) => n.startsWith('libc-'));
  t.equal(entries.length, 1, 'one entry on disk');
  forgetLibcMemo();
  const again = libcObjectsAt(dirs, false, cache);
  t.not(again, first, 'not the in-memory copy');
  t.same(texts(again), texts(first), 'the disk copy has the same objects');

  // An edited source: a new key, and the new function is in the objects.
  writeFileSync(join(dirs.src, 'string.c'), readFileSync(join(dirs.src, 'string.c'), 'utf8') + '\nint cache_probe_fn(void) { return 7; }\n');
  const edited = libcObjectsAt(dirs, false, cache);
  t.match(edited.find((o) => o.name.endsWith('string.c'))!.text, /cache_probe_fn/, 'an edited source is recompiled');
  t.equal(readdirSync(cache).filter((n) => n.startsWith('libc-')).length, 2, 'under a new key');

  // An edited header (a macro a source uses): the objects follow it.
  writeFileSync(join(dirs.include, 'probe_cache.h'), '#define PROBE_VALUE 11\n');
  writeFileSync(join(dirs.src, 'probe.c'), '#include <probe_cache.h>\nint probe_value(void) { return PROBE_VALUE; }\n');
  const p1 = libcObjectsAt(dirs, false, cache).find((o) => o.name.endsWith('probe.c'))!.text;
  writeFileSync(join(dirs.include, 'probe_cache.h'), '#define PROBE_VALUE 12\n');
  const p2 = libcObjectsAt(dirs, false, cache).find((o) => o.name.endsWith('probe.c'))!.text;
  t.match(p1, /\b11\b/);
  t.match(p2, /\b12\b/, 'an edited header is seen');
  t.notMatch(p2, /\b11\b/);

  // A damaged entry is compiled again rather than served.
  forgetLibcMemo();
  for (const n of readdirSync(cache)) writeFileSync(join(cache, n), '{not json');
  t.same(texts(libcObjectsAt(dirs, false, cache)), texts(libcObjectsAt(dirs, false, join(root, 'cache2'))), 'damaged entry rebuilt');
  t.ok(existsSync(cache));
});
