// Request framing on the connections the front door (`HeaderGate`) hands to libmicrohttpd:
// where each keep-alive request's header block begins, so that a later request's block is
// checked as the gate checks a first one. See CMicroHTTPD.h, "Later requests".
//
// libmicrohttpd 0.9.75 reads a plain connection with recv(2) and closes it with close(2),
// called through the PLT: the definitions below, linked into the executable, are the ones
// it calls (the executable's symbols come first in the dynamic lookup). On a socket that
// is not watched both go straight to the system call. Everything here runs on the thread
// that calls recv or close; the watch table is a fixed array of atomics indexed by fd.

#define _GNU_SOURCE
#include "CMicroHTTPD.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum phase {
  PHASE_HEAD,        // reading a header block (head[] holds it so far)
  PHASE_BODY,        // skipping `remaining` bytes of a Content-Length body
  PHASE_CHUNK_SIZE,  // a chunk-size line (head[] holds it)
  PHASE_CHUNK_DATA,  // skipping `remaining` bytes of chunk data
  PHASE_CHUNK_CR,    // the CRLF after chunk data: expecting CR or LF
  PHASE_CHUNK_LF,    // after its CR: expecting LF
  PHASE_TRAILER,     // trailer lines after the last chunk (head[] holds the line)
  PHASE_OFF,         // framing not followed any more: everything goes to libmicrohttpd
  PHASE_CLOSED,      // a block was refused: libmicrohttpd reads end-of-stream
};

struct track {
  enum phase phase;
  int testing;               // tests: every block goes to `check` and counts as behind answered requests
  int tls;                   // read through gnutls_record_recv (recv sees only ciphertext)
  void *session;             // its gnutls session, once seen
  cmhd_block_check check;
  void *cls;
  unsigned long started;     // header blocks passed to libmicrohttpd
  unsigned long completed;   // requests libmicrohttpd has answered (cmhd_framing_completed)
  int clean;                 // the block in head[] began with every earlier request answered
  int line_checked;          // its request line has been checked
  unsigned long long remaining;
  unsigned long long drained;  // TLS, after a refusal: plaintext read and dropped
  size_t len;
  unsigned char head[CMHD_FRAMING_HEAD_MAX + 1];
};

static _Atomic(struct track *) table[CMHD_FRAMING_FDS];

/// The track of `fd`, or NULL.
static struct track *lookup(int fd)
{
  return fd >= 0 && fd < CMHD_FRAMING_FDS ? atomic_load_explicit(&table[fd], memory_order_acquire) : NULL;
}

static struct track *take(int fd)
{
  if (fd < 0 || fd >= CMHD_FRAMING_FDS) return NULL;
  return atomic_exchange(&table[fd], NULL);
}

static void watch(int fd, cmhd_block_check check, void *cls, int tls)
{
  free(take(fd));
  if (fd < 0 || fd >= CMHD_FRAMING_FDS) return;
  struct track *t = calloc(1, sizeof *t);
  if (t == NULL) return;
  t->phase = PHASE_HEAD;
  t->tls = tls;
  t->check = check;
  t->cls = cls;
  atomic_store(&table[fd], t);
}

void cmhd_framing_watch(int fd, cmhd_block_check check, void *cls) { watch(fd, check, cls, 0); }

void cmhd_framing_watch_tls(int fd, cmhd_block_check check, void *cls) { watch(fd, check, cls, 1); }

void cmhd_framing_completed(int fd)
{
  struct track *t = lookup(fd);
  if (t == NULL) return;
  t->completed++;
  // Answered before its body ended (an early refusal): libmicrohttpd may read the rest as
  // it likes; the framing is no longer known for sure, so it is not followed.
  if (t->phase != PHASE_HEAD && t->phase != PHASE_CLOSED) t->phase = PHASE_OFF;
}

int close(int fd)
{
  if (lookup(fd) != NULL) free(take(fd));
  return (int)syscall(SYS_close, fd);
}

static int lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/// Whether head[0..<len] holds the field `name` (lower case, with its colon) at a line start;
/// its value (trimmed) in *value, *value_len. The first such field.
static int field(const struct track *t, const char *name, const unsigned char **value, size_t *value_len, int *count)
{
  size_t n = strlen(name);
  int found = 0;
  *count = 0;
  for (size_t i = 1; i < t->len; i++) {  // fields, not the request line
    if (t->head[i - 1] != '\n') continue;
    if (i + n > t->len) break;
    size_t k = 0;
    while (k < n && lower(t->head[i + k]) == (unsigned char)name[k]) k++;
    if (k < n) continue;
    (*count)++;
    if (found) continue;
    size_t a = i + n, b = a;
    while (b < t->len && t->head[b] != '\r' && t->head[b] != '\n') b++;
    while (a < b && (t->head[a] == ' ' || t->head[a] == '\t')) a++;
    while (b > a && (t->head[b - 1] == ' ' || t->head[b - 1] == '\t')) b--;
    *value = t->head + a;
    *value_len = b - a;
    found = 1;
  }
  return found;
}

/// After a header block that passed: where its body ends. Anything the framing cannot be
/// sure of (two lengths, a transfer coding other than chunked) stops the following.
static void begin_body(struct track *t)
{
  const unsigned char *v;
  size_t vl;
  int count;
  t->phase = PHASE_HEAD;
  if (field(t, "transfer-encoding:", &v, &vl, &count)) {
    static const char chunked[] = "chunked";
    if (count != 1 || vl < 7) { t->phase = PHASE_OFF; return; }
    for (size_t k = 0; k < 7; k++) {
      if (lower(v[vl - 7 + k]) != (unsigned char)chunked[k]) { t->phase = PHASE_OFF; return; }
    }
    t->phase = PHASE_CHUNK_SIZE;
    return;
  }
  if (field(t, "content-length:", &v, &vl, &count)) {
    unsigned long long n = 0;
    if (count != 1 || vl == 0 || vl > 19) { t->phase = PHASE_OFF; return; }
    for (size_t k = 0; k < vl; k++) {
      if (v[k] < '0' || v[k] > '9') { t->phase = PHASE_OFF; return; }
      n = n * 10 + (unsigned long long)(v[k] - '0');
    }
    if (n > 0) {
      t->phase = PHASE_BODY;
      t->remaining = n;
    }
  }
}

/// Whether head[] plainly passes what `check` checks (the request line `METHOD SP target SP
/// HTTP/1.x`; each Content-Length of at most 19 digits), so that a well-formed request
/// costs no call: anything else goes to `check`, which decides.
static int plainly_fine(const struct track *t, int kind)
{
  if (kind == CMHD_BLOCK_TOO_LONG) return 0;
  size_t end = 0;
  while (end < t->len && t->head[end] != '\n') end++;
  size_t line = end > 0 && t->head[end - 1] == '\r' ? end - 1 : end;
  size_t spaces[2], found = 0;
  for (size_t k = 0; k < line; k++) {
    if (t->head[k] != ' ') continue;
    if (found == 2) return 0;
    spaces[found++] = k;
  }
  if (found != 2 || spaces[0] == 0 || spaces[1] == spaces[0] + 1) return 0;
  if (line - spaces[1] - 1 != 8 || memcmp(t->head + spaces[1] + 1, "HTTP/1.", 7) != 0) return 0;
  if (kind == CMHD_BLOCK_REQUEST_LINE) return 1;
  static const char name[] = "content-length:";
  const size_t n = sizeof name - 1;
  for (size_t i = end + 1; i + n <= t->len; i++) {
    if (t->head[i - 1] != '\n') continue;
    size_t k = 0;
    while (k < n && lower(t->head[i + k]) == (unsigned char)name[k]) k++;
    if (k < n) continue;
    size_t a = i + n, b = a;
    while (b < t->len && t->head[b] != '\r' && t->head[b] != '\n') b++;
    while (a < b && (t->head[a] == ' ' || t->head[a] == '\t')) a++;
    while (b > a && (t->head[b - 1] == ' ' || t->head[b - 1] == '\t')) b--;
    if (b == a || b - a > 19) return 0;
    for (size_t d = a; d < b; d++) {
      if (t->head[d] < '0' || t->head[d] > '9') return 0;
    }
  }
  return 1;
}

/// Asks the check about head[]; 1 when it refused the block (the connection is then the
/// gate's, and libmicrohttpd reads end-of-stream).
static int refused(struct track *t, int fd, int kind)
{
  const int fine = plainly_fine(t, kind);  // computed in tests too, for the fuzzer
  if (!t->testing && fine) return 0;
  if (!t->clean && !t->testing) {
    // A block behind an unanswered request (pipelining): libmicrohttpd answers it, as
    // before; the framing is not followed further.
    t->phase = PHASE_OFF;
    return 0;
  }
  if (t->check(t->cls, fd, t->head, t->len, kind) != 0) {
    t->phase = PHASE_CLOSED;
    return 1;
  }
  return 0;
}

/// Follows buf[0..<n] (just read from fd); 1 if a block was refused.
static int follow(struct track *t, int fd, const unsigned char *buf, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    unsigned char c = buf[i];
    switch (t->phase) {
    case PHASE_HEAD:
      if (t->len == 0) {
        if (c == '\r' || c == '\n') continue;  // empty lines before a request line (RFC 9112 §2.2)
        t->clean = t->started == t->completed;
        t->line_checked = 0;
      }
      t->head[t->len++] = c;
      if (c == '\n') {
        size_t l = t->len;
        int end = (l >= 2 && t->head[l - 2] == '\n') || (l >= 3 && t->head[l - 2] == '\r' && t->head[l - 3] == '\n');
        if (end) {
          if (refused(t, fd, CMHD_BLOCK_COMPLETE)) return 1;
          if (t->phase == PHASE_OFF) return 0;
          t->started++;
          begin_body(t);
          t->len = 0;
          continue;
        }
        if (!t->line_checked) {
          t->line_checked = 1;
          if (refused(t, fd, CMHD_BLOCK_REQUEST_LINE)) return 1;
          if (t->phase == PHASE_OFF) return 0;
        }
      }
      if (t->len > CMHD_FRAMING_HEAD_MAX) {
        if (refused(t, fd, CMHD_BLOCK_TOO_LONG)) return 1;
        t->phase = PHASE_OFF;
        return 0;
      }
      break;
    case PHASE_BODY:
    case PHASE_CHUNK_DATA: {
      size_t skip = (size_t)(t->remaining < (unsigned long long)(n - i) ? t->remaining : (unsigned long long)(n - i));
      t->remaining -= skip;
      i += skip - 1;
      if (t->remaining == 0) t->phase = t->phase == PHASE_BODY ? PHASE_HEAD : PHASE_CHUNK_CR;
      break;
    }
    case PHASE_CHUNK_SIZE:
    case PHASE_TRAILER:
      if (t->len >= 4096) { t->phase = PHASE_OFF; return 0; }
      t->head[t->len++] = c;
      if (c != '\n') break;
      if (t->phase == PHASE_TRAILER) {
        // An empty line ends the trailers and the request.
        if (t->len == 1 || (t->len == 2 && t->head[0] == '\r')) t->phase = PHASE_HEAD;
        t->len = 0;
        break;
      }
      {
        unsigned long long size = 0;
        size_t k = 0;
        for (; k < t->len; k++) {
          unsigned char h = t->head[k];
          int d = h >= '0' && h <= '9' ? h - '0' : lower(h) >= 'a' && lower(h) <= 'f' ? lower(h) - 'a' + 10 : -1;
          if (d < 0) break;
          if (k >= 15) { t->phase = PHASE_OFF; return 0; }
          size = size * 16 + (unsigned long long)d;
        }
        if (k == 0) { t->phase = PHASE_OFF; return 0; }
        t->len = 0;
        if (size == 0) {
          t->phase = PHASE_TRAILER;
        } else {
          t->phase = PHASE_CHUNK_DATA;
          t->remaining = size;
        }
      }
      break;
    case PHASE_CHUNK_CR:
      if (c == '\r') t->phase = PHASE_CHUNK_LF;
      else if (c == '\n') t->phase = PHASE_CHUNK_SIZE;
      else { t->phase = PHASE_OFF; return 0; }
      break;
    case PHASE_CHUNK_LF:
      if (c == '\n') t->phase = PHASE_CHUNK_SIZE;
      else { t->phase = PHASE_OFF; return 0; }
      break;
    case PHASE_OFF:
    case PHASE_CLOSED:
      return 0;
    }
  }
  return 0;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
  struct track *t = lookup(fd);
  if (t != NULL && !t->tls && t->phase == PHASE_CLOSED) return 0;
  ssize_t n = (ssize_t)syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
  if (t == NULL || t->tls || n <= 0 || (flags & MSG_PEEK) != 0 || t->phase == PHASE_OFF) return n;
  if (follow(t, fd, buf, (size_t)n)) return 0;
  return n;
}

