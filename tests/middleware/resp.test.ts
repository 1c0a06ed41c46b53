/**
 * The RESP front end (native gcc build): replies byte for byte as a Redis 7 server gives
 * them, requests split anywhere, pipelining, inline commands, protocol errors, our limits and
 * the RANGE command; and a SIGKILL test that every acknowledged SET is durable.
 */
import t from 'tap';
import fc from 'fast-check';
import { cleanup, hex, noGcc, runAndKill, runNative, volume } from './harness.js';

t.teardown(cleanup);

/** A RESP array of bulk strings. */
const cmd = (...args: string[]) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');

/** Feeds each chunk to one connection (one server_handle call each); the replies per chunk. */
function session(chunks: string[], vol = volume()): string[] {
  const lines = ['open 32', ...chunks.map((c) => `resp ${hex(c)}`), 'close'];
  const { out } = runNative(vol, lines);
  return out.slice(1, -1).map((l) => {
    const h = l.slice(5);
    return h === '.' ? '' : Buffer.from(h, 'hex').toString('latin1');
  });
}

const arity = (c: string) => `-ERR wrong number of arguments for '${c}' command\r\n`;
const NOTINT = '-ERR value is not an integer or out of range\r\n';

t.test('PING, GET, SET, DEL, EXISTS, DBSIZE, MGET', { skip: noGcc }, async (t) => {
  const got = session([
    cmd('PING'), cmd('ping', 'hello'), cmd('PING', 'a', 'b'),
    cmd('GET', 'k'), cmd('SET', 'k', 'v1'), cmd('get', 'k'), cmd('SET', 'k', 'value two'), cmd('GeT', 'k'),
    cmd('SET', 'j', ''), cmd('GET', 'j'), cmd('SET', '', 'empty key'), cmd('GET', ''),
    cmd('EXISTS', 'k', 'k', 'nope', 'j'), cmd('DBSIZE'), cmd('MGET', 'k', 'nope', 'j'),
    cmd('DEL', 'k', 'k', 'nope'), cmd('DEL', 'zz'), cmd('EXISTS', 'k'), cmd('DBSIZE'), cmd('DBSIZE', 'x'),
    cmd('GET'), cmd('GET', 'a', 'b'), cmd('SET', 'k'), cmd('DEL'), cmd('EXISTS'), cmd('MGET'), cmd('INCR'),
  ]);
  t.same(got, [
    '+PONG\r\n', '$5\r\nhello\r\n', arity('ping'),
    '$-1\r\n', '+OK\r\n', '$2\r\nv1\r\n', '+OK\r\n', '$9\r\nvalue two\r\n',
    '+OK\r\n', '$0\r\n\r\n', '+OK\r\n', '$9\r\nempty key\r\n',
    ':3\r\n', ':3\r\n', '*3\r\n$9\r\nvalue two\r\n$-1\r\n$0\r\n\r\n',
    ':1\r\n', ':0\r\n', ':0\r\n', ':2\r\n', arity('dbsize'),
    arity('get'), arity('get'), arity('set'), arity('del'), arity('exists'), arity('mget'), arity('incr'),
  ]);
});

t.test('INCR follows string2ll and its overflow rule', { skip: noGcc }, async (t) => {
  const set = (v: string) => cmd('SET', 'n', v);
  const got = session([
    cmd('INCR', 'n'), cmd('INCR', 'n'), cmd('GET', 'n'),
    set('41'), cmd('INCR', 'n'), set('-1'), cmd('INCR', 'n'), set('-9223372036854775808'), cmd('INCR', 'n'),
    set('9223372036854775806'), cmd('INCR', 'n'), cmd('INCR', 'n'),
    set('abc'), cmd('INCR', 'n'), set(' 1'), cmd('INCR', 'n'), set('01'), cmd('INCR', 'n'), set('+1'), cmd('INCR', 'n'),
    set('-0'), cmd('INCR', 'n'), set(''), cmd('INCR', 'n'), set('9223372036854775808'), cmd('INCR', 'n'),
    set('1 '), cmd('INCR', 'n'), set('0'), cmd('INCR', 'n'),
  ]);
  t.same(got, [
    ':1\r\n', ':2\r\n', '$1\r\n2\r\n',
    '+OK\r\n', ':42\r\n', '+OK\r\n', ':0\r\n', '+OK\r\n', ':-9223372036854775807\r\n',
    '+OK\r\n', ':9223372036854775807\r\n', '-ERR increment or decrement would overflow\r\n',
    '+OK\r\n', NOTINT, '+OK\r\n', NOTINT, '+OK\r\n', NOTINT, '+OK\r\n', NOTINT,
    '+OK\r\n', NOTINT, '+OK\r\n', NOTINT, '+OK\r\n', NOTINT,
    '+OK\r\n', NOTINT, '+OK\r\n', ':1\r\n',
  ]);
});

