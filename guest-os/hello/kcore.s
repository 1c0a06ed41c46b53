; guest-os/hello/kcore.s: the hello kernel proper (docs/guest-os.md).
;
; Included by a main file after defs.s and before one user program, which must define
; user_text_start / user_text_end (page-aligned bounds of its code and constants, in .text) and
; user_main (its entry point). The kernel:
;   1. checks the boot protocol (eax = BOOT_MAGIC, ebx = boot-information block, docs/boot.md),
;      sets up its stack and keeps what it needs from the block;
;   2. prints a banner on COM1 (polling LSR.THRE before every byte, as a real driver does);
;   3. installs an IDT: exceptions 0..31 (report and power off), the timer (vector 32) and the
;      system-call gate (0x80, DPL 3);
;   4. builds one page table for the first 4 MiB: page 0 unmapped, the kernel supervisor-only
;      (its text read-only), the user program's pages with US; turns on CR0.PG and CR0.WP;
;   5. sets the kernel stack register (lksp), starts the timer, unmasks IRQ 0 and drops to
;      ring 3 with iret; from then on it runs only on interrupts and system calls.
; Everything is driven by virtual time, so a run is deterministic.

.equ TIMER_PERIOD_US,   1000            ; one tick per millisecond of virtual time
.equ KSTACK_SIZE,       16384
.equ USTACK_SIZE,       8192
.equ PT_COVERS,         0x400000        ; one page table maps 4 MiB
.equ EXIT_BAD_MAGIC,    0xfe            ; power-off codes of the kernel's own failures
.equ EXIT_TOO_BIG,      0xfd
.equ EXIT_EXCEPTION,    0x80            ; + vector

; =========================================================================================
.text
kernel_text_start:

_start:
        cli                             ; the firmware leaves IF=0; say so anyway
        mov esp, kstack_top
        cmp eax, BOOT_MAGIC
        jne .bad_magic
        mov eax, [ebx + BI_MEM_SIZE]
        mov [mem_size], eax
        mov eax, [ebx + BI_KERNEL_END]
        mov [kernel_end], eax
        mov eax, [ebx + BI_CMDLINE]
        mov [cmdline], eax
        mov eax, [ebx + BI_CMDLINE_LEN]
        mov [cmdline_len], eax

        call serial_init
        mov esi, msg_banner
        call puts
        mov esi, msg_ram                ; kernel: N MiB RAM, command line "..."
        call puts
        mov eax, [mem_size]
        shr eax, 20
        call put_dec
        mov esi, msg_cmdline
        call puts
        mov esi, [cmdline]
        mov ecx, [cmdline_len]
        call put_buf
        mov esi, msg_quote_nl
        call puts

        mov eax, [kernel_end]           ; everything must fit under the one page table
        cmp eax, PT_COVERS
        ja .too_big

        call idt_init
        call paging_init
        mov esi, msg_setup
        call puts
        jmp enter_user

.bad_magic:                             ; ebx cannot be trusted: no boot-information block
        mov esi, msg_bad_magic
        mov eax, EXIT_BAD_MAGIC
        jmp panic
.too_big:
        mov esi, msg_too_big
        mov eax, EXIT_TOO_BIG
        jmp panic

; ---- ring 3 -------------------------------------------------------------------------------

; Starts the timer last, so that the user program begins at tick 0, and enters ring 3 through
; iret. iret pops eip, ring, eflags, esp (cpu.ts), so they are pushed in the opposite order.
enter_user:
        mov esi, msg_enter
        call puts
        mov eax, kstack_top             ; where ring 3 -> ring 0 frames go (the TSS esp0 role)
        lksp eax
        mov eax, TIMER_PERIOD_US
        outd TIMER_PERIOD, eax
        mov eax, 0xfe                   ; unmask IRQ 0 (the timer) only
        outb PIC1_DATA, eax
        push user_stack_top             ; esp
        push 0x202                      ; eflags: IF=1 (and the always-one bit 1)
        push 3                          ; ring
        push user_main                  ; eip
        xor eax, eax                    ; leak no kernel values into ring 3
        xor ebx, ebx
        xor ecx, ecx
        xor edx, edx
        xor esi, esi
        xor edi, edi
        xor ebp, ebp
        iret

; ---- interrupt descriptor table -----------------------------------------------------------

