// CMicroHTTPD: the smallest C surface Swift needs to drive libmicrohttpd.
//
// Most of it exists because Swift cannot call C variadic functions:
// MHD_start_daemon and MHD_get_daemon_info take `...` option lists. Each
// cmhd_ function is a fixed-arity wrapper around one of them. All other MHD
// functions (MHD_queue_response, MHD_suspend_connection, ...) are called from
// Swift directly through this header's include of <microhttpd.h>. The rest works
// around what libmicrohttpd 0.9.75 answers itself: the front door's sockets, and
// the request framing followed under libmicrohttpd's own reads ("Later requests").
#ifndef CMICROHTTPD_H
#define CMICROHTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// Receives one formatted libmicrohttpd error message (no trailing newline).
typedef void (*cmhd_log_fn)(void *cls, const char *message);

/// Where libmicrohttpd's error log goes. MHD's own logger callback takes a va_list, which
/// Swift cannot format; the shim's trampoline formats it and calls `fn` instead. The
/// caller owns this struct and keeps it alive until MHD_stop_daemon has returned.
struct cmhd_log_target {
  cmhd_log_fn fn;
  void *cls;
};

/// The daemon options the server sets; zero / NULL fields leave MHD's default.
struct cmhd_config {
  /// MHD_OPTION_CONNECTION_TIMEOUT: idle seconds before MHD closes a connection
  /// (0 = no timeout).
  unsigned int connection_timeout;
  /// MHD_OPTION_CONNECTION_LIMIT: connections at once (0 = MHD's default, FD_SETSIZE-4).
  unsigned int connection_limit;
  /// MHD_OPTION_PER_IP_CONNECTION_LIMIT: connections at once from one IP (0 = no limit).
  unsigned int per_ip_connection_limit;
  /// MHD_OPTION_CONNECTION_MEMORY_LIMIT: per-connection pool (request line + headers).
  size_t memory_limit;
  /// MHD_OPTION_HTTPS_MEM_KEY / _CERT: PEM text; both non-NULL turns on TLS (MHD_USE_TLS).
  /// MHD copies neither; they must stay valid until MHD_stop_daemon has returned.
  const char *tls_key_pem;
  const char *tls_cert_pem;
  /// MHD_OPTION_NOTIFY_CONNECTION, if non-NULL: told when each connection opens and closes
  /// (on the polling thread; CLOSED comes before MHD closes the socket).
  MHD_NotifyConnectionCallback notify_connection;
  void *notify_connection_cls;
};

/// Starts a daemon bound to `host` (a numeric IPv4 or IPv6 address) and `port`
/// (0 picks a free port). Wraps the variadic MHD_start_daemon with the options
/// the server uses:
///  - MHD_OPTION_SOCK_ADDR: bind to `host` only, not to every interface.
///  - MHD_OPTION_NOTIFY_COMPLETED: `rc` releases per-connection state.
///  - MHD_OPTION_EXTERNAL_LOGGER: MHD's messages go to `log` (if non-NULL) instead
///    of stderr.
///  - everything in `config` (see `struct cmhd_config`).
/// MHD_USE_IPv6 is added to `flags` when `host` is an IPv6 address.
/// Returns NULL if `host` is not a numeric address or the daemon fails to start
/// (errno is left as MHD set it; EINVAL for a bad host).
struct MHD_Daemon *cmhd_start(unsigned int flags,
                              const char *host,
                              uint16_t port,
                              MHD_AccessHandlerCallback ah,
                              void *ah_cls,
                              MHD_RequestCompletedCallback rc,
                              void *rc_cls,
                              const struct cmhd_config *config,
                              struct cmhd_log_target *log);

/// How many request header fields named `name` (case-insensitive) the connection's
/// request has. MHD_lookup_connection_value only returns the first one; two
/// Content-Length fields are request smuggling and must be seen.
unsigned int cmhd_header_count(struct MHD_Connection *connection, const char *name);

/// The port the daemon's listening socket is bound to (useful after port 0),
/// or 0 if unknown. Wraps the variadic MHD_get_daemon_info with
/// MHD_DAEMON_INFO_BIND_PORT.
uint16_t cmhd_bound_port(struct MHD_Daemon *daemon);

/// The connection's socket, or -1. Wraps the variadic MHD_get_connection_info with
/// MHD_CONNECTION_INFO_CONNECTION_FD. Needed because libmicrohttpd 0.9.75 cannot queue a
/// response while a request body is still arriving (MHD_queue_response fails in that
/// state): to answer 413 as soon as a chunked body passes the limit, the server writes
/// the response to this socket itself and then closes the connection.
int cmhd_connection_fd(struct MHD_Connection *connection);

/// Sets this connection's inactivity timeout to `seconds` (0: none) and restarts its
/// clock; 1 on success. Wraps the variadic MHD_set_connection_option with
/// MHD_CONNECTION_OPTION_TIMEOUT. Used while a refused request's body is read and dropped
/// (`Lingering`): a client that goes quiet then is closed after a few seconds rather than
/// after the daemon-wide timeout.
int cmhd_set_connection_timeout(struct MHD_Connection *connection, unsigned int seconds);

