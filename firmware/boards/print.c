/* Number printing without printf: a few dozen bytes instead of newlib's 9 KB. */
#include <stdint.h>

#include "board.h"

void board_put_int(int32_t v) {
  char buf[12]; /* "-2147483648" and the NUL */
  char *p = buf + sizeof buf;
  /* The magnitude as uint32_t: -(uint32_t)INT32_MIN is 2^31, which fits. */
  uint32_t mag = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
  *--p = '\0';
  do {
    *--p = (char)('0' + mag % 10u);
    mag /= 10u;
  } while (mag != 0u);
  if (v < 0) *--p = '-';
  board_puts(p);
}

void board_put_hex(uint32_t v) {
  static const char digits[] = "0123456789abcdef";
  char buf[11] = "0x";
  for (int i = 0; i < 8; i++) buf[2 + i] = digits[(v >> (28 - 4 * i)) & 0xFu];
  buf[10] = '\0';
  board_puts(buf);
}
