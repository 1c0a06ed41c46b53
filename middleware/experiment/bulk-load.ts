/**
 * Loading a large dataset without the guest (`--load host`): the storage engine, the same C the
 * guest and the VAMOS module run, is driven directly on the host as a module (image-module.ts),
 * with records put in batches of one commit each. Through the guest every record is a SET over
 * the network with its own commit, which for a million records means hours of host time; here
 * it is minutes. The records are the load phase's (keyName, loadValue), so the run phase reads
 * the same data; the on-disk layout differs (fewer, larger commits), so a sweep's numbers depend
 * on the loader, and paper.json records which one (config.load).
 */
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import type { CostProfile } from '../../vmm/profile.js';
import { engineModuleImage } from '../build.js';
import { ImageModule } from '../host/image-module.js';
import { keyName, loadValue } from '../workload/driver.js';

// middleware/vamos/proto.h
const VP_OPEN = 1, VP_PUT = 3, VP_COMMIT = 5, VP_CLOSE = 9, VP_CALL_OP = 1, VP_BATCH_MAX = 16384, VP_RESPONSE_MAX = 16384;

export interface BulkLoadSpec {
  records: number;
  valueSize: number;
  poolPages: number;
  volumeSectors: number;
}

/** Loads the records into a fresh volume and returns its bytes; progress after every batch. */
export function bulkLoad(s: BulkLoadSpec, profile: CostProfile, onProgress?: (loaded: number) => void): Uint8Array {
  const volume = new MemoryBackend(s.volumeSectors);
  const engine = new ImageModule({ name: 'vamos-engine', image: engineModuleImage(), profile, volume });
  const response = new Uint8Array(VP_RESPONSE_MAX);
  const req = new Uint8Array(VP_BATCH_MAX);
  const view = new DataView(req.buffer);
  let len = 0;
  const call = (what: string): void => {
    const r = engine.call(VP_CALL_OP, req.subarray(0, len), response);
    const rc = r.status >= 8 ? new DataView(response.buffer).getInt32(0, true) : r.status;
    if (rc < 0) throw new Error(`bulk load: ${what} failed (${rc}${engine.failure ? `: ${engine.failure}` : ''})`);
    len = 0;
  };
  const field = (text: string): void => {
    view.setUint16(len, text.length, true);
    for (let i = 0; i < text.length; i++) req[len + 2 + i] = text.charCodeAt(i);
    len += 2 + text.length;
  };
  req[len++] = VP_OPEN;
  view.setUint32(len, s.poolPages, true);
  len += 4;
  call('open');
  let r = 0;
  while (r < s.records) {
    // As many puts as fit with the commit after them.
    while (r < s.records) {
      const key = keyName(r), value = loadValue(r, s.valueSize);
      if (len + 5 + key.length + value.length + 1 > VP_BATCH_MAX) break;
      req[len++] = VP_PUT;
      field(key);
      field(value);
      r++;
    }
    req[len++] = VP_COMMIT;
    call(`commit at record ${r}`);
    onProgress?.(r);
  }
  req[len++] = VP_CLOSE;
  call('close');
  engine.close();
  return volume.data.slice();
}
