/**
 * `vamos serve --app http` with curl (issue 18), in both placements and over both of the
 * hypervisor placement's transports (vmcall, the virtio module channel): byte-identical bodies and
 * the right statuses and headers for the test site (small, large, nested, missing, directory,
 * range, conditional, HEAD), checked against the files on the host; then the clients a server
 * must survive (malformed, a 10 MB head, a slow client, clients that go away mid-body), after
 * which the server still answers and stops cleanly. curl comes from Debian's curl package
 * (.ci/run installs it); without it the test skips.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../gateway/serve-harness.js';
import { fnv1a } from '../../middleware/web/site.js';
import { FILES, LARGE, makeSiteFolder } from './site-fixture.js';

const CURL = '/usr/bin/curl';
const out = mkdtempSync(join(tmpdir(), 'vamos-curl-'));

interface Got { status: number; headers: Map<string, string>; body: Buffer }

function curl(port: number, path: string, extra: readonly string[] = []): Promise<Got> {
  const bodyFile = join(out, `body-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve, reject) => {
    execFile(CURL, ['-s', '-D', '-', '-o', bodyFile, ...extra, `http://127.0.0.1:${port}${path}`], { timeout: 60_000, encoding: 'latin1' }, (e, stdout) => {
      if (e) { reject(new Error(`curl ${path}: ${e.message}`)); return; }
      const [statusLine, ...lines] = stdout.trimEnd().split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: existsSync(bodyFile) ? readFileSync(bodyFile) : Buffer.alloc(0) });
    });
  });
}

/** Raw bytes on one connection; resolves with everything the server sent once it closes (or after `ms`). */
function raw(port: number, send: (s: ReturnType<typeof connect>) => void, ms = 20_000): Promise<{ got: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect(port, '127.0.0.1', () => send(s));
    const done = (closed: boolean): void => { clearTimeout(timer); s.destroy(); resolve({ got: Buffer.concat(chunks), closed }); };
    const timer = setTimeout(() => done(false), ms);
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => done(true));
    s.on('error', () => { /* a reset shows as close */ });
  });
}

const etagOf = (data: Buffer): string => `"${fnv1a(data).toString(16).padStart(8, '0')}-${data.length.toString(16)}"`;

