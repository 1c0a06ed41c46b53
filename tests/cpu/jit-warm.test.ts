/**
 * Warm start (jit-modules.ts): the second VM of the same guest in a process compiles the code
 * the first one found hot as soon as a branch reaches it, and runs exactly as the interpreter.
 */
import t from 'tap';
import { budgetsFrom, lockstep, pair, type Setup } from './jit-kit.js';

const loop: Setup = (m) => {
  m.code(`
    mov ebp, 2000
  top:
    add eax, ebp
    rol eax, 3
    dec ebp
    jne top
    hlt
  `);
};

t.test('a second VM of the same guest compiles its hot loop at once, with identical results', async (t) => {
  const interpreted: number[] = [];
  for (let k = 0; k < 2; k++) {
    const [a, b] = pair(loop);
    const problem = lockstep(a, b, budgetsFrom(5 + k), 60);
    t.equal(problem, null, problem ?? `VM ${k + 1}: identical`);
    interpreted.push(b.cpu.retired - b.cpu.jit!.stats.regionInsns);
  }
  // The first VM interprets the loop until its branch passes the threshold (50 in these tests).
  t.ok(interpreted[0]! > 150, `the first VM interpreted ${interpreted[0]} instructions`);
  t.ok(interpreted[1]! < interpreted[0]! / 3, `the second interpreted ${interpreted[1]}`);
});
