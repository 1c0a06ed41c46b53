; arch/entry.s: the kernel's entry point, trap stubs, the context switch (docs/guest-os.md).
;
; Entered from the boot ROM or the VMM with eax = BOOT_MAGIC and ebx = the boot-information
; block, ring 0, paging off, IF=0 (docs/boot.md §4). Everything else is C (core/).

.equ BOOT_STACK_SIZE, 16384

.text
_start:
        cli
        mov esp, boot_stack_top
        push ebx
        push eax
        call kentry                     ; kentry(magic, info) does not return
.hang:
        cli
        hlt
        jmp .hang

; ---- traps ---------------------------------------------------------------------------------
; Every vector's stub pushes its number and joins trap_common, which saves the general
; registers so that the stack holds a struct trapframe (kcore.h), calls trap(tf) and pops it
; back. The CPU always pushes an error-code slot (docs/isa.md §8), so one stub shape fits all.
.macro VEC n
vec_\n:
        push \n
        jmp trap_common
.endm
        VEC 0
        VEC 1
        VEC 2
        VEC 3
        VEC 4
        VEC 5
        VEC 6
        VEC 7
        VEC 8
        VEC 9
        VEC 10
        VEC 11
        VEC 12
        VEC 13
        VEC 14
        VEC 15
        VEC 16
        VEC 17
        VEC 18
        VEC 19
        VEC 20
        VEC 21
        VEC 22
        VEC 23
        VEC 24
        VEC 25
        VEC 26
        VEC 27
        VEC 28
        VEC 29
        VEC 30
        VEC 31
        VEC 32
        VEC 33
        VEC 34
        VEC 35
        VEC 36
        VEC 37
        VEC 38
        VEC 39
        VEC 40
        VEC 41
        VEC 42
        VEC 43
        VEC 44
        VEC 45
        VEC 46
        VEC 47

trap_syscall_entry:
        push 0x80
trap_common:
        push eax
        push ecx
        push edx
        push ebx
        push ebp
        push esi
        push edi
        mov eax, esp
        push eax
        call trap
        add esp, 4
; A new process's first switch returns here too (core/proc.c builds that stack).
trapret:
        pop edi
        pop esi
        pop ebp
        pop ebx
        pop edx
        pop ecx
        pop eax
        add esp, 8                      ; the vector and the error code
        iret

; swtch(uint32_t *save_esp, uint32_t new_esp): saves the callee-saved registers on this stack,
; stores esp in *save_esp, and resumes the stack new_esp (saved by an earlier swtch, or built
; by core/proc.c for a new process). Caller-saved registers need no saving (cdecl).
swtch:
        mov eax, [esp + 4]
        mov edx, [esp + 8]
        push ebp
        push ebx
        push esi
        push edi
        mov [eax], esp
        mov esp, edx
        pop edi
        pop esi
        pop ebx
        pop ebp
        ret

; zero_page(uint32_t pa): 4096 zero bytes with 16 stores an iteration (no string
; instructions on mx86; this is the hot loop of spawn).
zero_page:
        mov eax, [esp + 4]
        mov ecx, eax
        add ecx, 4096
        xor edx, edx
.loop:
        mov [eax], edx
        mov [eax + 4], edx
        mov [eax + 8], edx
        mov [eax + 12], edx
        mov [eax + 16], edx
        mov [eax + 20], edx
        mov [eax + 24], edx
        mov [eax + 28], edx
        mov [eax + 32], edx
        mov [eax + 36], edx
        mov [eax + 40], edx
        mov [eax + 44], edx
        mov [eax + 48], edx
        mov [eax + 52], edx
        mov [eax + 56], edx
        mov [eax + 60], edx
        add eax, 64
        cmp eax, ecx
        jb .loop
        ret

.global _start, trap_vectors, trap_syscall_entry, trapret, swtch, zero_page

.data
trap_vectors:
        .dword vec_0
        .dword vec_1
        .dword vec_2
        .dword vec_3
        .dword vec_4
        .dword vec_5
        .dword vec_6
        .dword vec_7
        .dword vec_8
        .dword vec_9
        .dword vec_10
        .dword vec_11
        .dword vec_12
        .dword vec_13
        .dword vec_14
        .dword vec_15
        .dword vec_16
        .dword vec_17
        .dword vec_18
        .dword vec_19
        .dword vec_20
        .dword vec_21
        .dword vec_22
        .dword vec_23
        .dword vec_24
        .dword vec_25
        .dword vec_26
        .dword vec_27
        .dword vec_28
        .dword vec_29
        .dword vec_30
        .dword vec_31
        .dword vec_32
        .dword vec_33
        .dword vec_34
        .dword vec_35
        .dword vec_36
        .dword vec_37
        .dword vec_38
        .dword vec_39
        .dword vec_40
        .dword vec_41
        .dword vec_42
        .dword vec_43
        .dword vec_44
        .dword vec_45
        .dword vec_46
        .dword vec_47

.bss
.align 16
boot_stack:     .space BOOT_STACK_SIZE
boot_stack_top:
