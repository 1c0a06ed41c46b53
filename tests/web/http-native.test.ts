/**
 * The HTTP front end and the file layer, built natively (tests/web/native.ts): what each kind of
 * request gets, that the bytes on the wire do not depend on how the input is split or how much
 * output fits per call (pipelining, keep-alive, bodies in pieces), Range against a model of RFC
 * 9110 §14, arbitrary bytes never crash the server, and the page cache's counts.
 */
import t from 'tap';
import fc from 'fast-check';
import { noGcc, parseResponses, runNative, siteFile } from './native.js';
import type { SiteEntry } from '../../middleware/web/site.js';
import { bytes } from './site-fixture.js';

const PAGE = 4096;
const big = bytes(PAGE * 5 + 123, 7);
const entries: SiteEntry[] = [
  { path: '/docs', kind: 'dir', data: new Uint8Array(0) },
  { path: '/docs/x.txt', kind: 'file', data: Buffer.from('x\n') },
  { path: '/big.bin', kind: 'file', data: big },
  { path: '/index.html', kind: 'file', data: Buffer.from('<p>home</p>\n') },
];
const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;

t.test('statuses', { skip: noGcc }, async (t) => {
  const vol = siteFile(entries);
  const one = (req: string): { status: number; headers: Map<string, string>; body: Buffer; closed: boolean } => {
    const r = runNative(vol, req);
    return { ...parseResponses(r.out, [req.startsWith('HEAD')])[0]!, closed: r.closed };
  };
  const cases: [string, number, boolean][] = [
    [get('/docs/x.txt'), 200, false],
    [get('/docs/'), 200, false],
    [get('/docs'), 301, false],
    [get('/nope'), 404, false],
    [get('/docs/x.txt/'), 404, false],
    [get('/%64ocs/x.txt'), 200, false],
    [get('/index.html?query=1#frag'), 200, false],
    [get('/' + 'a'.repeat(400)), 404, false],
    ['DELETE /index.html HTTP/1.1\r\nHost: h\r\n\r\n', 405, false],
    ['GET /index.html HTTP/1.0\r\n\r\n', 200, true],
    ['GET /index.html HTTP/1.1\r\n\r\n', 400, true],                 // no Host
    ['GET /index.html HTTP/2.0\r\nHost: h\r\n\r\n', 400, true],
    ['GET index.html HTTP/1.1\r\nHost: h\r\n\r\n', 400, true],
    [get('/../etc/passwd'), 400, true],
    [get('/docs/%2e%2e/index.html'), 400, true],
    [get('/bad%zz'), 400, true],
    [get('/a%00b'), 400, true],
    [get('/a%0d%0aX-Injected: 1'), 400, true],
    ['GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n', 400, true],
    ['GET / HTTP/1.1\r\nHost : h\r\n\r\n', 400, true],
    [get('/', 'Transfer-Encoding: chunked\r\n'), 400, true],
    [get('/', 'Content-Length: 1\r\nContent-Length: 2\r\n'), 400, true],
    [get('/', `Content-Length: ${(1 << 20) + 1}\r\n`), 413, true],
    [get('/', `X: ${'a'.repeat(9000)}\r\n`), 431, true],
    [get('/big.bin', 'Connection: close\r\n'), 200, true],
  ];
  for (const [req, status, closes] of cases) {
    const r = one(req);
    t.equal(r.status, status, JSON.stringify(req.slice(0, 60)));
    t.equal(r.closed, closes, `${JSON.stringify(req.slice(0, 40))}: ${closes ? 'closes' : 'stays open'}`);
    if (status >= 400) t.match(r.body.toString(), new RegExp(`<h1>${status} `), 'an error has an HTML body');
  }
  const ka = one('GET /index.html HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n');
  t.same([ka.headers.get('connection'), ka.closed], ['keep-alive', false], 'HTTP/1.0 with keep-alive: the reply says so and the connection stays (ab -k relies on it)');
  t.equal(one(get('/big.bin')).headers.get('connection'), undefined, 'HTTP/1.1: keep-alive by default, no header');
  t.equal(one(get('/big.bin')).body.equals(big), true, 'a body of several pages');
  t.equal(one(get('/')).body.toString(), '<p>home</p>\n', '/ serves index.html');
  const head = one('HEAD /big.bin HTTP/1.1\r\nHost: h\r\n\r\n');
  t.equal(head.headers.get('content-length'), String(big.length), 'HEAD: the length of the GET, no body');
  const long = runNative(vol, get('/', `X: ${'a'.repeat(9000)}\r\n`) + get('/index.html'));
  t.equal(parseResponses(long.out).length, 1, 'nothing is read after a 431');
  const body = runNative(vol, get('/index.html', 'Content-Length: 5\r\n') + 'hello' + get('/docs/x.txt'));
  t.same(parseResponses(body.out).map((r) => r.body.toString()), ['<p>home</p>\n', 'x\n'], 'a request body is skipped; the next request follows');
});

