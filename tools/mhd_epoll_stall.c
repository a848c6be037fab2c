/* Why the server runs libmicrohttpd with poll(2) rather than epoll (HTTPServer.daemonFlags).
 *
 * libmicrohttpd 0.9.75's epoll loop (MHD_epoll in daemon.c) takes at most 128 events per
 * epoll_wait and calls it again while a call returns a full 128, with the timeout it
 * computed before the first call. Its sockets are edge-triggered, so when exactly 128
 * (or 256, ...) connections become readable at once, the extra call finds nothing new and
 * sleeps until the next event or the earliest idle timeout, and the ready connections are
 * never read: they are closed at their idle timeout, unanswered.
 *
 * This program makes that happen deterministically: a request whose handler blocks the
 * daemon's thread for 300 ms, and meanwhile N connections, each with a whole request
 * waiting, are handed to the daemon (MHD_add_connection, as HeaderGate does). When the
 * thread is free it registers all N at once, and all N are readable. It runs N = 127, 128,
 * 256 with poll (what the server uses: every request must be answered) and with epoll
 * (reported, not asserted: if a later libmicrohttpd answers there too, epoll could return).
 * Exit status 0 when every poll run answered everything. Build: cc tools/mhd_epoll_stall.c
 * -lmicrohttpd (make test-http does).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
  (void)cls; (void)method; (void)version; (void)upload; (void)upload_size; (void)state;
  if (strcmp(url, "/block") == 0) usleep(300000); /* holds the daemon's only thread */
  struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
  enum MHD_Result ok = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return ok;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* A connected pair through a loopback listener, `request` already sent: the client end in
 * *client, the server end returned. */
static int connected(int listener, const struct sockaddr_in *at, const char *request, int *client) {
  *client = socket(AF_INET, SOCK_STREAM, 0);
  if (*client < 0 || connect(*client, (const struct sockaddr *)at, sizeof *at) != 0) return -1;
  if (write(*client, request, strlen(request)) != (ssize_t)strlen(request)) return -1;
  return accept(listener, NULL, NULL);
}

static void hand_over(struct MHD_Daemon *d, int fd) {
  struct sockaddr_in peer;
  socklen_t length = sizeof peer;
  getpeername(fd, (struct sockaddr *)&peer, &length);
  MHD_add_connection(d, fd, (struct sockaddr *)&peer, length);
}

/* How many of n connections, readable together, are answered within 2 s. */
static int answered(unsigned mode, int n) {
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC | mode,
                                          0, NULL, NULL, &answer, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 3u, MHD_OPTION_END);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in at = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof at;
  if (d == NULL || listener < 0 || bind(listener, (struct sockaddr *)&at, sizeof at) != 0 || listen(listener, 4096) != 0 ||
      getsockname(listener, (struct sockaddr *)&at, &length) != 0) {
    fprintf(stderr, "setup failed\n");
    exit(2);
  }
  int blocker, *clients = calloc(n, sizeof(int)), *servers = calloc(n, sizeof(int));
  for (int i = 0; i < n; i++)
    if ((servers[i] = connected(listener, &at, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &clients[i])) < 0) exit(2);
  int blocked = connected(listener, &at, "GET /block HTTP/1.1\r\nHost: x\r\n\r\n", &blocker);
  hand_over(d, blocked);
  usleep(50000); /* the daemon's thread is now inside the blocking request */
  for (int i = 0; i < n; i++) hand_over(d, servers[i]);
  int count = 0;
  double deadline = now() + 2.0;
  char buffer[512];
  for (int i = 0; i < n; i++) {
    int left = (int)((deadline - now()) * 1000);
    struct pollfd p = {.fd = clients[i], .events = POLLIN};
    if (left > 0 && poll(&p, 1, left) == 1 && read(clients[i], buffer, sizeof buffer) > 12 &&
        strncmp(buffer, "HTTP/1.1 200", 12) == 0)
      count++;
    close(clients[i]);
  }
  close(blocker);
  close(listener);
  MHD_stop_daemon(d);
  free(clients);
  free(servers);
  return count;
}

int main(void) {
  const int sizes[] = {127, 128, 256};
  int failures = 0;
  for (int k = 0; k < 3; k++) {
    int n = sizes[k], p = answered(MHD_USE_POLL, n), e = answered(MHD_USE_EPOLL, n);
    printf("%s %d connections readable at once: poll answered %d, epoll answered %d%s\n", p == n ? "ok  " : "FAIL", n, p,
           e, e == n ? "" : " (the libmicrohttpd epoll stall)");
    failures += p != n;
  }
  return failures != 0;
}
