; crt0 for hosted vamos cc programs (`vamos cc` links it unless --no-runtime; `vamos run` boots
; the result). The boot ROM jumps here with ebx at the boot-information block (docs/boot.md):
; the stack goes at the top of RAM, the heap between the end of the image and the stack, the
; libc's output reaches COM1, and main's return value powers the machine off as its exit code.
; Its constants are named CRT0_* because every object of a program shares one namespace.
;
; So that a bug in the program ends with a crash report rather than silent corruption
; (docs/cc-toolchain.md, "Faults"): paging identity-maps RAM except page 0 (null pointers fault)
; and a 64 KiB guard below the stack (a stack overflow faults), and an IDT sends every
; exception to a stub that reports the vector on port 0xF8; the VMM prints the exception, eip,
; the function and a backtrace (vmm/crash-report.ts). Memory outside RAM is not mapped either,
; so a wild pointer faults instead of reading 0xFF, except the virtio-mmio slots' pages.

.equ CRT0_MEM_SIZE,    0x7004    ; boot-information block: bytes of RAM
.equ CRT0_KERNEL_END,  0x7014    ; first free byte above the loaded image (4 KiB aligned)
.equ CRT0_STACK_SIZE,  0x100000  ; 1 MiB below the top of RAM
.equ CRT0_COM1,        0x3f8
.equ CRT0_POWEROFF,    0xf4      ; a dword written here powers off with that exit code
.equ CRT0_FAULT,       0xf8      ; the VMM's crash-report port: a dword here is an exception vector
.equ CRT0_GUARD_SIZE,  0x10000   ; unmapped below the stack
.equ CRT0_PAGE,        0x1000
.equ CRT0_PTE,         0x3       ; present, writable
.equ CRT0_CR0_PG,      0x80000000
.equ CRT0_VECTORS,     32
.equ CRT0_VIRTIO_PDE,   0xd00     ; byte offset of the PDE of 0xD0000000, the virtio-mmio slots
.equ CRT0_VIRTIO_PTE0,  0xd0000003 ; slot 0's page, present and writable (docs/platform.md)
.equ CRT0_VIRTIO_SLOTS, 4

.text
_start:
        mov esp, [CRT0_MEM_SIZE]
        mov ebp, 0
        call __crt0_idt
        call __crt0_paging      ; eax = the first byte above the page tables
        mov ecx, [CRT0_MEM_SIZE]
        sub ecx, CRT0_STACK_SIZE + CRT0_GUARD_SIZE
        sub ecx, eax            ; heap length (the allocator refuses a nonsensical one)
        jae .heap
        mov ecx, 0