// TLS: libmicrohttpd reads a TLS connection's plaintext with gnutls_record_recv, also
// through the PLT. The real functions are looked up once (RTLD_NEXT: libgnutls, loaded by
// libmicrohttpd); the session's socket is gnutls_transport_get_int's.

typedef ssize_t (*record_recv_fn)(void *, void *, size_t);
typedef ssize_t (*record_send_fn)(void *, const void *, size_t);
typedef int (*transport_int_fn)(void *);
typedef int (*bye_fn)(void *, int);
static record_recv_fn real_record_recv;
static record_send_fn real_record_send;
static transport_int_fn real_transport_int;
static bye_fn real_bye;
static pthread_once_t gnutls_once = PTHREAD_ONCE_INIT;

static void find_gnutls(void)
{
  real_record_recv = (record_recv_fn)dlsym(RTLD_NEXT, "gnutls_record_recv");
  real_record_send = (record_send_fn)dlsym(RTLD_NEXT, "gnutls_record_send");
  real_transport_int = (transport_int_fn)dlsym(RTLD_NEXT, "gnutls_transport_get_int");
  real_bye = (bye_fn)dlsym(RTLD_NEXT, "gnutls_bye");
}

// gnutls's codes used here.
#define TLS_E_AGAIN (-28)
#define TLS_E_INTERRUPTED (-52)
#define TLS_SHUT_WR 1

ssize_t gnutls_record_recv(void *session, void *data, size_t size)
{
  pthread_once(&gnutls_once, find_gnutls);
  if (real_record_recv == NULL) return -50;  // GNUTLS_E_INVALID_REQUEST; unreachable: gnutls calls us
  int fd = real_transport_int != NULL ? real_transport_int(session) : -1;
  struct track *t = lookup(fd);
  ssize_t n = real_record_recv(session, data, size);
  if (t == NULL || !t->tls) return n;
  if (t->phase == PHASE_CLOSED) {
    // Refused and answered (with close_notify): what the client still sends is read and
    // dropped, so that closing does not reset the answer away, until it closes, or
    // libmicrohttpd's timeout, or CMHD_FRAMING_TLS_DRAIN bytes.
    if (n <= 0) return n;
    t->drained += (unsigned long long)n;
    return t->drained > CMHD_FRAMING_TLS_DRAIN ? 0 : TLS_E_AGAIN;
  }
  if (n <= 0 || t->phase == PHASE_OFF) return n;
  t->session = session;
  if (follow(t, fd, data, (size_t)n)) return TLS_E_AGAIN;
  return n;
}

int cmhd_framing_tls_send(int fd, const unsigned char *bytes, size_t length)
{
  pthread_once(&gnutls_once, find_gnutls);
  struct track *t = lookup(fd);
  if (t == NULL || t->session == NULL || real_record_send == NULL) return 0;
  size_t sent = 0;
  for (int tries = 0; sent < length && tries < 100; tries++) {
    ssize_t n = real_record_send(t->session, bytes + sent, length - sent);
    if (n > 0) {
      sent += (size_t)n;
    } else if (n == TLS_E_AGAIN || n == TLS_E_INTERRUPTED) {  // a small answer: a moment
      usleep(1000);
    } else {
      return 0;
    }
  }
  if (sent != length) return 0;
  // close_notify: the client reads the end of the answer, as after Connection: close.
  for (int tries = 0; real_bye != NULL && tries < 100; tries++) {
    int rc = real_bye(t->session, TLS_SHUT_WR);
    if (rc != TLS_E_AGAIN && rc != TLS_E_INTERRUPTED) break;
    usleep(1000);
  }
  return 1;
}

long cmhd_framing_follow_stream(const unsigned char *bytes, size_t length, size_t piece,
                                cmhd_block_check check, void *cls)
{
  struct track *t = calloc(1, sizeof *t);
  if (t == NULL) return -3;
  t->phase = PHASE_HEAD;
  t->check = check;
  t->cls = cls;
  t->testing = 1;
  if (piece == 0) piece = 1;
  long result = -1;
  for (size_t at = 0; at < length; at += piece) {
    size_t n = length - at < piece ? length - at : piece;
    if (follow(t, -1, bytes + at, n)) { result = (long)at; break; }
    if (t->phase == PHASE_OFF) { result = -2; break; }
  }
  free(t);
  return result;
}
