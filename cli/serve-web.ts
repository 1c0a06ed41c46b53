/**
 * `vamos serve --app http`: the web server guest (docs/web.md) in either placement behind the
 * TCP gateway, for curl, browsers and load generators. The site is a folder (made into a volume
 * in memory) or a volume from `vamos mksite`.
 */
import { readFileSync, statSync } from 'node:fs';
import { MemoryBackend } from '../devices/virtio/blk/backend.js';
import { GatewayBackend } from '../devices/virtio/net/gateway/backend.js';
import { buildSite, entriesFromFolder, readSite, SiteError } from '../middleware/web/site.js';
import { FILES_MODULE, WEB_PORT, webMachine } from '../middleware/web/web-machine.js';
import { TraceRecorder } from '../vmm/trace/recorder.js';
import type { Vm } from '../vmm/vm.js';
import { UsageError } from './args.js';
import { loadProfileFlag } from './boot.js';
import { ConsoleStream, type Io } from './io.js';
import { closeModules, loadModules } from './modules.js';
import type { HypervisorModule } from '../middleware/host/module.js';
import { commonOptions, moduleOptions, placementText, runServed } from './serve-run.js';
import type { FLAGS } from './serve.js';
import type { Parsed } from './args.js';

const DEFAULT_HTTP_PORT = 8080;
const DEFAULT_CACHE = 1024;

/** The site volume's bytes: built from a folder, or read from a file (checked). */
function loadSite(path: string): { vol: Uint8Array; entries: number; what: string } {
  let st;
  try { st = statSync(path); } catch (e) { throw new SiteError(`--site ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`); }
  if (st.isDirectory()) {
    const vol = buildSite(entriesFromFolder(path));
    const entries = readSite(vol);
    return { vol, entries: entries.length, what: `${path} (${entries.filter((e) => e.kind === 'file').length} files, built in memory)` };
  }
  const vol = readFileSync(path);
  if (vol.length % 512 !== 0) throw new SiteError(`--site ${path}: ${vol.length} bytes, not a whole number of sectors: not a site volume`);
  const entries = readSite(vol);
  return { vol, entries: entries.length, what: `${path} (${entries.filter((e) => e.kind === 'file').length} files)` };
}

export async function serveWeb(flags: Parsed<typeof FLAGS>['flags'], io: Io): Promise<number> {
  for (const f of ['pool', 'volume', 'volume-size'] as const) if (flags[f] !== undefined) throw new UsageError(`--${f} is for the database (--app redis); the web server takes --site and --cache`);
  if (flags.site === undefined) throw new UsageError('--app http needs --site DIR (a folder) or --site FILE (from vamos mksite)');
  const { placement, transport, iommu, port } = commonOptions(flags, DEFAULT_HTTP_PORT);
  const cachePages = flags.cache ?? DEFAULT_CACHE;
  if (cachePages < 1 || cachePages > 262144) throw new UsageError(`--cache ${cachePages}: expected 1..262144 pages`);
  const moduleSpecs = moduleOptions(flags, placement, FILES_MODULE, 'the file layer');
  let site;
  try {
    site = loadSite(flags.site);
  } catch (e) {
    if (e instanceof SiteError) throw new Error(e.message.startsWith('--site') ? e.message : `--site ${flags.site}: ${e.message}`);
    throw e;
  }
  const profile = loadProfileFlag(flags.profile);
  let vmRef: Vm | undefined;
  const modules = await loadModules(moduleSpecs, { profile, io, now: () => vmRef?.clock.now ?? 0 });
  const closeUserModules = (): void => closeModules(modules, io);
  let gateway: GatewayBackend;
  try {
    gateway = await GatewayBackend.open({ hostPort: port, guestPort: WEB_PORT });
  } catch (e) {
    closeUserModules();
    throw e;
  }
  const guestConsole = new ConsoleStream(io);
  let trace: TraceRecorder | undefined;
  let web: ReturnType<typeof webMachine>;
  try {
    trace = flags.trace !== undefined ? new TraceRecorder(flags.trace, { ring: flags['trace-ring'], label: `serve http ${placement}` }) : undefined;
    web = webMachine({
      placement, transport, iommu, profile, cachePages, site: new MemoryBackend(site.vol.length / 512, true, site.vol), siteEntries: site.entries,
      net: gateway, trace, maxInstructions: 0,
      onConsole: (b) => guestConsole.put(b), onModuleFailure: (line) => io.stderr(`vamos: ${line}\n`),
    });
    for (const m of modules as HypervisorModule[]) web.registry.add(m);
  } catch (e) {
    gateway.close();
    closeUserModules();
    throw e;
  }
  vmRef = web.machine.vm;
  return runServed({
    machine: web.machine, registry: web.registry, gateway, profile, io, trace, symbols: web.symbols, console: guestConsole,
    about: `the web server, file layer in the ${placementText(placement, transport)} placement, profile ${profile.name}, iommu ${iommu}, cache ${cachePages} pages; site ${site.what}`,
    ready: (p) => `curl http://127.0.0.1:${p}/`,
    stopping: 'closing the connections',
    stoppedAtOnce: 'the site volume is read-only, nothing is lost',
    cleanup: closeUserModules,
  });
}
