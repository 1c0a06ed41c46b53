/**
 * vamos/module: what a module author needs (docs/modules.md, docs/api.md). A TypeScript module
 * is a file exporting `createModule(env: ModuleEnv): HypervisorModule`; a guest C module is
 * built with `buildModule` (or `vamos cc --module`) and loaded as an image. Either is loaded
 * with `--module NAME=PATH` or, from a program that embeds vamos, with `loadModule` and a
 * `ModuleRegistry` on the VM.
 */
export type { HypervisorModule, ModuleEnv, ModuleResult } from './middleware/host/module.js';
export { HC_ERR as MODULE_ERR, HC_MAX_BUFFER as MODULE_MAX_BUFFER, HC_MODULE_CALL, HC_MODULE_OPEN } from './vmm/hypercalls.js';
export { ModuleRegistry, moduleDevice, MODULE_NAME_MAX, type ModuleCallStats, type RegistryOptions } from './middleware/host/registry.js';
export { loadModule, parseModuleSpec, type ModuleSpec, type LoadContext } from './middleware/host/load.js';
export { buildModule, MODULE_TEXT_BASE } from './middleware/host/build.js';
export { ImageModule, MODULE_BUDGET_DEFAULT, MODULE_MEM_DEFAULT, type ImageModuleOptions } from './middleware/host/image-module.js';

/** Cycles for `instructions` of work at the profile's rate: what a TypeScript module charges. */
export function cyclesFor(instructions: number, env: { readonly cyclesPerInstruction: number }): number {
  return Math.round(instructions * env.cyclesPerInstruction);
}
