/** Every broken trace file gets one line naming the file and what is wrong, and exit code 1. */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportMain } from '../../cli/report.js';
import { bufferIo } from '../../cli/io.js';
import { FOOTER_MAGIC, RECORD_SIZE } from '../../vmm/trace/format.js';
import { beepGuest, bootTraced, dir } from './guest.js';

const good = readFileSync(bootTraced(beepGuest(3, 2)).path);

function footer(trailer: string): Buffer {
  const f = Buffer.alloc(12);
  f.writeUInt32LE(Buffer.byteLength(trailer), 0);
  f.write(FOOTER_MAGIC, 4, 'latin1');
  return Buffer.concat([Buffer.from(trailer), f]);
}

function withTrailer(records: Buffer, trailer: Record<string, unknown>): Buffer {
  return Buffer.concat([records, footer(JSON.stringify(trailer))]);
}

const trailer = { version: 1, profile: 'p', cpuHz: 1e9, devices: ['null'], symbols: [], totalExits: 1, ring: null, stop: '', label: '' };
const record = (reason: number, device: number): Buffer => {
  const r = Buffer.alloc(RECORD_SIZE);
  r.writeUInt16LE(device, 20);
  r.writeUInt8(reason, 22);
  return r;
};

const cases: [string, Buffer | null, RegExp][] = [
  ['missing.trc', null, /missing\.trc: cannot read: ENOENT/],
  ['empty.trc', Buffer.alloc(0), /empty\.trc: not a vamos trace \(0 bytes, too short\)/],
  ['text.trc', Buffer.from('hello, this is not a trace at all\n'), /text\.trc: not a vamos trace \(no VTRACE01 footer/],
  ['truncated.trc', good.subarray(0, good.length - 5), /truncated\.trc: not a vamos trace/],
  ['chopped.trc', good.subarray(7), /chopped\.trc: corrupt trace: trailer length \d+ does not fit the file/],
  ['json.trc', footer('{not json'), /json\.trc: corrupt trace: the trailer is not JSON/],
  ['version.trc', withTrailer(Buffer.alloc(0), { ...trailer, version: 9 }), /version\.trc: unsupported or corrupt trace trailer/],
  ['reason.trc', withTrailer(record(200, 0), trailer), /reason\.trc: corrupt trace: record 0 has exit reason 200/],
  ['device.trc', withTrailer(record(0, 7), trailer), /device\.trc: corrupt trace: record 0 names device 7, the trailer lists 1/],
  ['hz.trc', withTrailer(Buffer.alloc(0), { ...trailer, cpuHz: 0 }), /hz\.trc: corrupt trace: cpuHz 0 is not a frequency/],
];

for (const [name, bytes, message] of cases) {
  t.test(name, async (t) => {
    const path = join(dir, name);
    if (bytes) writeFileSync(path, bytes);
    for (const argv of [[path], ['--format', 'html', path], ['--diff', path, path]]) {
      const io = bufferIo();
      t.equal(reportMain(argv, io), 1, argv.join(' '));
      t.match(io.err, message);
      t.match(io.err, /^vamos report: [^\n]+\n$/, 'one line');
      t.equal(io.out, '');
    }
  });
}

t.test('a good trace still reads', async (t) => {
  const path = join(dir, 'good.trc');
  writeFileSync(path, good);
  const io = bufferIo();
  t.equal(reportMain([path], io), 0, io.err);
});
