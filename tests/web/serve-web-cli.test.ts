/**
 * `vamos serve --app http` and `vamos bench web` refusals: one line and the documented exit
 * code (docs/cli.md), before any guest is built or booted.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-web-cli-'));

t.test('usage errors exit 2 with one line', async (t) => {
  for (const [args, why] of [
    [['serve', '--app', 'gopher'], /--app gopher: expected redis or http/],
    [['serve', '--app', 'http'], /--app http needs --site DIR/],
    [['serve', '--app', 'http', '--site', dir, '--pool', '64'], /--pool is for the database/],
    [['serve', '--app', 'http', '--site', dir, '--cache', '0'], /--cache 0: expected 1\.\.262144 pages/],
    [['serve', '--app', 'http', '--site', dir, '--placement', 'vamos', '--module', `vamos-files=${join(dir, 'm.mjs')}`], /--module vamos-files: the name is taken by the file layer/],
    [['serve', '--site', dir], /--site is for --app http/],
    [['bench', 'web', '--cache', '0,4'], /--cache 0,4: expected page counts/],
    [['bench', 'web', '--iommu', 'maybe'], /--iommu maybe: expected off, strict or deferred/],
    [['bench', 'web', 'extra'], /bench web takes no positional arguments/],
    [['bench', 'web', '--transport', 'vmcall,shm'], /--transport shm: expected vmcall or virtio/],
    [['serve', '--app', 'http', '--site', dir, '--placement', 'vamos', '--transport', 'pigeon'], /--transport pigeon: expected vmcall or virtio/],
  ] as const) {
    const io = bufferIo();
    t.equal(await main([...args], io), 2, args.join(' '));
    t.match(io.err.split('\n')[0], why);
  }
});

t.test('a site that is not one is bad input: exit 1, one line', async (t) => {
  const junk = join(dir, 'junk.vol');
  writeFileSync(junk, Buffer.alloc(4096, 7));
  const odd = join(dir, 'odd.vol');
  writeFileSync(odd, Buffer.alloc(1000));
  for (const [site, why] of [
    [junk, /^vamos serve: --site .*junk\.vol: not a site volume \(no VAMSITE1 superblock; build one with vamos mksite\)\n$/],
    [odd, /^vamos serve: --site .*odd\.vol: 1000 bytes, not a whole number of sectors: not a site volume\n$/],
    [join(dir, 'missing'), /^vamos serve: --site .*missing: ENOENT\n$/],
  ] as const) {
    const io = bufferIo();
    t.equal(await main(['serve', '--app', 'http', '--port', '0', '--site', site], io), 1, site);
    t.match(io.err, why);
  }
});