t.test('SET options NX, XX, GET, KEEPTTL', { skip: noGcc }, async (t) => {
  const got = session([
    cmd('SET', 'a', '1', 'NX'), cmd('SET', 'a', '2', 'nx'), cmd('GET', 'a'), cmd('SET', 'b', '1', 'XX'), cmd('GET', 'b'),
    cmd('SET', 'a', '3', 'XX'), cmd('SET', 'a', '4', 'GET'), cmd('SET', 'c', '1', 'GET'), cmd('SET', 'a', '5', 'NX', 'GET'),
    cmd('SET', 'a', '6', 'NX', 'XX'), cmd('SET', 'a', '7', 'BOGUS'), cmd('SET', 'a', '8', 'KEEPTTL'), cmd('GET', 'a'),
    cmd('SET', 'a', '9', 'EX'),
  ]);
  t.same(got, [
    '+OK\r\n', '$-1\r\n', '$1\r\n1\r\n', '$-1\r\n', '$-1\r\n',
    '+OK\r\n', '$1\r\n3\r\n', '$-1\r\n', '$1\r\n4\r\n',
    '-ERR syntax error\r\n', '-ERR syntax error\r\n', '+OK\r\n', '$1\r\n8\r\n',
    '-ERR syntax error\r\n',
  ]);
});

t.test('unknown commands as Redis 7 words them', { skip: noGcc }, async (t) => {
  const long = 'x'.repeat(200);
  const got = session([cmd('FOO'), cmd('foo', 'a', 'b c'), cmd(long), cmd('nope', long, 'more'), cmd('Q', 'a\r\nb'), cmd('', 'x')]);
  t.same(got, [
    "-ERR unknown command 'FOO', with args beginning with: \r\n",
    "-ERR unknown command 'foo', with args beginning with: 'a' 'b c' \r\n",
    `-ERR unknown command '${'x'.repeat(128)}', with args beginning with: \r\n`,
    `-ERR unknown command 'nope', with args beginning with: '${'x'.repeat(128)}' \r\n`,
    "-ERR unknown command 'Q', with args beginning with: 'a  b' \r\n",
    "-ERR unknown command '', with args beginning with: 'x' \r\n",
  ]);
});

t.test('requests split anywhere, and pipelined', { skip: noGcc }, async (t) => {
  const req = cmd('SET', 'split', 'hello world') + cmd('GET', 'split');
  const bytes = req.split('');
  const got = session(bytes);
  t.equal(got.join(''), '+OK\r\n$11\r\nhello world\r\n', 'one byte per call');
  t.same(got.filter((r) => r !== ''), ['+OK\r\n', '$11\r\nhello world\r\n'], 'each reply as soon as its request is whole');
  const pipe = session([cmd('SET', 'p', '1') + cmd('INCR', 'p') + cmd('INCR', 'p') + 'GET p\r\nPING\r\n' + cmd('GET', 'p').slice(0, 7), cmd('GET', 'p').slice(7)]);
  t.same(pipe, [':2\r\n'.replace(':2', '+OK\r\n:2') + ':3\r\n$1\r\n3\r\n+PONG\r\n', '$1\r\n3\r\n']);
  for (let cut = 1; cut < req.length; cut += 3) {
    const r = session([req.slice(0, cut), req.slice(cut)]);
    if (r.join('') !== '+OK\r\n$11\r\nhello world\r\n') { t.fail(`split at ${cut}: ${JSON.stringify(r)}`); return; }
  }
  t.pass('split at every third byte');
});

t.test('inline commands: quoting and escapes like redis-cli and sdssplitargs', { skip: noGcc }, async (t) => {
  const got = session([
    'SET k "a b"\r\n', 'GET k\n', '  GET   k  \r\n', 'SET q "\\x41\\n\\"" \r\n', 'GET q\r\n', "SET s 'it\\'s'\r\n", 'GET s\r\n',
    'SET m a"b c"\r\n', 'GET m\r\n', '\r\n', '\n', 'SET u "open\r\n', 'PING\r\n', 'SET u "x"y\r\n', 'GET k\r\n',
  ]);
  t.same(got, [
    '+OK\r\n', '$3\r\na b\r\n', '$3\r\na b\r\n', '+OK\r\n', '$3\r\nA\n"\r\n', '+OK\r\n', "$4\r\nit's\r\n",
    '+OK\r\n', '$4\r\nab c\r\n', '', '', '-ERR Protocol error: unbalanced quotes in request\r\n', '+PONG\r\n',
    '-ERR Protocol error: unbalanced quotes in request\r\n', '$3\r\na b\r\n',
  ]);
});

