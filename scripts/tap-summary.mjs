#!/usr/bin/env node
// Reads a TAP stream on stdin, passes it through, and ends with the plain line
// "N passed, N failed[, N skipped]" that CI reads. Leaf assertions are counted; a subtest's own
// result line is not counted again, except that a failed subtest with no failed assertion inside
// (a test file that crashed or timed out) counts as one failure.
import { Parser } from 'tap-parser';

const total = { passed: 0, failed: 0, skipped: 0 };
function attach(p) {
  const mine = { failed: 0 };
  let child = null;
  p.on('child', (c) => { child = attach(c); });
  p.on('assert', (res) => {
    if (child !== null) {
      const inner = child;
      child = null;
      if (!res.ok && !res.todo && !res.skip && inner.failed === 0) { total.failed++; mine.failed++; }
      else mine.failed += inner.failed;
      return;
    }
    if (res.skip || res.todo) total.skipped++;
    else if (res.ok) total.passed++;
    else { total.failed++; mine.failed++; }
  });
  return mine;
}
const parser = new Parser();
attach(parser);
let bailed = false;
parser.on('bailout', () => { bailed = true; });
process.stdin.on('data', (d) => { process.stdout.write(d); parser.write(d); });
process.stdin.on('end', () => {
  parser.end();
  if (bailed) total.failed++;
  const skipped = total.skipped ? `, ${total.skipped} skipped` : '';
  console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
});
