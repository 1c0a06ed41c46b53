/**
 * `vamos serve`'s refusals: one line and the documented exit code (docs/cli.md), before any
 * guest is built or booted.
 */
import t from 'tap';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';

t.test('usage errors exit 2 with one line and the usage', async (t) => {
  for (const [args, why] of [
    [['--placement', 'hypervisor'], /--placement hypervisor: expected guest or vamos/],
    [['--iommu', 'sometimes'], /--iommu sometimes: expected off, strict or deferred/],
    [['--placement', 'vamos', '--transport', 'shm'], /--transport shm: expected vmcall or virtio/],
    [['--transport', 'virtio'], /--transport is for --placement vamos \(the guest placement has no stub\)/],
    [['--app', 'http', '--site', '.', '--transport', 'vmcall'], /--transport is for --placement vamos/],
    [['--port', '70000'], /--port 70000: expected 0\.\.65535/],
    [['--pool', '3'], /--pool 3: expected 16\.\.65536 pages/],
    [['--volume-size', '1000'], /--volume-size: 1000 bytes/],
    [['--trace-ring', '5'], /--trace-ring needs --trace FILE/],
    [['extra'], /serve takes no positional arguments/],
    [['--bogus'], /--bogus/],
  ] as const) {
    const io = bufferIo();
    t.equal(await main(['serve', ...args], io), 2, args.join(' '));
    t.match(io.err, why);
    t.match(io.err.split('\n')[0], /^vamos serve: /);
  }
});

t.test('a port already taken is bad input: exit 1, one line', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  const io = bufferIo();
  t.equal(await main(['serve', '--port', String(port)], io), 1);
  t.equal(io.err, `vamos serve: net gateway: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`);
  blocker.close();
});

t.test('vamos boot --wall-clock without a host network is a usage error (such a run is deterministic)', async (t) => {
  const io = bufferIo();
  t.equal(await main(['boot', '--wall-clock'], io), 2);
  t.match(io.err, /^vamos boot: --wall-clock needs a host network/);
});

t.test('an existing file that is not a database is refused, not formatted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vamos-serve-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const notes = join(dir, 'notes.txt');
  const bytes = Buffer.alloc(1 << 20, 'my notes, not a database\n');
  writeFileSync(notes, bytes);
  const io = bufferIo();
  t.equal(await main(['serve', '--port', '0', '--volume', notes], io), 1);
  t.equal(io.err, `vamos serve: --volume ${notes}: not a vamos database (no engine superblock) and not empty; not formatting it\n`);
  t.ok(readFileSync(notes).equals(bytes), 'the file is untouched');
});

t.test('a --trace file that cannot be created: exit 1, one line, and no hang (the gateway is closed)', async (t) => {
  const io = bufferIo();
  t.equal(await main(['serve', '--port', '0', '--trace', '/nonexistent-dir/x.trace'], io), 1);
  t.match(io.err, /^vamos serve: .*nonexistent-dir/);
  t.equal(io.err.split('\n').length, 2, 'one line');
});
