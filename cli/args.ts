/**
 * A small, strict flag parser: every command declares its flags, and anything else is a usage
 * error with a one-line message (exit code 2), never a stack trace.
 */
import { setDefaultCpuMode } from '../vmm/cpu/jit.js';

export class UsageError extends Error {}

/** `--cpu interp|jit`, on every command that runs a guest (docs/jit.md). */
export const CPU_FLAG = {
  cpu: { kind: 'string', value: 'interp|jit', help: 'execution tier: jit (default; hot code compiled to WebAssembly) or interp (the reference interpreter)' },
} as const satisfies Flags;

/** Applies --cpu: every vCPU created afterwards (the VM's and the hypervisor modules') uses it. */
export function applyCpuFlag(value: string | undefined): void {
  if (value === undefined) return;
  if (value !== 'interp' && value !== 'jit') throw new UsageError(`--cpu ${value}: expected interp or jit`);
  setDefaultCpuMode(value);
}

export type FlagKind = 'boolean' | 'string' | 'size' | 'count' | 'list';

export interface FlagSpec {
  readonly kind: FlagKind;
  readonly help: string;
  readonly value?: string; // the value's name in the help text
}

export type Flags = Record<string, FlagSpec>;

export type Parsed<F extends Flags> = {
  flags: { [K in keyof F]?: F[K]['kind'] extends 'boolean' ? boolean : F[K]['kind'] extends 'list' ? string[] : F[K]['kind'] extends 'string' ? string : number };
  positional: string[];
};

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "64M", "65536", "0x10000", "1g" → bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^(0x[0-9a-f]+|\d+)([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: '${text}' is not a size (examples: 64M, 1G, 65536)`);
  return Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()];
}

export function parseCount(text: string, flag: string): number {
  const t = text.replace(/_/g, '');
  const m = /^(\d+)([kmg]?)$/i.exec(t);
  if (!m) throw new UsageError(`${flag}: '${text}' is not a whole number`);
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  const v = Number(m[1]) * mult;
  if (!Number.isSafeInteger(v)) throw new UsageError(`${flag}: '${text}' is too large`);
  return v;
}

export function parseArgs<F extends Flags>(argv: readonly string[], spec: F): Parsed<F> {
  const flags: Record<string, unknown> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { positional.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/^--?/, '');
    const s = spec[name];
    if (!s) throw new UsageError(`unknown flag '${arg.slice(0, eq >= 0 ? eq : undefined)}'`);
    if (s.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new UsageError(`--${name} needs a value (${s.value ?? s.kind})`);
    switch (s.kind) {
      case 'string': flags[name] = value; break;
      case 'size': flags[name] = parseSize(value, `--${name}`); break;
      case 'count': flags[name] = parseCount(value, `--${name}`); break;
      case 'list': ((flags[name] ??= []) as string[]).push(value); break;
    }
  }
  return { flags, positional } as Parsed<F>;
}

export function usage(synopsis: string, about: string, spec: Flags): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const left = `  --${name}${s.kind === 'boolean' ? '' : ` ${s.value ?? s.kind.toUpperCase()}`}`;
    return (left.length >= 29 ? left + '  ' : left.padEnd(30)) + s.help;
  });
  return `usage: ${synopsis}\n\n${about}\n\noptions:\n${rows.join('\n')}\n`;
}
