/**
 * The libc's own logic, independent of vamos cc: gcc compiles the libc sources for the host,
 * every symbol gets a v_ prefix (objcopy) so they cannot clash with glibc, and a harness checks
 * v_snprintf against glibc's snprintf, and strtol, malloc/free/realloc and qsort by their results.
 */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectFile } from '../../vmm/paths.js';

const tools = ['gcc', 'ld', 'objcopy'].every((c) => spawnSync(c, ['--version']).status === 0);

const HARNESS = `/* The hypercall instruction, for vmod_hosted.c: never called by these tests. */
unsigned int v___mx86_vmcall(unsigned a, unsigned b, unsigned c, unsigned d, unsigned e, unsigned f) { return 0; }
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
int v_snprintf(char *, size_t, const char *, ...);
long v_strtol(const char *, char **, int);
void v_qsort(void *, size_t, size_t, int (*)(const void *, const void *));
void *v_malloc(size_t); void v_free(void *); void v___libc_heap_init(void *, size_t); void *v_realloc(void*, size_t);
void v___libc_putchar_hook(int c) { putchar(c); }
void v___libc_exit_hook(int s) { exit(s); }
static int cmp(const void *a, const void *b) { int x = *(const int*)a, y = *(const int*)b; return x < y ? -1 : x > y; }
#define CHECK(...) do { char a[200], b[200]; int n1 = v_snprintf(a, sizeof a, __VA_ARGS__); int n2 = snprintf(b, sizeof b, __VA_ARGS__); if (n1 != n2 || strcmp(a, b)) { printf("MISMATCH %s: [%s] %d vs [%s] %d\\n", #__VA_ARGS__, a, n1, b, n2); bad++; } } while (0)
int main(void) {
  int bad = 0;
  CHECK("%d %i %u %x %X %o %c %s %%", -42, 17, 3000000000u, 0xbeef, 0xbeef, 8, 'z', "str");
  CHECK("[%5d] [%-5d] [%05d] [%+d] [% d] [%.3d] [%8.3d] [%-8.3d|]", 42, 42, -42, 42, 42, 7, -7, 7);
  CHECK("[%#x] [%#o] [%#X] [%#x] [%#o]", 255, 8, 255, 0, 0);
  CHECK("[%.0d] [%.0x] [%5.0d]", 0, 0, 0);
  CHECK("[%lld] [%llu] [%llx] [%lld]", -1234567890123LL, 18446744073709551615ULL, 0x123456789abcdefULL, (-9223372036854775807LL - 1));
  CHECK("[%hhd] [%hd] [%hhu] [%hu]", 300, 70000, 300, 70000);
  CHECK("[%*d] [%-*d] [%.*s] [%*s]", 6, 12, 6, 12, 2, "abcdef", -4, "ab");
  CHECK("[%10s] [%-10s] [%.2s] [%c%c]", "hi", "hi", "hello", 'a', 'b');
  CHECK("[%zu] [%d]", (size_t)123, -2147483647 - 1);
  CHECK("[%+05d] [% 05d] [%-+5d] [%05x]", 3, 3, 3, 0xab);
  char small[5]; int n = v_snprintf(small, 5, "%s", "abcdefgh"); if (n != 8 || strcmp(small, "abcd")) { printf("trunc bad\\n"); bad++; }
  char *e; long v = v_strtol("  -0x1fz", &e, 0); if (v != -31 || *e != 'z') { printf("strtol bad %ld\\n", v); bad++; }
  v = v_strtol("077", &e, 0); if (v != 63) { printf("oct bad\\n"); bad++; }
  v = v_strtol("99999999999999999999", &e, 10); if (v != 9223372036854775807L) { printf("range bad %ld\\n", v); bad++; }
  static char heap[1 << 20]; v___libc_heap_init(heap, sizeof heap);
  void *ps[100]; for (int i = 0; i < 100; i++) { ps[i] = v_malloc(i * 7 + 1); memset(ps[i], i, i * 7 + 1); }
  for (int i = 0; i < 100; i += 2) v_free(ps[i]);
  for (int i = 1; i < 100; i += 2) { unsigned char *p = ps[i]; for (int j = 0; j < i * 7 + 1; j++) if (p[j] != i) { bad++; printf("heap corrupt\\n"); break; } ps[i] = v_realloc(ps[i], 5000); }
  for (int i = 1; i < 100; i += 2) v_free(ps[i]);
  void *big = v_malloc((1 << 20) - 64); if (!big) { printf("coalesce failed\\n"); bad++; }
  int arr[1000]; unsigned s = 1; for (int i = 0; i < 1000; i++) { s = s * 1103515245 + 12345; arr[i] = (s >> 16) % 100; }
  v_qsort(arr, 1000, sizeof(int), cmp); for (int i = 1; i < 1000; i++) if (arr[i-1] > arr[i]) { printf("qsort bad\\n"); bad++; break; }
  printf("bad=%d\\n", bad); return bad;
}
`;

t.test('the libc, built natively, agrees with glibc', { skip: !tools && 'gcc, ld or objcopy not found' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vamos-libc-'));
  const libc = projectFile('guest-os', 'libc');
  const objs: string[] = [];
  for (const f of readdirSync(join(libc, 'src')).filter((x) => x.endsWith('.c'))) {
    const o = join(dir, f.replace(/\.c$/, '.o'));
    execFileSync('gcc', ['-std=c99', '-O1', '-fno-builtin', '-ffreestanding', '-nostdinc', '-I', join(libc, 'include'), '-c', join(libc, 'src', f), '-o', o]);
    objs.push(o);
  }
  execFileSync('ld', ['-r', ...objs, '-o', join(dir, 'libc.o')]);
  execFileSync('objcopy', ['--prefix-symbols=v_', join(dir, 'libc.o'), join(dir, 'libv.o')]);
  writeFileSync(join(dir, 'h.c'), HARNESS);
  execFileSync('gcc', ['-std=gnu99', '-w', join(dir, 'h.c'), join(dir, 'libv.o'), '-o', join(dir, 'h')]);
  const r = spawnSync(join(dir, 'h'), [], { encoding: 'utf8' });
  t.equal(r.stdout, 'bad=0\n', r.stdout);
  t.equal(r.status, 0);
});