; A gate is two dwords: the handler, then flags (GATE_P, DPL in bits 1-2, GATE_TRAP).
idt_init:
        xor eax, eax                    ; exceptions 0..31: interrupt gates, DPL 0
        mov ebx, exc_stub_0
        mov ecx, GATE_P
.exception:
        call set_gate
        add ebx, exc_stub_1 - exc_stub_0
        inc eax
        cmp eax, 32
        jb .exception
        mov eax, VEC_TIMER
        mov ebx, timer_isr
        mov ecx, GATE_P
        call set_gate
        mov eax, VEC_SYSCALL            ; int 0x80 from ring 3: DPL 3; an interrupt gate, so
        mov ebx, syscall_entry          ; system calls start with IF=0
        mov ecx, GATE_P | GATE_DPL3
        call set_gate
        lidt [idtr]
        ret

; eax = vector, ebx = handler, ecx = flags
set_gate:
        mov [idt + eax*8], ebx
        mov [idt + eax*8 + 4], ecx
        ret

; ---- paging -------------------------------------------------------------------------------

; Identity mapping through one page table (the first 4 MiB). Later calls override earlier
; ones page by page.
paging_init:
        mov ebx, PAGE_SIZE              ; page 0 stays unmapped: null pointers fault
        mov ecx, [kernel_end]           ; low memory, boot data and the kernel: supervisor
        mov edx, PTE_P | PTE_RW
        call map_range
        mov ebx, kernel_text_start      ; kernel code: read-only (CR0.WP binds ring 0 too)
        mov ecx, user_text_start
        mov edx, PTE_P
        call map_range
        mov ebx, user_text_start        ; the user program's code and constants
        mov ecx, user_text_end
        mov edx, PTE_P | PTE_US
        call map_range
        mov ebx, user_stack             ; its stack
        mov ecx, user_stack_top
        mov edx, PTE_P | PTE_RW | PTE_US
        call map_range
        mov eax, page_table             ; a PDE must allow what any of its PTEs allows
        or eax, PTE_P | PTE_RW | PTE_US
        mov [page_dir], eax
        mov eax, page_dir
        mov cr3, eax
        mov eax, cr0
        or eax, CR0_PG | CR0_WP
        mov cr0, eax
        ret

; ebx = first page (aligned), ecx = end (exclusive), edx = PTE flags. Keeps all registers.
map_range:
        push eax
        push ebx
        push esi
.next:
        cmp ebx, ecx
        jae .done
        mov eax, ebx
        or eax, edx
        mov esi, ebx
        shr esi, 12
        mov [page_table + esi*4], eax
        add ebx, PAGE_SIZE
        jmp .next
.done:
        pop esi
        pop ebx
        pop eax
        ret

; eax ← 0 when every page of [ebx, ebx+ecx) is present and user-accessible in the current
; page tables, else -EFAULT. A zero length is always fine. Keeps the other registers.
user_range_ok:
        push ebx
        push ecx
        push edx
        push esi
        xor eax, eax
        test ecx, ecx
        je .done
        mov edx, ebx
        add edx, ecx
        jb .fault                       ; the range wraps past 4 GiB
        dec edx                         ; last byte
        shr ebx, 12
        shr edx, 12
.page:
        mov esi, ebx                    ; PDE
        shr esi, 10
        mov esi, [page_dir + esi*4]
        mov ecx, esi
        and ecx, PTE_P | PTE_US
        cmp ecx, PTE_P | PTE_US
        jne .fault
        and esi, 0xfffff000             ; PTE (page tables are identity-mapped)
        mov ecx, ebx
        and ecx, 0x3ff
        mov ecx, [esi + ecx*4]
        and ecx, PTE_P | PTE_US
        cmp ecx, PTE_P | PTE_US
        jne .fault
        cmp ebx, edx
        je .done
        inc ebx
        jmp .page
.fault:
        mov eax, -EFAULT
.done:
        pop esi
        pop edx
        pop ecx
        pop ebx
        ret

; ---- exceptions ---------------------------------------------------------------------------

; Every frame has an error-code slot (0 when the exception has none), so one stub shape fits
; all: push the vector and join the common handler. Each stub is 16 bytes.
.macro EXC_STUB n
exc_stub_\n:
        push \n
        jmp exc_common