/// Bytes the kernel has received on the TCP socket `fd` so far (TCP_INFO's
/// tcpi_bytes_received), or -1 if unknown. libmicrohttpd 0.9.75 does not tell when a
/// request begins to arrive, only when its headers are complete; `SlowClientSweeper`
/// starts a connection's request clock when this count grows, so that a keep-alive
/// connection idle between requests is not timed as a slow request.
long long cmhd_socket_bytes_received(int fd);

// The front door (`HeaderGate`): the server accepts connections itself, looks at the
// first request's header block (MSG_PEEK, so nothing is consumed) and hands the socket
// to a daemon started with MHD_USE_NO_LISTEN_SOCKET. libmicrohttpd 0.9.75 answers a
// malformed Content-Length, an over-long request line or header block and an unknown
// HTTP version itself, in HTML, and for Content-Length writes its header block twice;
// the gate answers those first, as one problem+json response.

/// A non-blocking listening socket bound to `host` (numeric IPv4 or IPv6) and `port`
/// (0: any); the bound port in `*bound_port`. -1 with errno on failure.
int cmhd_listen(const char *host, uint16_t port, int backlog, uint16_t *bound_port);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; -1 with errno (EAGAIN: none waiting).
int cmhd_accept(int listen_fd);

/// Hands an accepted socket to the daemon (MHD_add_connection with its peer address);
/// 1 on success. MHD owns (and closes) `fd` either way, including when a connection
/// limit refuses it.
int cmhd_add_connection(struct MHD_Daemon *daemon, int fd);

/// MHD_DAEMON_INFO_CURRENT_CONNECTIONS.
unsigned int cmhd_current_connections(struct MHD_Daemon *daemon);

// Later requests (`HeaderGate`, framing.c): the gate sees only a connection's first
// request before libmicrohttpd owns the socket, and libmicrohttpd 0.9.75 would answer a
// later keep-alive request's malformed framing itself, as above. So the shim defines
// recv(2) and close(2) (libmicrohttpd calls them through the PLT; the executable's
// definitions come first in the dynamic lookup): on a socket the gate watches, recv
// follows the request framing (header block, Content-Length or chunked body, next block)
// and hands each later request's request line and header block to `check` before
// libmicrohttpd sees their last byte. A block `check` refuses (it has answered it and
// taken the connection over, on a dup of the socket) reads as end-of-stream to
// libmicrohttpd, which closes its descriptor without writing. A block behind an
// unanswered request (pipelining), or framing the shim cannot follow, is left to
// libmicrohttpd. close(2) forgets the socket. Unwatched sockets go straight to the
// system calls. Over TLS (no gate) the same holds from the first request on, read through
// gnutls_record_recv; a refused block is answered on the session, followed by close_notify,
// and what the client still sends is dropped (CMHD_FRAMING_TLS_DRAIN) until it closes.

/// The longest header block followed (HeaderGate.maxHeaderBytes).
#define CMHD_FRAMING_HEAD_MAX 16384
/// Over TLS, after a refusal, at most this many bytes are read and dropped.
#define CMHD_FRAMING_TLS_DRAIN (1024 * 1024)
/// Sockets with a descriptor below this are followed.
#define CMHD_FRAMING_FDS 65536

/// What `check` is asked about: the request line alone (its line just ended), the whole
/// block, or a block longer than CMHD_FRAMING_HEAD_MAX without its end.
#define CMHD_BLOCK_REQUEST_LINE 0
#define CMHD_BLOCK_COMPLETE 1
#define CMHD_BLOCK_TOO_LONG 2

/// Checks a later request's block (`kind`: CMHD_BLOCK_*) on socket `fd`; nonzero when it
/// refused it (and answered it, and took the connection over).
typedef int (*cmhd_block_check)(void *cls, int fd, const unsigned char *block, size_t length, int kind);

/// Follows `fd`'s requests from its first byte on (before it is handed to libmicrohttpd).
void cmhd_framing_watch(int fd, cmhd_block_check check, void *cls);

/// The same for a TLS connection, whose plaintext libmicrohttpd reads with
/// gnutls_record_recv (also defined by the shim); from its accept on.
void cmhd_framing_watch_tls(int fd, cmhd_block_check check, void *cls);

/// Writes `bytes` on TLS connection `fd` (watched, its session seen), on libmicrohttpd's
/// thread from `check`, then close_notify: 1 when all were written.
int cmhd_framing_tls_send(int fd, const unsigned char *bytes, size_t length);

/// Tests and fuzzing: follows `bytes` as one connection's stream, read `piece` bytes at a
/// time, every request counted as answered before the next, and every request line and
/// block handed to `check` (not only those that are not plainly fine). The offset of the
/// piece in which a block was refused, -1 when followed to the end, -2 when the following
/// stopped (framing not followed further).
long cmhd_framing_follow_stream(const unsigned char *bytes, size_t length, size_t piece,
                                cmhd_block_check check, void *cls);

/// libmicrohttpd has answered a request on `fd` (its completed callback).
void cmhd_framing_completed(int fd);

#endif
