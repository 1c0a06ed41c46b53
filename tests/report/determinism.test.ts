/**
 * Recording only observes: the default guest (serial, timer interrupts, hlt, EOIs) run with and
 * without a trace makes the same exits and ends in the same state, bit for bit; and the trace
 * holds exactly the exits the VMM reported.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { bootRom } from '../../firmware/build.js';
import { defaultGuest } from '../../guest-os/build.js';
import { EXIT_REASONS } from '../../vmm/exits.js';
import { TraceRecorder } from '../../vmm/trace/recorder.js';
import { readTraceFile } from '../../vmm/trace/reader.js';
import { Vm } from '../../vmm/vm.js';
import { dir } from './guest.js';

interface Outcome {
  exits: string[];
  seen: { at: number; eip: number; cycles: number; reason: string; device: string | undefined }[];
  out: string;
  ram: string;
  cpu: string;
  result: ReturnType<Vm['run']>;
}

function run(trace?: TraceRecorder): Outcome {
  const exits: string[] = [];
  const seen: Outcome['seen'] = [];
  let out = '';
  const kernel = defaultGuest();
  const firmware = bootRom();
  const vm: Vm = new Vm({
    kernel, firmware, trace,
    console: (b) => { out += String.fromCharCode(b); },
    onExit: (exit, cycles, device, at, eip) => {
      exits.push(JSON.stringify({ exit, cycles, device: device ?? null, at, eip, now: vm.clock.now }));
      seen.push({ at, eip, cycles, reason: exit.reason, device });
    },
  });
  const result = vm.run();
  trace?.close({ profile: vm.profile.name, cpuHz: vm.profile.cpuHz, stop: result.message, symbols: [] });
  return {
    exits, seen, out, result,
    ram: createHash('sha256').update(vm.mem.ram).digest('hex'),
    cpu: createHash('sha256').update(JSON.stringify({ ...vm.cpu.snapshot(), retired: vm.cpu.retired })).digest('hex'),
  };
}

const plain = run();

for (const [name, opts] of [['stream', {}], ['ring', { ring: 16 }]] as const) {
  t.test(`a run with a trace (${name} mode) is the same run`, async (t) => {
    const path = join(dir, `determinism-${name}.trc`);
    const traced = run(new TraceRecorder(path, opts));
    t.ok(plain.exits.length > 100, `${plain.exits.length} exits to compare`);
    t.equal(traced.exits.length, plain.exits.length, 'same number of exits');
    const k = traced.exits.findIndex((x, i) => x !== plain.exits[i]);
    t.equal(k, -1, k < 0 ? 'same exit sequence' : `exit ${k} differs: ${traced.exits[k]} vs ${plain.exits[k]}`);
    t.equal(traced.out, plain.out, 'same console output');
    t.equal(traced.ram, plain.ram, 'same guest RAM (SHA-256)');
    t.equal(traced.cpu, plain.cpu, 'same registers (SHA-256)');
    t.same(traced.result, plain.result, 'same stop, instructions and cycles');

    const { trailer, records } = readTraceFile(path);
    t.equal(trailer.totalExits, plain.seen.length);
    const expected = 'ring' in opts ? plain.seen.slice(-opts.ring) : plain.seen;
    t.equal(records.length, expected.length);
    const mismatch = records.findIndex((r, i) => {
      const s = expected[i];
      const device = r.device === 0xffff ? undefined : trailer.devices[r.device];
      return r.at !== s.at || r.eip !== s.eip || r.cost !== s.cycles || EXIT_REASONS[r.reason] !== s.reason || device !== s.device;
    });
    t.equal(mismatch, -1, 'each record is the exit the VMM reported: time, eip, cost, reason, device');
  });
}