t.test('protocol errors, with the rest of the input dropped', { skip: noGcc }, async (t) => {
  const got = session([
    '*x\r\n', '*1\r\n+foo\r\n', '*1\r\n$-5\r\n', '*1\r\n$abc\r\n', '*2\r\n$3\r\nGET\r\n:1\r\nPING\r\n', 'PING\r\n',
    '*0\r\n', '*-1\r\n', '*3000000000\r\n', '*1\r\n$4\r\nPING\r\n', `*1\r\n$${100000}\r\n`,
  ]);
  t.same(got, [
    '-ERR Protocol error: invalid multibulk length\r\n', "-ERR Protocol error: expected '$', got '+'\r\n",
    '-ERR Protocol error: invalid bulk length\r\n', '-ERR Protocol error: invalid bulk length\r\n',
    "-ERR Protocol error: expected '$', got ':'\r\n", '+PONG\r\n', '', '', '-ERR Protocol error: invalid multibulk length\r\n',
    '+PONG\r\n', '-ERR Protocol error: invalid bulk length\r\n',
  ]);
});

t.test('our limits: 64-byte keys, 1000-byte values, a 64 KiB request', { skip: noGcc }, async (t) => {
  const k64 = 'k'.repeat(64), k65 = 'k'.repeat(65), v1000 = 'v'.repeat(1000);
  const got = session([
    cmd('SET', k64, v1000), cmd('GET', k64), cmd('SET', k65, '1'), cmd('GET', k65), cmd('EXISTS', k65), cmd('DEL', k65),
    cmd('INCR', k65), cmd('SET', 'x', v1000 + 'v'), cmd('MGET', k64, k65), 'PING ' + 'a'.repeat(66000),
    cmd('PING'),
  ]);
  t.same(got, [
    '+OK\r\n', `$1000\r\n${v1000}\r\n`, '-ERR key too long (the limit is 64 bytes)\r\n', '$-1\r\n', ':0\r\n', ':0\r\n',
    '-ERR key too long (the limit is 64 bytes)\r\n', '-ERR value too long (the limit is 1000 bytes)\r\n',
    `*2\r\n$1000\r\n${v1000}\r\n$-1\r\n`, '-ERR Protocol error: too big request\r\n', '+PONG\r\n',
  ]);
});

t.test('RANGE start end [COUNT n]', { skip: noGcc }, async (t) => {
  const kv = (...ks: string[]) => `*${ks.length * 2}\r\n` + ks.map((k) => `$${k.length}\r\n${k}\r\n$${k.length + 1}\r\nv${k}\r\n`).join('');
  const setup = ['a', 'b', 'ba', 'c', 'd'].map((k) => cmd('SET', k, 'v' + k));
  const got = session([
    ...setup, cmd('RANGE', 'b', 'c'), cmd('range', '', '\xff'), cmd('RANGE', 'b', 'z', 'COUNT', '2'), cmd('RANGE', 'a', 'z', 'count', '0'),
    cmd('RANGE', 'x', 'z'), cmd('RANGE', 'c', 'a'), cmd('RANGE', 'a', 'z', 'COUNT', '-1'), cmd('RANGE', 'a', 'z', 'COUNT', 'x'),
    cmd('RANGE', 'a'), cmd('RANGE', 'a', 'b', 'COUNT'), cmd('RANGE', 'a', 'b', 'LIMIT', '1'), cmd('RANGE', 'a', 'b', 'COUNT', '1', 'x'),
  ]);
  t.same(got, [
    ...setup.map(() => '+OK\r\n'), kv('b', 'ba', 'c'), kv('a', 'b', 'ba', 'c', 'd'), kv('b', 'ba'), '*0\r\n',
    '*0\r\n', '*0\r\n', NOTINT, NOTINT,
    arity('range'), '-ERR syntax error\r\n', '-ERR syntax error\r\n', '-ERR syntax error\r\n',
  ]);
});

