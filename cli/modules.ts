/**
 * `--module NAME=PATH[,KEY=VALUE...]` for the commands that run a guest (boot, run, serve):
 * parsing (usage errors, exit 2), loading (bad input, exit 1; a JavaScript module is imported,
 * so loading is asynchronous), attaching to the VM's hypercall table, and the per-module lines
 * of `--stats`. Everything is checked before the guest starts. docs/modules.md, docs/cli.md.
 */
import { loadModule, parseModuleSpec, type ModuleSpec } from '../middleware/host/load.js';
import { errorLine, type HypervisorModule } from '../middleware/host/module.js';
import { ModuleRegistry, type RegistryHost } from '../middleware/host/registry.js';
import type { CostProfile } from '../vmm/profile.js';
import { UsageError, type FlagSpec } from './args.js';
import type { Io } from './io.js';

export const MODULE_FLAG = {
  kind: 'list', value: 'NAME=PATH[,K=V...]',
  help: 'load a hypervisor-resident module: a .js/.mjs module or a `vamos cc --module` image (repeatable; docs/modules.md)',
} as const satisfies FlagSpec;

/** Options an image module understands (middleware/host/load.ts). */
const IMAGE_OPTIONS = new Set(['disk', 'mem', 'budget']);

/** Every --module, checked for syntax, duplicate names and unknown image options. */
export function parseModuleFlags(list: readonly string[] | undefined): ModuleSpec[] {
  const specs: ModuleSpec[] = [];
  for (const text of list ?? []) {
    let spec: ModuleSpec;
    try {
      spec = parseModuleSpec(text);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(spec.name)) {
      throw new UsageError(`--module ${text}: the name must be 1-64 of A-Z a-z 0-9 _ . -`);
    }
    if (specs.some((s) => s.name === spec.name)) throw new UsageError(`--module ${spec.name}: given twice`);
    if (spec.path.endsWith('.img')) {
      for (const k of Object.keys(spec.options)) {
        if (!IMAGE_OPTIONS.has(k)) throw new UsageError(`--module ${spec.name}: unknown option '${k}' for an image module (known: disk, mem, budget)`);
      }
    } else if (!/\.m?js$/.test(spec.path)) {
      throw new UsageError(`--module ${spec.name}: ${spec.path}: expected an .img module image or a .js/.mjs module`);
    }
    specs.push(spec);
  }
  return specs;
}

export interface ModuleLoadContext {
  profile: CostProfile;
  io: Io;
  /** The VM's virtual time in cycles, once the VM exists (module host calls read it). */
  now: () => number;
}

/** Loads every module in order; the first that cannot be loaded or initialised ends the run. */
export async function loadModules(specs: readonly ModuleSpec[], ctx: ModuleLoadContext): Promise<HypervisorModule[]> {
  const loaded: HypervisorModule[] = [];
  try {
    for (const spec of specs) {
      loading = `--module ${spec.name}: ${spec.path} never finished loading (a top-level await that never settles?)`;
      loaded.push(await loadModule(spec, {
        profile: ctx.profile, now: ctx.now,
        log: (line) => ctx.io.stderr(`module ${spec.name}: ${line}\n`),
      }));
      loading = undefined;
    }
  } catch (e) {
    loading = undefined;
    closeModules(loaded, ctx.io);
    throw new Error(errorLine(e));
  }
  return loaded;
}

/**
 * Closes modules that never reached a registry (the VM could not be created): each close that
 * throws is one line, so the error that stopped the run is still the one reported.
 */
export function closeModules(modules: readonly HypervisorModule[], io: Io): void {
  for (const m of modules) {
    try {
      m.close?.();
    } catch (e) {
      io.stderr(`vamos: module ${m.name}: close failed: ${errorLine(e)}\n`);
    }
  }
}

/** What `--module` is waiting for, for a command that never finished (vamos.ts). */
let loading: string | undefined;
export function moduleStillLoading(): string | undefined {
  return loading;
}

/** Binds the modules to the VM; each failure during the run is one line on stderr. */
export function attachModules(vm: RegistryHost, modules: readonly HypervisorModule[], io: Io): ModuleRegistry {
  const registry = new ModuleRegistry(vm, { onFailure: (line) => io.stderr(`vamos: ${line}\n`) });
  for (const m of modules) registry.add(m);
  return registry;
}

/** `--stats`: one line per module (calls, errors, bytes, virtual time). */
export function moduleSummary(registry: ModuleRegistry, cpuHz: number): string {
  const lines: string[] = [];
  for (const [name, s] of registry.stats) {
    const us = (s.cycles / cpuHz) * 1e6;
    lines.push(`module ${name}: ${s.calls} calls, ${s.errors} errors, ${s.failures} failures, ` +
      `${s.requestBytes} request bytes, ${s.responseBytes} response bytes, ${us.toFixed(2)} us`);
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

