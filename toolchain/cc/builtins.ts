/** Code for the `__mx86_*` builtins: the instructions C has no words for. */
import type { Expr } from './ast.js';
import { type Emitter, imm, POOL, type Reg, type Val } from './emitter.js';
import { gen, hold, unhold } from './genexpr.js';

function one(g: Emitter, e: Expr): Reg {
  return gen(g, e)!.lo;
}

export function genBuiltin(g: Emitter, e: Extract<Expr, { e: 'builtin' }>): Val | undefined {
  const [a0, a1] = e.args;
  const name = e.name.slice('__mx86_'.length);
  switch (name) {
    case 'outb': case 'outw': case 'outl': {
      const mn = `out${name === 'outl' ? 'd' : name[3]}`;
      if (a0!.e === 'num' && a0!.val >= 0n && a0!.val <= 0xffffn) {
        const v = one(g, a1!);
        g.emit(`${mn} ${a0!.val}, ${v}`);
        g.release(v);
        return undefined;
      }
      const h = hold(g, { lo: one(g, a0!) });
      const v = one(g, a1!);
      const p = unhold(g, h).lo;
      g.emit(`${mn} ${p}, ${v}`);
      g.release(p);
      g.release(v);
      return undefined;
    }
    case 'inb': case 'inw': case 'inl': {
      const mn = `in${name === 'inl' ? 'd' : name[2]}`;
      if (a0!.e === 'num' && a0!.val >= 0n && a0!.val <= 0xffffn) {
        const r = g.alloc();
        g.emit(`${mn} ${r}, ${a0!.val}`);
        return { lo: r };
      }
      const p = one(g, a0!);
      g.emit(`${mn} ${p}, ${p}`);
      return { lo: p };
    }
    case 'vmcall': {
      const saved = POOL.filter((r) => g.isUsed(r));
      for (const r of saved) g.emit(`push ${r}`);
      for (const arg of e.args) {
        if (arg.e === 'num') { g.emit(`push ${imm(arg.val)}`); continue; }
        const r = one(g, arg);
        g.emit(`push ${r}`);
        g.release(r);
      }
      for (const r of ['edi', 'esi', 'edx', 'ecx', 'ebx', 'eax']) g.emit(`pop ${r}`);
      // The pops clobber callee-saved registers, so the prologue must save them.
      for (const r of ['ebx', 'esi', 'edi'] as Reg[]) g.calleeSaved.add(r);
      g.emit('vmcall');
      const res = g.alloc();
      g.emit(`mov ${res}, eax`);
      for (const r of [...saved].reverse()) g.emit(`pop ${r}`);
      return { lo: res };
    }
    case 'hlt': case 'cli': case 'sti': case 'ud2':
      g.emit(name);
      return undefined;
    case 'read_cr0': case 'read_cr2': case 'read_cr3': {
      const r = g.alloc();
      g.emit(`mov ${r}, ${name.slice(5)}`);
      return { lo: r };
    }
    case 'write_cr0': case 'write_cr3': {
      const v = one(g, a0!);
      g.emit(`mov ${name.slice(6)}, ${v}`);
      g.release(v);
      return undefined;
    }
    case 'invlpg': case 'lidt': {
      const v = one(g, a0!);
      g.emit(`${name} [${v}]`);
      g.release(v);
      return undefined;
    }
    case 'lksp': {
      const v = one(g, a0!);
      g.emit(`lksp ${v}`);
      g.release(v);
      return undefined;
    }
    case 'sksp': {
      const r = g.alloc();
      g.emit(`sksp ${r}`);
      return { lo: r };
    }
    case 'read_eflags': {
      const r = g.alloc();
      g.emit('pushf');
      g.emit(`pop ${r}`);
      return { lo: r };
    }
    case 'rdtsc': {
      g.emit('rdtsc');
      const lo = g.alloc(), hi = g.alloc();
      g.emit(`mov ${lo}, eax`);
      g.emit(`mov ${hi}, edx`);
      return { lo, hi };
    }
  }
  return g.error(`unknown builtin '${e.name}'`);
}
