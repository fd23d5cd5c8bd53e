/*
 * Continuous motion recognition on a Cortex-M: reads accelerometer samples, keeps the last
 * MOTION_WINDOW of them in a ring, and every MOTION_STRIDE samples (once the first window is full)
 * runs the window features and the model, printing the predicted class and its confidence.
 *
 * Input (over semihosting here; a sensor driver or DMA buffer on a real board): one sample per line,
 * MOTION_AXES integers in the training data's units (milli-g) separated by commas, from the host file
 * named by the first argument, or else from standard input, up to the end of the file or a line "end"
 * (QEMU 7.2 never reports the end of standard input). Output, one line per window:
 *   window <k> samples <first>..<last>: <class> <confidence per mille>
 * then "windows <count>".
 *
 * Exit status: 0 done; 2 a line that is not MOTION_AXES integers from -32768 to 32767 (the message
 * names the line); 3 the stream ended before one window; 4 the model returned an error.
 */
#include <stdint.h>

#include "board.h"
#include "motion.h"
#include "motion_features.h"

enum { EXIT_BAD_SAMPLE = 2, EXIT_SHORT_STREAM = 3, EXIT_MODEL_ERROR = 4 };
enum { LINE_MAX = 96 };

/* The last MOTION_WINDOW samples: sample n is at ring[n % MOTION_WINDOW]. */
static int16_t ring[MOTION_WINDOW * MOTION_AXES];

/* The input: a host file named by the first argument (read a block at a time), or standard input
 * (a character at a time). -1 at the end of a file. */
static int input_file = -1;
static char input[512];
static int input_len;
static int input_pos;

static int next_char(void)
{
    if (input_file < 0) {
        return board_getc();
    }
    if (input_pos == input_len) {
        input_len = board_read(input_file, input, (int)sizeof input);
        input_pos = 0;
        if (input_len < 0) {
            board_puts("error: cannot read the input file\n");
            board_exit(EXIT_BAD_SAMPLE);
        }
        if (input_len == 0) {
            return -1;
        }
    }
    return (unsigned char)input[input_pos++];
}

/* Opens the file named by the program's first argument, if any (QEMU: -semihosting-config
 * ...,arg=motion.elf,arg=FILE). */
static void open_input(void)
{
    static char cmdline[256];
    int i = 0;
    if (board_cmdline(cmdline, (int)sizeof cmdline) <= 0) {
        return;
    }
    while (cmdline[i] != '\0' && cmdline[i] != ' ') {
        ++i; /* the program's name */
    }
    if (cmdline[i] == '\0' || cmdline[i + 1] == '\0') {
        return;
    }
    input_file = board_open(&cmdline[i + 1]);
    if (input_file < 0) {
        board_puts("error: cannot open ");
        board_puts(&cmdline[i + 1]);
        board_puts("\n");
        board_exit(EXIT_BAD_SAMPLE);
    }
}

/* Reads one line into buf (without the newline); returns its length, -1 when it is too long, or -2
 * at the end of the input file. */
static int read_line(char *buf, int size)
{
    int len = 0;
    int too_long = 0;
    for (;;) {
        const int c = next_char();
        if (c < 0 && len == 0) {
            return -2;
        }
        if (c == '\n' || c < 0) {
            break;
        }
        if (c == '\r') {
            continue;
        }
        if (len + 1 < size) {
            buf[len++] = (char)c;
        } else {
            too_long = 1;
        }
    }
    buf[len] = '\0';
    return too_long ? -1 : len;
}

/* Parses MOTION_AXES comma-separated int16 integers (spaces allowed around them). Returns 0 or -1. */
static int parse_sample(const char *s, int16_t *out)
{
    int a;
    for (a = 0; a < MOTION_AXES; ++a) {
        int32_t v = 0;
        int negative = 0;
        int digits = 0;
        while (*s == ' ') {
            ++s;
        }
        if (*s == '-' || *s == '+') {
            negative = *s == '-';
            ++s;
        }
        while (*s >= '0' && *s <= '9' && digits < 6) {
            v = v * 10 + (*s - '0');
            ++s;
            ++digits;
        }
        if (digits == 0 || (*s >= '0' && *s <= '9')) {
            return -1;
        }
        v = negative ? -v : v;
        if (v < INT16_MIN || v > INT16_MAX) {
            return -1;
        }
        out[a] = (int16_t)v;
        while (*s == ' ') {
            ++s;
        }
        if (a + 1 < MOTION_AXES) {
            if (*s != ',') {
                return -1;
            }
            ++s;
        }
    }
    return *s == '\0' ? 0 : -1;
}

static int is_end(const char *s)
{
    return s[0] == 'e' && s[1] == 'n' && s[2] == 'd' && s[3] == '\0';
}

int main(void)
{
    char line[LINE_MAX];
    int32_t line_number = 0;
    int32_t count = 0; /* samples received */
    int32_t windows = 0;
    open_input();
    for (;;) {
        int16_t sample[MOTION_AXES];
        int a;
        const int len = read_line(line, LINE_MAX);
        ++line_number;
        if (len == -2 || (len > 0 && is_end(line))) {
            break;
        }
        if (len == 0) {
            continue;
        }
        if (len < 0 || parse_sample(line, sample) != 0) {
            board_puts("error: line ");
            board_put_int(line_number);
            board_puts(": expected ");
            board_put_int(MOTION_AXES);
            board_puts(" integers from -32768 to 32767 separated by commas\n");
            board_exit(EXIT_BAD_SAMPLE);
        }
        for (a = 0; a < MOTION_AXES; ++a) {
            ring[(count % MOTION_WINDOW) * MOTION_AXES + a] = sample[a];
        }
        ++count;
        if (count >= MOTION_WINDOW && (count - MOTION_WINDOW) % MOTION_STRIDE == 0) {
            float probabilities[MOTION_OUTPUT_SIZE];
            int32_t best = 0;
            float confidence;
            /* the oldest of the last MOTION_WINDOW samples is sample count - MOTION_WINDOW */
            if (motion_predict_window(ring, count % MOTION_WINDOW, probabilities) != 0) {
                board_puts("error: the model returned an error\n");
                board_exit(EXIT_MODEL_ERROR);
            }
#if MOTION_OUTPUT_SIZE == 1
            /* one sigmoid output: the probability of class 1 */
            best = probabilities[0] >= 0.5f ? 1 : 0;
            confidence = best == 1 ? probabilities[0] : 1.0f - probabilities[0];
#else
            {
                int32_t c;
                for (c = 1; c < MOTION_OUTPUT_SIZE; ++c) {
                    best = probabilities[c] > probabilities[best] ? c : best;
                }
            }
            confidence = probabilities[best];
#endif
            board_puts("window ");
            board_put_int(windows);
            board_puts(" samples ");
            board_put_int(count - MOTION_WINDOW);
            board_puts("..");
            board_put_int(count - 1);
            board_puts(": ");
            board_puts(motion_class_names[best]);
            board_puts(" ");
            board_put_int((int32_t)(confidence * 1000.0f));
            board_puts("\n");
            ++windows;
        }
    }
    if (windows == 0) {
        board_puts("error: the stream ended after ");
        board_put_int(count);
        board_puts(" samples, fewer than one window of ");
        board_put_int(MOTION_WINDOW);
        board_puts("\n");
        board_exit(EXIT_SHORT_STREAM);
    }
    board_puts("windows ");
    board_put_int(windows);
    board_puts("\n");
    board_exit(0);
}