if (!existsSync(CURL)) {
  t.test('curl', { skip: 'curl not found (Debian: apt-get install curl)' }, async () => {});
} else {
  const site = makeSiteFolder();
  for (const [placement, transport] of [['guest', undefined], ['vamos', 'vmcall'], ['vamos', 'virtio']] as const) {
    const where = transport === 'virtio' ? 'vamos (virtio transport)' : placement;
    t.test(`the file layer in the ${where} placement`, async (t) => {
      const served = await startServe(['--app', 'http', '--site', site, '--placement', placement, ...(transport ? ['--transport', transport] : []), '--cache', '64']);
      t.teardown(() => { served.child.kill('SIGKILL'); });
      const port = served.port;

      for (const [name, data] of Object.entries(FILES)) {
        const g = await curl(port, '/' + name.split('/').map(encodeURIComponent).join('/'));
        t.equal(g.status, 200, `${name}: 200`);
        t.ok(g.body.equals(data), `${name}: the body is the host file's bytes (${data.length})`);
        t.equal(g.headers.get('content-length'), String(data.length));
        t.equal(g.headers.get('etag'), etagOf(data));
      }
      t.equal((await curl(port, '/large.bin')).headers.get('content-type'), 'application/octet-stream');
      t.equal((await curl(port, '/style.css')).headers.get('content-type'), 'text/css');

      const root = await curl(port, '/');
      t.ok(root.body.equals(FILES['index.html']!), 'a directory with index.html serves it');
      const missing = await curl(port, '/no/such/file.html');
      t.equal(missing.status, 404);
      t.match(missing.body.toString(), /404 Not Found/);
      const redirect = await curl(port, '/files');
      t.equal(redirect.status, 301);
      t.equal(redirect.headers.get('location'), '/files/');
      const listing = await curl(port, '/files/');
      t.equal(listing.status, 200);
      t.match(listing.body.toString(), /<a href="one.txt">one.txt<\/a>[^]*<a href="page.bin">[^]*<a href="two%20words%20%26%20more.txt">two words &amp; more.txt<\/a>/);
      t.match((await curl(port, '/emptydir/')).body.toString(), /<ul>\n<\/ul>/, 'an empty directory lists nothing');

      const large = FILES['large.bin']!;
      const part = await curl(port, '/large.bin', ['-r', '4000-70000']);
      t.equal(part.status, 206);
      t.ok(part.body.equals(large.subarray(4000, 70001)), 'a range is the slice of the file');
      t.equal(part.headers.get('content-range'), `bytes 4000-70000/${LARGE}`);
      const tail = await curl(port, '/large.bin', ['-r', '-100']);
      t.ok(tail.body.equals(large.subarray(LARGE - 100)), 'a suffix range');
      const beyond = await curl(port, '/large.bin', ['-r', `${LARGE}-`]);
      t.equal(beyond.status, 416);
      t.equal(beyond.headers.get('content-range'), `bytes */${LARGE}`);

      const tag = etagOf(large);
      const fresh = await curl(port, '/large.bin', ['-H', `If-None-Match: ${tag}`]);
      t.equal(fresh.status, 304);
      t.equal(fresh.body.length, 0);
      t.equal(fresh.headers.get('etag'), tag);
      const other = await curl(port, '/files/one.txt', ['-H', 'If-None-Match: "other", W/"also-other"']);
      t.ok(other.status === 200 && other.body.equals(FILES['files/one.txt']!), 'other tags: the whole file');
      t.equal((await curl(port, '/files/one.txt', ['-H', `If-None-Match: "x", W/${etagOf(FILES['files/one.txt']!)}`])).status, 304, 'a weak match in a list: 304');

      const head = await raw(port, (s) => s.write('HEAD /large.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      const headText = head.got.toString('latin1');
      t.match(headText, new RegExp(`^HTTP/1\\.1 200 OK\r\n[^]*Content-Length: ${LARGE}\r\n`), 'HEAD: the headers of the GET');
      t.ok(headText.endsWith('\r\n\r\n'), 'HEAD: no body');
      const post = await curl(port, '/index.html', ['-X', 'POST', '-d', 'x=1']);
      t.equal(post.status, 405);
      t.equal(post.headers.get('allow'), 'GET, HEAD');

      // Keep-alive and pipelining: two requests in one write, two replies in order on one connection.
      const two = await raw(port, (s) => s.write('GET /files/one.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      const text = two.got.toString('latin1');
      t.ok(two.closed, 'Connection: close closes after the reply');
      t.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\none\nHTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n\r\nh1 \{ color: teal \}\n$/);

      // Clients a server must survive.
      const bad = await raw(port, (s) => s.write('GARBAGE\r\n\r\n'));
      t.match(bad.got.toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n[^]*Connection: close/);
      t.ok(bad.closed, 'a malformed request: 400, then the connection closes');
      const huge = await raw(port, (s) => {
        s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Big: ');
        s.write(Buffer.alloc(10 << 20, 0x61), () => { /* the server may close before it is all sent */ });
      });
      t.ok(huge.closed, 'a 10 MB head: the connection closes');
      t.match(huge.got.toString('latin1'), /^(HTTP\/1\.1 431 Request Header Fields Too Large\r\n|)/, 'with a 431 if the client reads it');
      const slow = await raw(port, (s) => {
        const req = 'GET /files/one.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
        let i = 0;
        const tick = setInterval(() => { s.write(req.slice(i, i + 4)); i += 4; if (i >= req.length) clearInterval(tick); }, 15);
      });
      t.match(slow.got.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\none\n$/, 'a slow client gets its reply');
      await raw(port, (s) => { s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n' + 'y'.repeat(3000)); setTimeout(() => s.destroy(), 100); }, 2000);
      await raw(port, (s) => { s.write('GET /large.bin HTTP/1.1\r\nHost: x\r\n\r\n'); s.once('data', () => s.destroy()); }, 2000);
      const after = await curl(port, '/docs/a/b/deep.txt');
      t.ok(after.status === 200 && after.body.equals(FILES['docs/a/b/deep.txt']!), 'after all that, the server still answers');

      t.equal(await served.stop(), 0, 'Ctrl-C: the server stops cleanly');
      t.ok(served.stderr().includes(`file layer in the ${where} placement`), 'the ready line names the placement and transport');
      t.match(served.stdout(), /webserver: shut down/);
      t.match(served.stdout(), placement === 'guest' ? /virtio-blk1 .* reads/ : /vamos-files/);
      // Over the channel, the file layer's operations are requests on the virtio-modchan device, not hypercalls.
      if (transport === 'virtio') t.match(served.stdout(), /virtio-modchan0 \(slot \d+, [^)]*\): \d+ notifications, \d+ interrupts .*, [1-9]\d* requests/);
    });
  }
}