t.test('replies larger than the output buffer continue in the next call', { skip: noGcc }, async (t) => {
  const v = 'x'.repeat(900);
  const sets = Array.from({ length: 40 }, (_, i) => cmd('SET', `key${String(i).padStart(2, '0')}`, v)).join('');
  const gets = Array.from({ length: 40 }, (_, i) => cmd('GET', `key${String(i).padStart(2, '0')}`)).join('');
  const { out } = runNative(volume(), ['open 32', `respn 4096 ${hex(sets + gets + cmd('RANGE', 'key00', 'key99'))}`, 'close']);
  const m = /^resp (\d+) ([0-9a-f]+)$/.exec(out[1]);
  const reply = Buffer.from(m?.[2] ?? '', 'hex').toString('latin1');
  const one = `$900\r\n${v}\r\n`;
  const rangeHead = reply.slice(5 * 40 + 40 * one.length);
  t.equal(reply.slice(0, 5 * 40 + 40 * one.length), '+OK\r\n'.repeat(40) + one.repeat(40), 'the SETs and GETs, in order');
  t.match(rangeHead, /^\*\d+\r\n\$5\r\nkey00\r\n/, 'RANGE gets a fresh buffer and returns what fits in it');
  t.ok(Number(m?.[1]) > 10, `${m?.[1]} calls`);
});

t.test('every acknowledged SET survives SIGKILL', { skip: noGcc }, async (t) => {
  const vol = volume();
  const lines = ['open 16', ...Array.from({ length: 300 }, (_, i) => `resp ${hex(cmd('SET', `k${i % 120}`, `${i}`.repeat(1 + (i % 50))))}`)];
  const out = await runAndKill(vol, lines, 150);
  const acked = out.length - 1;
  t.ok(acked >= 149, `${acked} SETs acknowledged before the kill`);
  const want = new Map<string, string>();
  for (let i = 0; i < acked; i++) want.set(`k${i % 120}`, `${i}`.repeat(1 + (i % 50)));
  const keys = [...want.keys()];
  const values: (string | null)[] = [];
  for (const got of session([0, 30, 60, 90].map((i) => cmd('MGET', ...keys.slice(i, i + 30))), vol)) {
    const parts = got.split('\r\n');      // an MGET's reply must fit the driver's 70000-byte buffer
    for (let i = 1; i < parts.length - 1; i++) values.push(parts[i] === '$-1' ? null : parts[++i]);
  }
  // SIGKILL lands a little after the 150th line: SETs after the acknowledged ones may be there too
  const later = (k: string, v: string | null) => {
    for (let i = acked; i < 300; i++) if (`k${i % 120}` === k && `${i}`.repeat(1 + (i % 50)) === v) return true;
    return false;
  };
  const stale = keys.filter((k, i) => values[i] !== want.get(k) && !later(k, values[i]));
  t.same(stale, [], 'every acknowledged value is there');
  t.equal(values.length, keys.length, 'and every key');
});

/** Splits a reply stream into whole RESP2 replies; throws on anything malformed. */
function replies(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  const line = () => { const e = s.indexOf('\r\n', i); if (e < 0) throw new Error(`no CRLF at ${i}`); const l = s.slice(i, e); i = e + 2; return l; };
  const one = (): void => {
    const l = line();
    if (/^[+-]/.test(l) || /^:-?\d+$/.test(l)) return;
    if (/^\$-1$/.test(l)) return;
    if (/^\$\d+$/.test(l)) { i += Number(l.slice(1)); if (s.slice(i, i + 2) !== '\r\n') throw new Error('bad bulk'); i += 2; return; }
    if (/^\*\d+$/.test(l)) { for (let n = Number(l.slice(1)); n > 0; n--) one(); return; }
    throw new Error(`bad reply line ${JSON.stringify(l)}`);
  };
  while (i < s.length) { const start = i; one(); out.push(s.slice(start, i)); }
  return out;
}

t.test('random bytes: well-formed replies only, and the server goes on', { skip: noGcc }, async (t) => {
  const piece = fc.constantFrom('*', '$', '\r\n', '\r', '\n', '-', '1', '3', '0', '9', 'SET', 'GET', 'RANGE', 'INCR', 'MGET',
    ' ', '"', "'", '\\x4', '\\', 'k', 'v'.repeat(50), 'COUNT', '\x00', '\xff', cmd('SET', 'a', '1'), cmd('GET', 'a'));
  fc.assert(fc.property(fc.array(fc.array(piece, { maxLength: 12 }).map((a) => a.join('')), { minLength: 1, maxLength: 40 }), (chunks) => {
    const got = session([...chunks, '\r\n', cmd('PING')]);
    const all = replies(got.join(''));
    return got[got.length - 1] === '+PONG\r\n' && all.length >= 1;
  }), { numRuns: 40, seed: 7 });
  t.pass('40 random sessions');
});
