// Fixed-arity wrappers around libmicrohttpd's variadic functions; see
// include/CMicroHTTPD.h for why each exists.
#define _GNU_SOURCE
#include "CMicroHTTPD.h"

#include <arpa/inet.h>
#include <linux/tcp.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

// MHD_LogCallback: format MHD's message and hand it to the Swift side.
static void cmhd_log_trampoline(void *cls, const char *fmt, va_list ap)
{
  struct cmhd_log_target *target = cls;
  if (target == NULL || target->fn == NULL || fmt == NULL)
    return;
  char message[512];
  vsnprintf(message, sizeof(message), fmt, ap);
  size_t n = strlen(message);
  while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == '\r'))
    message[--n] = '\0';
  target->fn(target->cls, message);
}

struct MHD_Daemon *cmhd_start(unsigned int flags,
                              const char *host,
                              uint16_t port,
                              MHD_AccessHandlerCallback ah,
                              void *ah_cls,
                              MHD_RequestCompletedCallback rc,
                              void *rc_cls,
                              const struct cmhd_config *config,
                              struct cmhd_log_target *log)
{
  // MHD reads the address only while binding inside MHD_start_daemon, so
  // storage on this stack frame is enough.
  struct sockaddr_storage addr;
  memset(&addr, 0, sizeof(addr));
  if (host == NULL) {
    errno = EINVAL;
    return NULL;
  }
  struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    flags |= MHD_USE_IPv6;
  } else {
    errno = EINVAL;
    return NULL;
  }

  // Options are appended to a fixed array so that unset limits can be
  // omitted; MHD_OPTION_ARRAY passes them through the variadic call.
  struct MHD_OptionItem options[16];
  size_t n = 0;
  // The logger first, as MHD asks, so that start-up errors reach it too.
  if (log != NULL)
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)cmhd_log_trampoline, log};
  if ((flags & MHD_USE_NO_LISTEN_SOCKET) == 0)
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &addr};
  options[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)rc, rc_cls};
  if (config != NULL) {
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)config->connection_timeout, NULL};
    if (config->connection_limit != 0)
      options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)config->connection_limit, NULL};
    if (config->per_ip_connection_limit != 0)
      options[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)config->per_ip_connection_limit, NULL};
    if (config->memory_limit != 0)
      options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)config->memory_limit, NULL};
    if (config->tls_key_pem != NULL && config->tls_cert_pem != NULL) {
      flags |= MHD_USE_TLS;
      options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)config->tls_key_pem};
      options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)config->tls_cert_pem};
    }
    if (config->notify_connection != NULL)
      options[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)config->notify_connection,
                                             config->notify_connection_cls};
  }
  options[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

  return MHD_start_daemon(flags, port, NULL, NULL, ah, ah_cls,
                          MHD_OPTION_ARRAY, options,
                          MHD_OPTION_END);
}

uint16_t cmhd_bound_port(struct MHD_Daemon *daemon)
{
  if (daemon == NULL)
    return 0;
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  return info == NULL ? 0 : info->port;
}

int cmhd_connection_fd(struct MHD_Connection *connection)
{
  if (connection == NULL)
    return -1;
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  return info == NULL ? -1 : info->connect_fd;
}

int cmhd_set_connection_timeout(struct MHD_Connection *connection, unsigned int seconds)
{
  if (connection == NULL)
    return 0;
  return MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, seconds) == MHD_YES;
}

int cmhd_listen(const char *host, uint16_t port, int backlog, uint16_t *bound_port)
{
  struct sockaddr_storage addr;
  memset(&addr, 0, sizeof(addr));
  struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
  socklen_t length;
  if (host != NULL && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(*v4);
  } else if (host != NULL && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(*v6);
  } else {
    errno = EINVAL;
    return -1;
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (addr.ss_family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  if (bind(fd, (struct sockaddr *)&addr, length) != 0 || listen(fd, backlog) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  if (bound_port != NULL) {
    struct sockaddr_storage bound;
    socklen_t bound_length = sizeof(bound);
    memset(&bound, 0, sizeof(bound));
    getsockname(fd, (struct sockaddr *)&bound, &bound_length);
    *bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
  }
  return fd;
}

int cmhd_accept(int listen_fd)
{
  return accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int cmhd_add_connection(struct MHD_Daemon *daemon, int fd)
{
  struct sockaddr_storage addr;
  socklen_t length = sizeof(addr);
  memset(&addr, 0, sizeof(addr));
  if (getpeername(fd, (struct sockaddr *)&addr, &length) != 0) {
    close(fd);
    return 0;
  }
  return MHD_add_connection(daemon, fd, (const struct sockaddr *)&addr, length) == MHD_YES;
}

unsigned int cmhd_current_connections(struct MHD_Daemon *daemon)
{
  if (daemon == NULL)
    return 0;
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
  return info == NULL ? 0 : info->num_connections;
}

long long cmhd_socket_bytes_received(int fd)
{
  struct tcp_info info;
  socklen_t length = sizeof(info);
  memset(&info, 0, sizeof(info));
  if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0)
    return -1;
  if (length < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received))
    return -1;  // a kernel older than 4.1
  return (long long)info.tcpi_bytes_received;
}

struct cmhd_count {
  const char *name;
  unsigned int count;
};

static enum MHD_Result cmhd_count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
  (void)kind;
  (void)value;
  struct cmhd_count *c = cls;
  if (key != NULL && strcasecmp(key, c->name) == 0)
    c->count++;
  return MHD_YES;
}

unsigned int cmhd_header_count(struct MHD_Connection *connection, const char *name)
{
  if (connection == NULL || name == NULL)
    return 0;
  struct cmhd_count c = {name, 0};
  MHD_get_connection_values(connection, MHD_HEADER_KIND, cmhd_count_header, &c);
  return c.count;
}