.heap:
        push ecx
        push eax
        call __libc_heap_init
        add esp, 8
        push __crt0_argv
        push 1
        call main
        add esp, 8
        push eax
        call exit               ; exit(main's value): the libc may flush first

__libc_putchar_hook:
        mov eax, [esp + 4]
        outb CRT0_COM1, eax          ; transmission is instantaneous: no need to poll the LSR
        ret

__libc_exit_hook:
        mov eax, [esp + 4]
        outd CRT0_POWEROFF, eax
.stop:
        hlt
        jmp .stop

.data
__crt0_argv:
        .dword __crt0_name, 0
__crt0_name:
        .asciz "prog"

; ---- faults -------------------------------------------------------------------------------

.text

; Gates 0..31 to the stubs below, interrupt gates (the program never enables interrupts).
__crt0_idt:
        mov eax, 0
        mov ebx, __crt0_fault_0
.gate:
        mov [__crt0_idt_table + eax*8], ebx
        mov ecx, 1
        mov [__crt0_idt_table + eax*8 + 4], ecx
        add ebx, __crt0_fault_1 - __crt0_fault_0
        inc eax
        cmp eax, CRT0_VECTORS
        jb .gate
        lidt [__crt0_idtr]
        ret

; One stub per vector, all the same size: the vector in eax, then the report. The frame the CPU
; pushed ([esp] error code, [esp+4] eip, ...) and every register but eax are the fault's.
__crt0_fault_0:   mov eax, 0
        jmp __crt0_fault
__crt0_fault_1:   mov eax, 1
        jmp __crt0_fault
        mov eax, 2
        jmp __crt0_fault
        mov eax, 3
        jmp __crt0_fault
        mov eax, 4
        jmp __crt0_fault
        mov eax, 5
        jmp __crt0_fault
        mov eax, 6
        jmp __crt0_fault
        mov eax, 7
        jmp __crt0_fault
        mov eax, 8
        jmp __crt0_fault
        mov eax, 9
        jmp __crt0_fault
        mov eax, 10
        jmp __crt0_fault
        mov eax, 11
        jmp __crt0_fault
        mov eax, 12
        jmp __crt0_fault
        mov eax, 13
        jmp __crt0_fault
        mov eax, 14
        jmp __crt0_fault
        mov eax, 15
        jmp __crt0_fault
        mov eax, 16
        jmp __crt0_fault
        mov eax, 17
        jmp __crt0_fault
        mov eax, 18
        jmp __crt0_fault
        mov eax, 19
        jmp __crt0_fault
        mov eax, 20
        jmp __crt0_fault
        mov eax, 21
        jmp __crt0_fault
        mov eax, 22
        jmp __crt0_fault
        mov eax, 23
        jmp __crt0_fault
        mov eax, 24
        jmp __crt0_fault
        mov eax, 25
        jmp __crt0_fault
        mov eax, 26
        jmp __crt0_fault
        mov eax, 27
        jmp __crt0_fault
        mov eax, 28
        jmp __crt0_fault
        mov eax, 29
        jmp __crt0_fault
        mov eax, 30
        jmp __crt0_fault
        mov eax, 31
        jmp __crt0_fault

; Report, then make sure the machine stops even under a VMM without the port: no IDT and an
; undefined instruction is a triple fault.
__crt0_fault:
        outd CRT0_FAULT, eax
        lidt [__crt0_no_idtr]
        ud2

; Identity-maps RAM from page 1 up, except the guard below the stack, and the virtio-mmio slots,
; with the page directory and the page tables at the end of the image (CRT0_KERNEL_END, 4 KiB
; aligned). Returns eax = the first free byte above them. RAM too small for tables and guard:
; no paging.
__crt0_paging:
        mov eax, [CRT0_KERNEL_END]
        mov esi, eax                    ; esi = page directory
        mov ecx, [CRT0_MEM_SIZE]
        add ecx, 0x3fffff
        shr ecx, 22                     ; ecx = page tables needed
        mov edi, ecx
        shl edi, 12
        add edi, eax
        add edi, 2 * CRT0_PAGE          ; edi = the first byte above the tables and the slots' table
        mov edx, [CRT0_MEM_SIZE]
        sub edx, CRT0_STACK_SIZE + CRT0_GUARD_SIZE
        jb .nopaging
        cmp edx, edi
        jb .nopaging                    ; edx = the guard's first byte
        mov ebx, 0
.pde:                                   ; PDE i = table i
        cmp ebx, ecx
        jae .ptes
        mov eax, ebx
        shl eax, 12
        add eax, esi
        add eax, CRT0_PAGE
        or eax, CRT0_PTE
        mov [esi + ebx*4], eax
        inc ebx
        jmp .pde
.ptes:                                  ; two runs of present pages, the guard between stays 0
        mov ebx, CRT0_PAGE              ; page 0 stays unmapped
        mov ecx, edx
        call __crt0_map
        lea ebx, [edx + CRT0_GUARD_SIZE]
        mov ecx, [CRT0_MEM_SIZE]
        call __crt0_map
        ; The virtio-mmio slots are mapped too (the last table), so that a hosted program can
        ; drive a device of its own (examples/device-plugin); the rest outside RAM stays unmapped.
        lea eax, [edi - CRT0_PAGE]
        or eax, CRT0_PTE
        mov [esi + CRT0_VIRTIO_PDE], eax
        and eax, -CRT0_PAGE
        mov ebx, CRT0_VIRTIO_PTE0
        mov ecx, 0
.slot:
        mov [eax + ecx*4], ebx
        add ebx, CRT0_PAGE
        inc ecx
        cmp ecx, CRT0_VIRTIO_SLOTS
        jb .slot
.on:
        mov cr3, esi
        mov eax, cr0
        or eax, CRT0_CR0_PG
        mov cr0, eax
        mov eax, edi
        ret
.nopaging:
        mov eax, [CRT0_KERNEL_END]
        ret

; PTEs for pages ebx..ecx (exclusive, aligned) in the tables after the directory at esi.
__crt0_map:
        push edi
        push edx
        mov eax, ebx
        shr eax, 10
        lea edi, [esi + CRT0_PAGE + eax]    ; edi = the first PTE
        mov eax, ebx
        or eax, CRT0_PTE
        or ecx, CRT0_PTE
        lea edx, [ecx - 3 * CRT0_PAGE]      ; four at a time while four are left
.four:
        cmp eax, edx
        jae .one
        mov [edi], eax
        add eax, CRT0_PAGE
        mov [edi + 4], eax
        add eax, CRT0_PAGE
        mov [edi + 8], eax
        add eax, CRT0_PAGE
        mov [edi + 12], eax
        add eax, CRT0_PAGE
        add edi, 16
        jmp .four
.one:
        cmp eax, ecx
        jae .done
        mov [edi], eax
        add edi, 4
        add eax, CRT0_PAGE
        jmp .one
.done:
        pop edx
        pop edi
        ret

.data
.align 4
__crt0_idtr:
        .dword __crt0_idt_table, CRT0_VECTORS * 8 - 1
__crt0_no_idtr:
        .dword 0, 0

.bss
.align 4
__crt0_idt_table:
        .space 256                      ; CRT0_VECTORS gates of 8 bytes