.endm
        EXC_STUB 0
        EXC_STUB 1
        EXC_STUB 2
        EXC_STUB 3
        EXC_STUB 4
        EXC_STUB 5
        EXC_STUB 6
        EXC_STUB 7
        EXC_STUB 8
        EXC_STUB 9
        EXC_STUB 10
        EXC_STUB 11
        EXC_STUB 12
        EXC_STUB 13
        EXC_STUB 14
        EXC_STUB 15
        EXC_STUB 16
        EXC_STUB 17
        EXC_STUB 18
        EXC_STUB 19
        EXC_STUB 20
        EXC_STUB 21
        EXC_STUB 22
        EXC_STUB 23
        EXC_STUB 24
        EXC_STUB 25
        EXC_STUB 26
        EXC_STUB 27
        EXC_STUB 28
        EXC_STUB 29
        EXC_STUB 30
        EXC_STUB 31

; Stack: [esp] vector, [esp+4] error code, [esp+8] eip, [esp+12] ring, [esp+16] eflags,
; [esp+20] esp at the fault. Reports and powers off with EXIT_EXCEPTION + vector.
exc_common:
        mov esi, msg_exc                ; kernel: exception N error E at eip X in ring R
        call puts
        mov eax, [esp]
        call put_dec
        mov esi, msg_exc_error
        call puts
        mov eax, [esp + 4]
        call put_hex
        mov esi, msg_exc_eip
        call puts
        mov eax, [esp + 8]
        call put_hex
        mov esi, msg_exc_ring
        call puts
        mov eax, [esp + 12]
        call put_dec
        mov eax, [esp]
        cmp eax, 14                     ; #PF: the faulting address too
        jne .end
        mov esi, msg_exc_cr2
        call puts
        mov eax, cr2
        call put_hex
.end:
        mov eax, 10
        call putc
        mov eax, [esp]
        add eax, EXIT_EXCEPTION
        jmp power_off

; ---- the timer (IRQ 0, vector 32) ---------------------------------------------------------

timer_isr:
        push eax
        mov eax, [ticks]
        inc eax
        mov [ticks], eax
        mov eax, PIC_EOI                ; one non-specific EOI per interrupt
        outb PIC1_CMD, eax
        pop eax
        add esp, 4                      ; the error-code slot
        iret

; ---- system calls (int 0x80) --------------------------------------------------------------

; eax = number, ebx/ecx/edx = arguments; the result comes back in eax, every other register is
; preserved. Handlers run on the kernel stack with IF=0 (sleep enables interrupts to wait).
syscall_entry:
        push ebp
        push edi
        push esi
        push edx
        push ecx
        push ebx
        cmp eax, NR_SYSCALLS
        jae .nosys
        call [syscall_table + eax*4]
        jmp .out
.nosys:
        mov eax, -ENOSYS
.out:
        pop ebx
        pop ecx
        pop edx
        pop esi
        pop edi
        pop ebp
        add esp, 4                      ; the error-code slot
        iret

; exit(ebx = code): reports and powers the VM off with that code.
sys_exit:
        mov edx, [ticks]
        mov esi, msg_exit
        call puts
        mov eax, ebx
        call put_int
        mov esi, msg_exit_after
        call puts
        mov eax, edx
        call put_dec
        mov esi, msg_exit_ticks
        call puts
        xor eax, eax                    ; stop the timer
        outd TIMER_PERIOD, eax
        mov eax, ebx
        jmp power_off

; write(ebx = buf, ecx = len) -> len, or -EFAULT if the buffer is not all user memory.
sys_write:
        call user_range_ok
        test eax, eax
        jne .ret
        mov esi, ebx
        call put_buf
        mov eax, ecx
.ret:
        ret

; ticks() -> timer interrupts since the timer started.
sys_ticks:
        mov eax, [ticks]
        ret

; sleep(ebx = n) -> 0 once n ticks have passed. Halts between ticks: sti's one-instruction
; interrupt shadow makes "sti; hlt" atomic, so no tick can slip in between and be slept through.
sys_sleep:
        mov ecx, [ticks]
.wait:
        mov eax, [ticks]
        sub eax, ecx
        cmp eax, ebx
        jae .done
        sti
        hlt
        cli
        jmp .wait
.done:
        xor eax, eax
        ret

; ---- console (COM1, polled) ---------------------------------------------------------------

serial_init:
        push eax
        xor eax, eax                    ; no UART interrupts: this driver polls
        outb COM1_IER, eax
        mov eax, 3                      ; 8 data bits, no parity, 1 stop bit, DLAB=0
        outb COM1_LCR, eax
        pop eax
        ret

