/* stack/switch.S — _own_stack_call(arg, fn, top): run fn(arg) on another stack.
 *
 * The frame pointer keeps the caller's stack pointer while fn runs on the new
 * stack whose top is `top` (16-byte aligned); the call frame information
 * describes the caller's frame through it, so unwinders can usually walk from
 * fn back onto the old stack. Only x86-64 and aarch64; elsewhere the file is
 * empty and own_maybe_grow runs fn in place (stack_internal.h).
 */
#if defined(__x86_64__)
        .text
        .p2align 4
        .globl  _own_stack_call
        .hidden _own_stack_call
        .type   _own_stack_call, @function
_own_stack_call:                /* rdi = arg, rsi = fn, rdx = top */
        .cfi_startproc
#if defined(__CET__)
        endbr64
#endif
        pushq   %rbp
        .cfi_def_cfa_offset 16
        .cfi_offset %rbp, -16
        movq    %rsp, %rbp
        .cfi_def_cfa_register %rbp
        movq    %rdx, %rsp      /* onto the new stack; aligned for the call */
        callq   *%rsi           /* fn(arg): arg is already in rdi */
        movq    %rbp, %rsp      /* back onto the old stack */
        popq    %rbp
        .cfi_def_cfa %rsp, 8
        ret
        .cfi_endproc
        .size   _own_stack_call, . - _own_stack_call

#elif defined(__aarch64__)
        .text
        .p2align 2
        .globl  _own_stack_call
        .hidden _own_stack_call
        .type   _own_stack_call, %function
_own_stack_call:                /* x0 = arg, x1 = fn, x2 = top */
        .cfi_startproc
#if defined(__ARM_FEATURE_BTI_DEFAULT)
        hint    #34             /* bti c */
#endif
        stp     x29, x30, [sp, #-16]!
        .cfi_def_cfa_offset 16
        .cfi_offset x29, -16
        .cfi_offset x30, -8
        mov     x29, sp
        .cfi_def_cfa_register x29
        mov     sp, x2          /* onto the new stack */
        blr     x1              /* fn(arg): arg is already in x0 */
        mov     sp, x29         /* back onto the old stack */
        .cfi_def_cfa_register sp
        ldp     x29, x30, [sp], #16
        .cfi_def_cfa_offset 0
        .cfi_restore x29
        .cfi_restore x30
        ret
        .cfi_endproc
        .size   _own_stack_call, . - _own_stack_call
#endif

#if defined(__linux__) && defined(__ELF__)
        .section .note.GNU-stack, "", %progbits
#endif
