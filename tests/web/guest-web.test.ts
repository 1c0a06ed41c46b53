/**
 * The web server in the guest, driven in-process on virtual time (no sockets): both placements
 * (the hypervisor one over vmcall and over the virtio module channel) give the same bytes for the same requests, equal to the site's files; a run is the same bit
 * for bit when repeated; and a small point of the experiment pins what its conclusion rests on:
 * the file layer reads the same volume bytes in both placements, and the VAMOS placement makes
 * fewer exits per request (docs/web.md).
 */
import t from 'tap';
import { buildSite, type SiteEntry } from '../../middleware/web/site.js';
import { inProcessWeb } from '../../middleware/web/in-process.js';
import { runWebPoint } from '../../middleware/web/experiment/point.js';
import { benchSite } from '../../middleware/web/experiment/workload.js';
import { loadProfile } from '../../vmm/profile.js';
import { FILES } from './site-fixture.js';
import { parseResponses } from './native.js';

const profile = loadProfile('nehalem-2011');
const entries: SiteEntry[] = [{ path: '/', kind: 'dir', data: new Uint8Array(0) }];
for (const [name, data] of Object.entries(FILES)) {
  const parts = name.split('/');
  for (let i = 1; i < parts.length; i++) {
    const dir = '/' + parts.slice(0, i).join('/');
    if (!entries.some((e) => e.path === dir)) entries.push({ path: dir, kind: 'dir', data: new Uint8Array(0) });
  }
  entries.push({ path: '/' + name, kind: 'file', data });
}
const site = buildSite(entries);
const get = (p: string, extra = ''): string => `GET ${p} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

function session(placement: 'guest' | 'vamos', transport: 'vmcall' | 'virtio' = 'vmcall') {
  const w = inProcessWeb({ placement, transport, site, cachePages: 8, profile, iommu: 'strict' });
  const conns: number[] = [];
  w.onReady(() => w.later(1, () => {
    for (let i = 0; i < 3; i++) conns.push(w.connect());
    // Pipelined on one connection, in pieces that split heads across datagrams.
    const all = get('/large.bin') + get('/files/') + get('/nope') + get('/files/page.bin', 'Range: bytes=5000-9000\r\n');
    for (let at = 0; at < all.length; at += 37) w.send(conns[0]!, all.slice(at, at + 37));
    w.send(conns[1]!, get('/docs/a/b/deep.txt') + get('/index.html', 'Connection: close\r\n'));
    w.send(conns[2]!, 'BROKEN\r\n\r\n');
    w.later(300, () => { for (const c of conns) w.gone(c); w.gw.shutdown(); });
  }));
  const r = w.web.machine.run();
  const vm = w.web.machine.vm;
  return {
    r, replies: conns.map((c) => Buffer.concat(w.client(c).got)), ended: conns.map((c) => w.client(c).ended),
    exits: vm.stats.allRows().map((x) => `${x.reason} ${x.device} ${x.count} ${x.totalCycles}`),
  };
}

t.test('both placements, the same bytes', async (t) => {
  const g = session('guest');
  const v = session('vamos');
  const c = session('vamos', 'virtio');
  for (const s of [g, v, c]) {
    t.equal(s.r.stop, 'poweroff', s.r.message);
    t.match(s.r.console, /webserver: shut down/);
  }
  const first = parseResponses(g.replies[0]!);
  t.same(first.map((r) => r.status), [200, 200, 404, 206]);
  t.ok(first[0]!.body.equals(FILES['large.bin']!), 'the large file, byte for byte');
  t.ok(first[3]!.body.equals(FILES['files/page.bin']!.subarray(5000, 9001)), 'the range');
  t.same(parseResponses(g.replies[1]!).map((r) => r.body.toString()), ['deep inside\n', FILES['index.html']!.toString()]);
  t.same(g.ended, [false, true, true], 'Connection: close and a malformed request close; keep-alive stays open');
  t.match(g.replies[2]!.toString(), /^HTTP\/1\.1 400 Bad Request/);
  for (let i = 0; i < 3; i++) t.ok(v.replies[i]!.equals(g.replies[i]!), `connection ${i}: the vamos placement sends the same bytes`);
  for (let i = 0; i < 3; i++) t.ok(c.replies[i]!.equals(g.replies[i]!), `connection ${i}: and over the virtio module channel`);
  t.same(c.ended, g.ended);
  t.ok(c.exits.some((x) => x.startsWith('mmio virtio-modchan0 ')), 'the virtio placement\'s file operations went over the channel');
  const again = session('vamos');
  t.same(again.exits, v.exits, 'a second run makes the same exits, bit for bit');
  t.equal(again.r.cycles, v.r.cycles);
});

t.test('a point of the experiment', async (t) => {
  const e = benchSite(40, 3);
  const files = e.filter((x) => x.kind === 'file').map((x) => x.data);
  const vol = buildSite(e);
  const point = (placement: 'guest' | 'vamos', cachePages: number, requests: number) => runWebPoint({
    placement, iommu: 'strict', profile, cachePages, site: vol, files, workload: { clients: 4, warmup: 10, requests, seed: 5 },
  });
  const g = point('guest', 16, 40);
  const v = point('vamos', 16, 40);
  t.equal(g.workload.requests, 40);
  // A cache larger than the site misses only on first touches: the same pages in both placements.
  const [gBig, vBig] = [point('guest', 1024, 10), point('vamos', 1024, 10)];
  t.equal(vBig.volumeBytesRun, gBig.volumeBytesRun, `the same file layer: the same volume reads when only first touches miss (${gBig.volumeBytesRun} bytes)`);
  t.ok(g.volumeBytesPerRequest > 0, 'a cache smaller than the site misses');
  t.equal(g.hypercallsPerRequest, 0);
  t.ok(v.hypercallsPerRequest >= 1, 'a GET is at least one hypercall');
  t.ok(v.hypercallsPerRequest < 1.5, `a GET of a file up to 32 KiB is one (the stat brings the bytes along): ${v.hypercallsPerRequest.toFixed(2)} per request`);
  t.ok(v.exitsPerRequest < g.exitsPerRequest, `fewer exits per request at the hypervisor level (${v.exitsPerRequest.toFixed(1)} < ${g.exitsPerRequest.toFixed(1)})`);
  t.ok((g.exitsPerRequestByReason.mmio ?? 0) > (v.exitsPerRequestByReason.mmio ?? 0), 'the exits saved are the disk\'s notifications');
});
