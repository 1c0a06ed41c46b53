/* mx86.h: what C cannot say on mx86. vamos cc turns these into single instructions; the
 * prototypes let gcc check code that uses them. */
#ifndef _MX86_H
#define _MX86_H

void __mx86_outb(unsigned int port, unsigned int value);
void __mx86_outw(unsigned int port, unsigned int value);
void __mx86_outl(unsigned int port, unsigned int value);
unsigned int __mx86_inb(unsigned int port);
unsigned int __mx86_inw(unsigned int port);
unsigned int __mx86_inl(unsigned int port);
unsigned int __mx86_vmcall(unsigned int nr, unsigned int a, unsigned int b, unsigned int c, unsigned int d, unsigned int e);
void __mx86_hlt(void);
void __mx86_cli(void);
void __mx86_sti(void);
unsigned int __mx86_read_cr0(void);
unsigned int __mx86_read_cr2(void);
unsigned int __mx86_read_cr3(void);
void __mx86_write_cr0(unsigned int value);
void __mx86_write_cr3(unsigned int value);
void __mx86_invlpg(void *addr);
void __mx86_lidt(void *ptr);
void __mx86_lksp(unsigned int value);
unsigned long long __mx86_rdtsc(void);

#endif
