/* store.h: an append-only record log over 512-byte blocks. The same store.c runs in the guest
 * (blocks in RAM, vol_ram.c) and in the module at the hypervisor level (blocks on the module's
 * host-file volume, vol_host.c): one source, two placements, as vamos's database does. */
#ifndef STORE_H
#define STORE_H

#define VOL_SECTOR 512

/* The block interface each placement implements: sectors of VOL_SECTOR bytes. */
int vol_read(unsigned sector, void *buf, unsigned count);
int vol_write(unsigned sector, const void *buf, unsigned count);
int vol_flush(void);
unsigned vol_sectors(void);

int store_open(void);                               /* 0, or < 0 when the volume is unusable */
int store_append(const void *rec, unsigned len);    /* the record's index, or < 0 */
int store_sync(void);                               /* everything appended is on the volume */
unsigned store_count(void);
/* FNV-1a over every stored byte, read back from the volume. */
unsigned store_checksum(void);

#endif