; putc(al): waits for the transmit holding register to be empty, then writes. Keeps registers.
putc:
        push edx
.wait:
        inb edx, COM1_LSR
        test edx, LSR_THRE
        je .wait
        outb COM1, eax
        pop edx
        ret

; puts(esi = NUL-terminated string). Keeps registers.
puts:
        push eax
        push esi
.next:
        movzxb eax, [esi]
        test eax, eax
        je .done
        call putc
        inc esi
        jmp .next
.done:
        pop esi
        pop eax
        ret

; put_buf(esi = bytes, ecx = count). Keeps registers.
put_buf:
        push eax
        push ecx
        push esi
.next:
        test ecx, ecx
        je .done
        movzxb eax, [esi]
        call putc
        inc esi
        dec ecx
        jmp .next
.done:
        pop esi
        pop ecx
        pop eax
        ret

; put_hex(eax): 0x and eight hex digits. Keeps registers.
put_hex:
        push eax
        push ecx
        push edx
        mov edx, eax
        mov eax, '0'
        call putc
        mov eax, 'x'
        call putc
        mov ecx, 8
.digit:
        rol edx, 4
        mov eax, edx
        and eax, 15
        movzxb eax, [hex_digits + eax]
        call putc
        dec ecx
        jne .digit
        pop edx
        pop ecx
        pop eax
        ret

; put_dec(eax): unsigned decimal. Keeps registers.
put_dec:
        push eax
        push ebx
        push ecx
        push edx
        xor ecx, ecx
        mov ebx, 10
.div:
        xor edx, edx
        div ebx
        add edx, '0'
        push edx
        inc ecx
        test eax, eax
        jne .div
.out:
        pop eax
        call putc
        dec ecx
        jne .out
        pop edx
        pop ecx
        pop ebx
        pop eax
        ret

; put_int(eax): signed decimal. Keeps registers.
put_int:
        test eax, eax
        jns put_dec
        push eax
        mov eax, '-'
        call putc
        pop eax
        push eax
        neg eax
        call put_dec
        pop eax
        ret

; ---- stopping -----------------------------------------------------------------------------

; panic(esi = message, eax = exit code)
panic:
        push esi
        mov esi, msg_panic
        call puts
        pop esi
        call puts
        jmp power_off

; power_off(eax = exit code): the VMM stops at the out; the loop is for a VMM that does not.
power_off:
        outd POWER, eax
.halt:
        cli
        hlt
        jmp .halt

; =========================================================================================
.data
idtr:           .dword idt, 256*8 - 1   ; base, limit (the last valid byte)
syscall_table:  .dword sys_exit, sys_write, sys_ticks, sys_sleep
hex_digits:     .ascii "0123456789abcdef"
msg_banner:     .asciz "vamos hello kernel\n"
msg_ram:        .asciz "kernel: "
msg_cmdline:    .asciz " MiB RAM, command line \""
msg_quote_nl:   .asciz "\"\n"
msg_setup:      .asciz "kernel: IDT loaded, paging on\n"
msg_enter:      .asciz "kernel: timer at 1000 us, entering ring 3\n"
msg_exc:        .asciz "kernel: exception "
msg_exc_error:  .asciz " error "
msg_exc_eip:    .asciz " at eip "
msg_exc_ring:   .asciz " in ring "
msg_exc_cr2:    .asciz ", cr2 "
msg_exit:       .asciz "kernel: user program exited with code "
msg_exit_after: .asciz " after "
msg_exit_ticks: .asciz " ticks\n"
msg_panic:      .asciz "kernel panic: "
msg_bad_magic:  .asciz "not started by the vamos boot protocol (eax is not the boot magic)\n"
msg_too_big:    .asciz "the kernel ends above 4 MiB, beyond its one page table\n"

; =========================================================================================
.bss
.align PAGE_SIZE
page_dir:       .space PAGE_SIZE
page_table:     .space PAGE_SIZE
idt:            .space 256*8
.align 16
kstack:         .space KSTACK_SIZE
kstack_top:
ticks:          .space 4
mem_size:       .space 4
kernel_end:     .space 4
cmdline:        .space 4
cmdline_len:    .space 4
.align PAGE_SIZE                        ; the user stack has pages of its own (US)
user_stack:     .space USTACK_SIZE
user_stack_top:
.align PAGE_SIZE
