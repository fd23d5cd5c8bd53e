/*
 * Arm semihosting (BKPT 0xAB; operation in r0, argument block in r1), as QEMU implements it
 * with -semihosting-config enable=on. The same instruction works on ARMv6-M and ARMv7/8-M.
 */
#include <stdint.h>

#include "board.h"

enum {
  SYS_WRITEC = 0x03,        /* r1: pointer to one character */
  SYS_WRITE0 = 0x04,        /* r1: NUL-terminated string */
  SYS_OPEN = 0x01,          /* r1: {name, mode, name length}; returns a handle or -1 */
  SYS_READ = 0x06,          /* r1: {handle, buffer, size}; returns the count NOT read */
  SYS_READC = 0x07,         /* r1: 0; stores the character at SP-1 and returns it */
  SYS_GET_CMDLINE = 0x15,   /* r1: {buffer, size}; size becomes the length */
  SYS_EXIT_EXTENDED = 0x20, /* r1: {reason, status}; QEMU exits with status & 0xFF */
};

/* Reason code ADP_Stopped_ApplicationExit for SYS_EXIT_EXTENDED. */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static int32_t semihost(int32_t op, const void *arg) {
  register int32_t r0 __asm("r0") = op;
  register const void *r1 __asm("r1") = arg;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void board_puts(const char *s) { semihost(SYS_WRITE0, s); }

void board_putc(char c) { semihost(SYS_WRITEC, &c); }

int board_getc(void) {
  /* SYS_READC stores the character at SP-1 and returns it in r0. QEMU 7.2 fills r0 from SP-1
   * before it has stored the character there (the read completes before its buffer is copied
   * back), so r0 holds a stale byte: read SP-1 ourselves, with the SP of the call. */
  register int32_t r0 __asm("r0") = SYS_READC;
  register int32_t r1 __asm("r1") = 0;
  uintptr_t sp;
  __asm volatile(
      "bkpt 0xAB\n"
      "mov %[sp], sp\n"
      : "+r"(r0), [sp] "=l"(sp)
      : "r"(r1)
      : "memory");
  return *(volatile const uint8_t *)(sp - 1u);
}

int board_open(const char *path) {
  int32_t block[3];
  int32_t len = 0;
  if (path == 0) return -1;
  while (path[len] != '\0') ++len;
  block[0] = (int32_t)(uintptr_t)path;
  block[1] = 1; /* "rb" */
  block[2] = len;
  return semihost(SYS_OPEN, block);
}

int board_read(int handle, char *buf, int size) {
  int32_t block[3];
  int32_t left;
  if (handle < 0 || buf == 0 || size <= 0) return -1;
  block[0] = handle;
  block[1] = (int32_t)(uintptr_t)buf;
  block[2] = size;
  left = semihost(SYS_READ, block);
  return left < 0 || left > size ? -1 : size - left;
}

int board_cmdline(char *buf, int size) {
  int32_t block[2] = {(int32_t)(uintptr_t)buf, size};
  if (size <= 0 || semihost(SYS_GET_CMDLINE, block) != 0) return -1;
  return block[1];
}

void board_exit(int code) {
  const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
  semihost(SYS_EXIT_EXTENDED, block);
  for (;;) {
    /* the host ignored the exit request: nothing left to do */
  }
}
