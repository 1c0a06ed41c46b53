/**
 * `npm run bench`: runs the benchmarks and writes JSON under bench/results/. Wall-clock
 * figures about the emulator itself; virtual-time results belong to `vamos bench paper`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { projectFile } from '../vmm/paths.js';
import { cpuBench } from './cpu.js';
import { traceBench } from './trace.js';

function host(): Record<string, unknown> {
  return { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30) };
}

function write(name: string, data: unknown): string {
  const dir = projectFile('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${name}.json`;
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

const cpu = cpuBench();
const file = write('cpu', { date: new Date().toISOString(), host: host(), ...cpu });
console.log(`guest MIPS (interpreter, CPU-bound loop): ${cpu.guestMips.toFixed(1)}   target >= 150`);
console.log(`host ns per exit round trip (out to null port): ${cpu.nsPerExit.toFixed(1)}   target <= 200`);
console.log(`wrote ${file}`);

const trace = traceBench();
const traceFile = write('trace', { date: new Date().toISOString(), host: host(), ...trace });
console.log(`trace overhead (host time traced / untraced, out loop): ${trace.traceOverheadRatio.toFixed(2)}   target < 1.3`);
console.log(`trace bytes per exit: ${trace.bytesPerExit.toFixed(1)}`);
console.log(`wrote ${traceFile}`);
