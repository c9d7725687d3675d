/*
 * Internal to sim/trace: the one way its readers open a trace and read it, line by line or
 * byte by byte, plain or gzip alike (zlib tells them apart by content, never by the name).
 *
 * The readers own their formats and their messages; this owns what they share: opening (with
 * the messages "PATH: cannot open: REASON" and "PATH: out of memory"), zlib's error state told
 * as one of a few kinds with zlib's text minus the path it prefixes, physical lines with the
 * overlong-line check, splitting a line at blanks, and little-endian fields of binary forms.
 */
#ifndef MEMBOX_SIM_TRACE_TRACE_FILE_H
#define MEMBOX_SIM_TRACE_TRACE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "sim/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An open trace, embedded in its reader. */
typedef struct TraceFile {
    gzFile gz;
    char *path; /* a copy of the path given, for messages */
} TraceFile;

/*
 * Opens path for reading. buffer: zlib's buffer size in bytes, 0 for zlib's default; a regular
 * file smaller than buffer gets a buffer of its size (zlib's default at least). False with err
 * (SIM_ERR_INPUT) filled: "PATH: cannot open: REASON" or "PATH: out of memory"; f then holds
 * nothing to destroy.
 */
bool trace_file_init(TraceFile *f, const char *path, unsigned buffer, SimError *err);

/*
 * Creates (or truncates) path for writing: gzip level 6, or plain. buffer as above. False with
 * err filled: "PATH: cannot create: REASON" or "PATH: out of memory".
 */
bool trace_file_create(TraceFile *f, const char *path, bool gzip, unsigned buffer, SimError *err);

/*
 * Closes the stream and returns what gzclose() returns: Z_OK when every byte written reached
 * the file. The path stays for messages. Z_OK if the stream is closed already.
 */
int trace_file_close(TraceFile *f);

/* Closes the stream if it is open, and frees the path. f may be zeroed (never opened) or
 * destroyed already. */
void trace_file_destroy(TraceFile *f);

/* zlib's error state after a read, as the readers tell it apart. */
typedef enum TraceFileError {
    TRACE_FILE_OK = 0,    /* no error: at most the stream ended */
    TRACE_FILE_TRUNCATED, /* the gzip stream ends early (Z_BUF_ERROR) */
    TRACE_FILE_CORRUPT,   /* the gzip data are invalid (Z_DATA_ERROR) */
    TRACE_FILE_IO,        /* the system's read failed (Z_ERRNO) */
    TRACE_FILE_OTHER,     /* any other zlib error (out of memory, bad state) */
    TRACE_FILE_ERROR_MAX
} TraceFileError;

/*
 * The error state of f; *detail (if not NULL) is set to what went wrong in words: zlib's message
 * without the "PATH: " it starts with, or strerror(errno) for TRACE_FILE_IO. The text lives
 * until the next call on f.
 */
TraceFileError trace_file_error(const TraceFile *f, const char **detail);

/*
 * The usual wording of a stream error, for messages that follow "PATH:LINE: ":
 * "truncated gzip stream: unexpected end of file", "corrupt gzip stream: invalid block type" or
 * "read error: Input/output error". Returns what snprintf returns.
 */
int trace_file_describe(const TraceFile *f, char *buf, size_t size);

/* When trace_file_line() looks at zlib's error state after reading a line. */
typedef enum TraceCheck {
    /* Only after a line without its newline (the last one, or one cut by damage) and at the
     * end: every byte zlib recovered before the damage is read, and the error is told at the
     * first line that is missing. */
    TRACE_CHECK_AT_END = 0,
    /* After every line: the error is told at the line being read when zlib noticed it. */
    TRACE_CHECK_EACH_LINE,
    TRACE_CHECK_MAX
} TraceCheck;

typedef enum TraceLine {
    TRACE_LINE_END = 0, /* no line left: the stream ended cleanly; *line is unchanged */
    TRACE_LINE_OK,      /* buf holds the line, NUL-terminated, with its '\n' if it had one */
    TRACE_LINE_LONG,    /* the line has more than size - 2 characters: it does not fit */
    TRACE_LINE_NUL,     /* the line holds a NUL byte, at buf[strlen(buf)]: not text */
    TRACE_LINE_ERROR,   /* a stream error: trace_file_error() tells which */
    TRACE_LINE_MAX
} TraceLine;

/*
 * Reads the next physical line into buf (size >= 3: a line of up to size - 2 characters and its
 * newline fit). *line counts lines: it is incremented for every line read, and for an error
 * found at the end of the stream (so that the error names the first missing line). A stream
 * error takes precedence over a NUL byte, and that over an overlong line.
 */
TraceLine trace_file_line(TraceFile *f, char *buf, size_t size, TraceCheck check, uint64_t *line);

/*
 * Splits s in place at blanks (space, tab, CR, LF) into at most max tokens stored in tok.
 * Returns the number of tokens found, which may exceed max (callers report that).
 */
int trace_split(char *s, char **tok, int max);

/* Little-endian fields of the binary forms. */
static inline uint16_t trace_get_le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t trace_get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t trace_get_le64(const unsigned char *p)
{
    return (uint64_t)trace_get_le32(p) | ((uint64_t)trace_get_le32(p + 4) << 32);
}

static inline void trace_put_le16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static inline void trace_put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static inline void trace_put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

#ifdef __cplusplus
}
#endif

#endif
