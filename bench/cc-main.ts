/**
 * bench/results/cc.json alone. `npm run bench` runs this in a process of its own: the compile
 * speed it measures is a garbage collector's figure as much as the compiler's, and measured in
 * the process the CPU bench had just used (its VMs' memories and code caches still on the
 * heap), the same compiler gave 40,600 lines/s against 46,200 alone (docs/cc-toolchain.md).
 */
import { writeResult } from './results.js';
import { ccBench } from './cc.js';

const cc = ccBench();
const ccFile = writeResult('cc', cc);
console.log(`vamos cc: ${Math.round(cc.linesPerSecond)} C lines/s end to end, ${Math.round(cc.compileOnlyLinesPerSecond)} without assembling and linking   target >= 50,000`);
for (const [name, p] of Object.entries(cc.programs)) {
  console.log(`  ${name.padEnd(8)} vamos ${p.vamosMs.toFixed(1)} ms, native gcc -O2 ${p.nativeMs.toFixed(1)} ms: ratio ${p.ratio.toFixed(0)}`);
}
console.log(`wrote ${ccFile}`);
