/* The H1 ceiling: a bare libmicrohttpd server (internal polling thread + epoll, as
 * autograd-server) answering every request with a fixed small JSON body. It reads and
 * discards a POST body, so it gets the same request as the real server.
 *
 *   gcc -O2 -o mhd_hello bench/mhd_hello.c -lmicrohttpd && ./mhd_hello 8089
 * Runs until SIGINT/SIGTERM. Built and run by bench/http_bench.py. */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char BODY[] = "{\"status\":\"ok\"}";
static struct MHD_Response *response;

static enum MHD_Result handle(void *cls, struct MHD_Connection *connection, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls) {
  (void)cls; (void)url; (void)method; (void)version; (void)upload_data;
  if (*con_cls == NULL) { /* first call: headers only */
    *con_cls = (void *)1;
    return MHD_YES;
  }
  if (*upload_data_size != 0) { /* body bytes: discard */
    *upload_data_size = 0;
    return MHD_YES;
  }
  return MHD_queue_response(connection, MHD_HTTP_OK, response);
}

int main(int argc, char **argv) {
  unsigned short port = argc > 1 ? (unsigned short)atoi(argv[1]) : 8089;
  response = MHD_create_response_from_buffer(strlen(BODY), (void *)BODY, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(response, "Content-Type", "application/json");
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, port, NULL,
                                          NULL, &handle, NULL, MHD_OPTION_END);
  if (d == NULL) {
    fprintf(stderr, "mhd_hello: cannot listen on port %u\n", port);
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  fprintf(stderr, "mhd_hello: listening on 127.0.0.1:%u\n", port);
  int sig;
  sigwait(&set, &sig);
  MHD_stop_daemon(d);
  MHD_destroy_response(response);
  return 0;
}