t.test('the bytes on the wire do not depend on input splits or output room', { skip: noGcc }, async (t) => {
  const vol = siteFile(entries);
  const paths = ['/big.bin', '/docs/', '/nope', '/index.html', '/docs', '/docs/x.txt'];
  fc.assert(fc.property(
    fc.array(fc.constantFrom(...paths), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 2048, max: 30000 }),
    (reqs, chunk, cap) => {
      const input = reqs.map((p) => get(p)).join('');
      const whole = runNative(vol, input, { cachePages: 64 });
      const split = runNative(vol, input, { cachePages: 2, chunk, cap });
      return whole.out.equals(split.out) && parseResponses(whole.out).length === reqs.length;
    }), { numRuns: 25 });
  t.pass('25 random pipelines, split and drained at random: the same bytes');
});

/** RFC 9110 §14.1.2: the bytes a single range selects, or 416. */
function model(size: number, first: number | undefined, last: number | undefined): { status: number; from?: number; to?: number } {
  if (first === undefined) {
    if (last === 0 || size === 0) return { status: 416 };
    return { status: 206, from: Math.max(0, size - last!), to: size - 1 };
  }
  if (first >= size) return { status: 416 };
  return { status: 206, from: first, to: last === undefined ? size - 1 : Math.min(last, size - 1) };
}

t.test('Range against the model', { skip: noGcc }, async (t) => {
  const vol = siteFile(entries);
  const n = big.length;
  fc.assert(fc.property(
    fc.option(fc.nat({ max: n + 50 }), { nil: undefined }), fc.option(fc.nat({ max: n + 50 }), { nil: undefined }),
    (a, b) => {
      if (a === undefined && b === undefined) return true;
      if (a !== undefined && b !== undefined && b < a) return true; // invalid: ignored (checked below)
      const spec = `bytes=${a ?? ''}-${b ?? ''}`;
      const r = parseResponses(runNative(vol, get('/big.bin', `Range: ${spec}\r\n`)).out)[0]!;
      const m = model(n, a, b);
      if (r.status !== m.status) return false;
      if (m.status === 416) return r.headers.get('content-range') === `bytes */${n}`;
      return r.headers.get('content-range') === `bytes ${m.from}-${m.to}/${n}` && r.body.equals(big.subarray(m.from, m.to! + 1));
    }), { numRuns: 50 });
  t.pass('50 random ranges agree with the model');
  for (const ignored of ['bytes=5-2', 'bytes=0-1,4-5', 'items=0-1', 'bytes=x-']) {
    t.equal(parseResponses(runNative(vol, get('/big.bin', `Range: ${ignored}\r\n`)).out)[0]!.status, 200, `${ignored}: ignored, the whole file`);
  }
  t.equal(parseResponses(runNative(vol, get('/big.bin', 'Range: bytes=0-1\r\nIf-Range: "x"\r\n')).out)[0]!.status, 200, 'If-Range (not supported): the whole file');
});

t.test('arbitrary bytes never crash the server', { skip: noGcc }, async (t) => {
  const vol = siteFile(entries);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 64 }), (input, chunk) => {
    const r = runNative(vol, input, { chunk, cap: 2048 });
    return r.out.length === 0 || r.out.toString('latin1').startsWith('HTTP/1.1 ');
  }), { numRuns: 40 });
  fc.assert(fc.property(fc.array(fc.constantFrom('GET', ' ', '/', 'a', '%', '2e', '\r\n', ':', 'Host', 'Range', 'bytes=', '-', '1', 'HTTP/1.1', ','), { maxLength: 60 }).map((a) => a.join('')), (s) => {
    const r = runNative(vol, s + '\r\n\r\n', { chunk: 7 });
    return r.out.toString('latin1').startsWith('HTTP/1.1 ');
  }), { numRuns: 40 });
  t.pass('random bytes and random request-like text: the server answers or waits, never crashes');
});

t.test('the page cache', { skip: noGcc }, async (t) => {
  const vol = siteFile(entries);
  const pages = Math.ceil(big.length / PAGE); // 6
  const twice = get('/big.bin') + get('/big.bin');
  const warm = runNative(vol, twice, { cachePages: 8 });
  t.same([warm.misses, warm.hits], [pages, pages], 'a cache that holds the file: the second read hits every page');
  const cold = runNative(vol, twice, { cachePages: 2 });
  t.same([cold.misses, cold.hits], [2 * pages, 0], 'a cache smaller than the file: a sequential re-read misses every page (clock)');
});
