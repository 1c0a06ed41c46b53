/**
 * `node dist/bench/cc-run.js`: only the C toolchain's benchmark (bench/cc.ts), written to
 * bench/results/cc.json in the same form as `npm run bench` writes it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { projectFile } from '../vmm/paths.js';
import { ccBench } from './cc.js';

const cc = ccBench();
const host = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30) };
mkdirSync(projectFile('bench', 'results'), { recursive: true });
const file = projectFile('bench', 'results', 'cc.json');
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), host, ...cc }, null, 2) + '\n');
const k = (x: number): string => `${Math.round(x).toLocaleString('en')}`;
const e = cc.endToEnd;
console.log(`vamos cc compile only: ${k(cc.compileOnlyLinesPerSecond)} C lines/s at -O2 (${k(cc.compileOnlyLinesPerSecondO0)} at -O0)   target >= 50,000`);
console.log(`end to end (${e.images} programs, ${e.lines} lines): cold libc cache ${k(e.coldLinesPerSecond)} lines/s (${e.coldMs.toFixed(0)} ms), from disk ${k(e.diskLinesPerSecond)} (${e.diskMs.toFixed(0)} ms), warm ${k(e.warmLinesPerSecond)} (${e.warmMs.toFixed(0)} ms)`);
for (const [name, p] of Object.entries(cc.programs)) {
  console.log(`  ${name.padEnd(8)} vamos ${p.vamosMs.toFixed(1)} ms, native gcc -O2 ${p.nativeMs.toFixed(1)} ms: ratio ${p.ratio.toFixed(0)}; `
    + `instructions -O0 ${k(p.instructionsO0)}, -O2 ${k(p.instructions)}, gcc ${p.gccInstructions === undefined ? '?' : k(p.gccInstructions)}: ratio ${p.instructionRatio?.toFixed(2) ?? '?'} (target <= 1.5)`);
}
console.log(`wrote ${file}`);
