// An open-loop HTTP/1.1 load generator in the spirit of wrk2. Request i is due at start + i/rate
// whatever the server does, and its latency runs from that due time to the last byte of its answer,
// so a stall is charged to every request it delays (no coordinated omission). It is C because the
// Node generator in load.mjs sends up to 3-4 ms late at p99 at 5,000 req/s, more than the latencies
// it is meant to measure.
//
//   fixed-rate [-c connections] [-s spin-microseconds] [-k] [-n] [-l slow-ms] host port rate seconds request-file
//
// -k runs a closed loop instead (rate is then ignored, pass 0): each connection sends its next
// request as soon as its answer arrives, and latency runs from the send. It took 16 - 28 us of CPU
// per consume here (mostly its send and receive system calls) where load.mjs's closedLoop took
// 50 - 55 us, time that on a 2-core machine is taken from the server under test.
// -n numbers the requests: every run of ten '#' in a request is replaced by the request's index,
// zero-padded, each time it is sent, so that every request is distinct (e.g. its idempotency key,
// or each event id of a batch, written as ##########-<n>).
//
// -l writes a line to stderr for each answer slower than slow-ms: `slow <latency ms> due <due time>`,
// the due time in milliseconds since the epoch (CLOCK_REALTIME), so that stalls can be matched with
// what the server logged at the same moment (open loop only).
//
// request-file holds N raw requests, each a 4-byte little-endian length and then that many bytes;
// request i sends request i mod N. Prints one JSON line, times in milliseconds. requests counts the
// answers below 400; errors counts answers of 400 and up, requests lost with their connection, and
// requests not sent or not answered in time. sendLatenessP99 includes waits for a free connection,
// so it shows the generator's own lateness only while the connections suffice.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_NS 2000000000LL
// A refused connect is retried this much later rather than at once, which would spin on a dead server.
#define RETRY_NS 100000000LL
#define MAX_HEAD 65536
#define USAGE "usage: fixed-rate [-c connections] [-s spin-microseconds] [-k] [-n] [-l slow-ms] host port rate seconds request-file"
#define MARKER "##########"
#define MARKER_LEN 10

enum state { DOWN, CONNECTING, IDLE, BUSY };

struct conn {
  int fd;
  enum state state;
  int writing;      // EPOLLOUT is watched
  int64_t retry_at; // DOWN: when to connect again
  long request;     // BUSY: the request in flight
  int64_t sent_at;  // BUSY: when it was sent (closed loop)
  const char *out;  // BUSY: its bytes not written yet
  char *numbered;   // -n: this connection's copy of the request with its index written in
  size_t numbered_cap;
  size_t out_left;
  char *in;
  size_t in_len, in_cap;
};

static const char *host, *port;
static struct addrinfo *address;
static int epfd;
static struct conn *conns, **idle;
static int nconns, nidle, ndown, in_flight;

static const char **req;
static size_t *req_len;
static long *req_marker; // offset of MARKER in the request, or -1
static long nreq;
static int closed_loop, numbered;

static double rate;
static double slow_ms; // 0: no slow-answer lines (-l)
// Waking from a blocked epoll_wait took 0.3-1.5 ms at p99 on the 2-core virtual machine (Firecracker)
// this was written on, so the timer wakes the loop this long before a due time and it polls from
// there: a busy core once requests are due closer together than that. -s 0 turns it off.
static int64_t spin_ns = 1000000;
static int64_t start;
static long total, next_due, next_send; // requests [next_send, next_due) are due and waiting

static double *latency, *lateness;
static long nlatency, nlateness;
static long errors_http, errors_conn, errors_unsent, errors_unanswered;
static int reported;

static void die(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("fixed-rate: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

// Only the first error is described: at thousands per second the rest would drown it.
static void first_error(const char *format, ...) {
  if (reported++) return;
  va_list args;
  va_start(args, format);
  fputs("fixed-rate: first error: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
}

static void *xmalloc(size_t size) {
  void *p = malloc(size);
  if (!p) die("out of memory");
  return p;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Computed from the index, not by adding 1/rate up, so rounding never accumulates into drift.
static int64_t due(long i) { return start + (int64_t)((double)i * 1e9 / rate); }

static void watch(struct conn *c, int op, uint32_t events) {
  struct epoll_event event = {.events = events, .data.ptr = c};
  if (epoll_ctl(epfd, op, c->fd, &event) < 0) die("epoll_ctl: %s", strerror(errno));
}

static void make_idle(struct conn *c) {
  c->state = IDLE;
  idle[nidle++] = c;
}

static void drop(struct conn *c, int64_t now, const char *why) {
  if (c->state == BUSY) {
    errors_conn++;
    in_flight--;
    first_error("connection lost with a request in flight: %s", why);
  } else if (c->state == IDLE) {
    for (int i = 0; i < nidle; i++)
      if (idle[i] == c) idle[i] = idle[--nidle];
  }
  // A connection that worked is replaced at once; one that never came up waits, or it would spin.
  c->retry_at = c->state == CONNECTING ? now + RETRY_NS : now;
  close(c->fd);
  c->fd = -1;
  c->state = DOWN;
  c->writing = 0;
  c->in_len = 0;
  ndown++;
}

static void set_nodelay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
    die("TCP_NODELAY: %s", strerror(errno));
}

static void reconnect(struct conn *c, int64_t now) {
  ndown--;
  c->fd = socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 address->ai_protocol);
  if (c->fd < 0) die("socket: %s", strerror(errno));
  set_nodelay(c->fd);
  c->state = CONNECTING;
  if (connect(c->fd, address->ai_addr, address->ai_addrlen) == 0) {
    watch(c, EPOLL_CTL_ADD, EPOLLIN);
    make_idle(c);
  } else if (errno == EINPROGRESS) {
    c->writing = 1;
    watch(c, EPOLL_CTL_ADD, EPOLLOUT);
  } else {
    drop(c, now, strerror(errno));
  }
}

static int connect_blocking(const struct addrinfo *a) {
  int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
  if (fd < 0 || connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
  int error = errno;
  close(fd);
  errno = error;
  return -1;
}

// The first connections are made blocking, before the clock starts, trying each address in turn so
// that "localhost" works whichever family the server listens on; the one that answers is kept.
static void connect_all(void) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list;
  int status = getaddrinfo(host, port, &hints, &list);
  if (status) die("cannot resolve %s: %s", host, gai_strerror(status));
  for (struct addrinfo *a = list; a && !address; a = a->ai_next)
    if ((conns[0].fd = connect_blocking(a)) >= 0) address = a;
  for (int i = 0; i < nconns; i++) {
    struct conn *c = &conns[i];
    if (i > 0 && address) c->fd = connect_blocking(address);
    if (!address || c->fd < 0) die("cannot connect to %s port %s: %s", host, port, strerror(errno));
    set_nodelay(c->fd);
    if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0) die("fcntl: %s", strerror(errno));
    c->in_cap = 16384;
    c->in = xmalloc(c->in_cap);
    watch(c, EPOLL_CTL_ADD, EPOLLIN);
    make_idle(c);
  }
}

static void flush(struct conn *c) {
  while (c->out_left > 0) {
    ssize_t n = send(c->fd, c->out, c->out_left, MSG_NOSIGNAL);
    if (n >= 0) {
      c->out += n;
      c->out_left -= (size_t)n;
    } else if (errno == EAGAIN) {
      if (!c->writing) watch(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
      c->writing = 1;
      return;
    } else if (errno != EINTR) {
      drop(c, now_ns(), strerror(errno));
      return;
    }
  }
  if (c->writing) watch(c, EPOLL_CTL_MOD, EPOLLIN);
  c->writing = 0;
}

// Closed-loop runs have no total known in advance: their result arrays grow as needed.
static long latency_cap;

static void record_latency(double ms) {
  if (nlatency == latency_cap) {
    latency_cap *= 2;
    latency = realloc(latency, sizeof *latency * (size_t)latency_cap);
    if (!latency) die("out of memory");
  }
  latency[nlatency++] = ms;
}

static void send_request(struct conn *c, long i) {
  int64_t now = now_ns();
  if (!closed_loop) lateness[nlateness++] = (double)(now - due(i)) / 1e6;
  c->state = BUSY;
  c->request = i;
  c->sent_at = now;
  c->out = req[i % nreq];
  c->out_left = req_len[i % nreq];
  long marker = req_marker[i % nreq];
  if (numbered && marker >= 0) {
    if (c->numbered_cap < c->out_left) {
      c->numbered_cap = c->out_left;
      c->numbered = realloc(c->numbered, c->numbered_cap);
      if (!c->numbered) die("out of memory");
    }
    memcpy(c->numbered, c->out, c->out_left);
    char digits[MARKER_LEN + 1];
    snprintf(digits, sizeof digits, "%0*ld", MARKER_LEN, i);
    for (char *at = c->numbered + marker; at;) {
      memcpy(at, digits, MARKER_LEN);
      char *rest = at + MARKER_LEN;
      at = memmem(rest, c->out_left - (size_t)(rest - c->numbered), MARKER, MARKER_LEN);
    }
    c->out = c->numbered;
  }
  in_flight++;
  flush(c);
}

static void dispatch(void) {
  if (closed_loop) {
    while (nidle > 0) send_request(idle[--nidle], next_send++);
    return;
  }
  while (next_send < next_due && nidle > 0) send_request(idle[--nidle], next_send++);
}

// Returns the epoll_wait timeout until the next connection is due for another try, or -1 for none.
static int reconnect_due(int64_t now) {
  int64_t soonest = INT64_MAX;
  for (int i = 0; i < nconns; i++) {
    if (conns[i].state == DOWN && conns[i].retry_at <= now) reconnect(&conns[i], now);
    if (conns[i].state == DOWN && conns[i].retry_at < soonest) soonest = conns[i].retry_at;
  }
  dispatch();
  return soonest == INT64_MAX ? -1 : (int)((soonest - now) / 1000000 + 1);
}

static long content_length(const char *head, size_t len) {
  const char *end = head + len;
  for (const char *p = memchr(head, '\n', len); p; p = memchr(p, '\n', (size_t)(end - p))) {
    p++;
    if (end - p > 15 && strncasecmp(p, "content-length:", 15) == 0) {
      char *digits_end;
      long value = strtol(p + 15, &digits_end, 10);
      return digits_end > p + 15 && value >= 0 ? value : -1;
    }
  }
  return -1;
}

// Answers are framed by Content-Length alone: the servers under test always send it, and a chunked or
// close-delimited answer would be misread, so one without it stops the run instead.
static void parse(struct conn *c) {
  if (c->state != BUSY) die("%zu bytes received with no request in flight", c->in_len);
  char *head_end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
  if (!head_end) {
    if (c->in_len > MAX_HEAD) die("no end of headers in the first %d bytes", MAX_HEAD);
    return;
  }
  size_t head = (size_t)(head_end - c->in) + 4;
  int shown = head < 300 ? (int)head : 300;
  if (head < 16 || memcmp(c->in, "HTTP/1.", 7) != 0) die("not an HTTP/1 answer: %.*s", shown, c->in);
  long body = content_length(c->in, head);
  if (body < 0) die("answer without Content-Length: %.*s", shown, c->in);
  if (c->in_len < head + (size_t)body) return;
  int64_t done = now_ns();
  int status = atoi(c->in + 9);
  if (status >= 400) {
    errors_http++;
    first_error("HTTP %d: %.*s", status, (int)(body < 200 ? body : 200), c->in + head);
  } else {
    double taken_ms = (double)(done - (closed_loop ? c->sent_at : due(c->request))) / 1e6;
    record_latency(taken_ms);
    if (slow_ms > 0 && !closed_loop && taken_ms > slow_ms) {
      struct timespec wall;
      clock_gettime(CLOCK_REALTIME, &wall);
      double due_wall_ms = (double)wall.tv_sec * 1e3 + (double)wall.tv_nsec / 1e6 - taken_ms;
      fprintf(stderr, "slow %.3f due %.3f\n", taken_ms, due_wall_ms);
    }
  }
  // One request in flight per connection, so anything after the answer is a protocol error.
  if (c->in_len > head + (size_t)body) die("bytes after the answer with no request in flight");
  c->in_len = 0;
  in_flight--;
  make_idle(c);
}

static void receive(struct conn *c) {
  if (c->in_cap - c->in_len < 4096) {
    c->in_cap *= 2;
    c->in = realloc(c->in, c->in_cap);
    if (!c->in) die("out of memory");
  }
  ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
  if (n > 0) {
    c->in_len += (size_t)n;
    parse(c);
  } else if (n == 0) {
    drop(c, now_ns(), "closed by the server");
  } else if (errno != EAGAIN && errno != EINTR) {
    drop(c, now_ns(), strerror(errno));
  }
}

static void handle(struct conn *c, uint32_t events) {
  if (c->state == CONNECTING) {
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &size) < 0) error = errno;
    if (error) {
      drop(c, now_ns(), strerror(error));
      return;
    }
    watch(c, EPOLL_CTL_MOD, EPOLLIN);
    c->writing = 0;
    make_idle(c);
    return;
  }
  if ((events & EPOLLOUT) && c->state == BUSY) flush(c);
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->state != DOWN) receive(c);
}

static void load_requests(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) die("%s: %s", path, strerror(errno));
  if (fseek(file, 0, SEEK_END) < 0) die("%s: %s", path, strerror(errno));
  long size = ftell(file);
  rewind(file);
  char *data = xmalloc((size_t)size + 1);
  if (size < 0 || fread(data, 1, (size_t)size, file) != (size_t)size) die("%s: cannot read", path);
  fclose(file);
  req = xmalloc(sizeof *req * ((size_t)size / 4 + 1));
  req_len = xmalloc(sizeof *req_len * ((size_t)size / 4 + 1));
  req_marker = xmalloc(sizeof *req_marker * ((size_t)size / 4 + 1));
  for (long at = 0; at < size; nreq++) {
    if (size - at < 4) die("%s: truncated length at byte %ld", path, at);
    const unsigned char *b = (const unsigned char *)data + at;
    uint32_t len = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
    if (len == 0 || len > (uint64_t)(size - at - 4)) die("%s: bad length at byte %ld", path, at);
    req[nreq] = data + at + 4;
    req_len[nreq] = len;
    const char *marker = memmem(req[nreq], len, MARKER, MARKER_LEN);
    req_marker[nreq] = marker ? (long)(marker - req[nreq]) : -1;
    if (numbered && !marker) die("%s: request %ld has no %s to number (-n)", path, nreq, MARKER);
    at += 4 + (long)len;
  }
  if (nreq == 0) die("%s: no requests", path);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// The same index as percentile() in load.mjs, so both generators report comparable numbers.
static void print_percentile(const char *name, const double *sorted, long n, double fraction) {
  long i = (long)((double)n * fraction);
  if (n == 0) printf(",\"%s\":null", name);
  else printf(",\"%s\":%.4f", name, sorted[i < n ? i : n - 1]);
}

static double number(const char *text, const char *what, double minimum) {
  char *end;
  double value = strtod(text, &end);
  if (*text == '\0' || *end != '\0' || !(value >= minimum))
    die("%s must be a number >= %g: %s", what, minimum, text);
  return value;
}

int main(int argc, char **argv) {
  nconns = 64;
  int option;
  while ((option = getopt(argc, argv, "c:s:knl:")) != -1) {
    if (option == 'c') nconns = (int)number(optarg, "connections", 1);
    else if (option == 's') spin_ns = (int64_t)(number(optarg, "spin", 0) * 1000);
    else if (option == 'k') closed_loop = 1;
    else if (option == 'n') numbered = 1;
    else if (option == 'l') slow_ms = number(optarg, "slow-ms", 0);
    else die(USAGE);
  }
  if (argc - optind != 5) die(USAGE);
  host = argv[optind];
  port = argv[optind + 1];
  rate = number(argv[optind + 2], "rate", closed_loop ? 0 : 1e-9);
  double seconds = number(argv[optind + 3], "seconds", 1e-9);
  load_requests(argv[optind + 4]);
  // The epsilon keeps 0.1 s x 1000/s from flooring to 99 requests.
  total = closed_loop ? 0 : (long)(rate * seconds + 1e-6);
  if (closed_loop) spin_ns = 0;

  latency_cap = closed_loop ? 65536 : total + 1;
  latency = xmalloc(sizeof *latency * (size_t)latency_cap);
  lateness = xmalloc(sizeof *lateness * (size_t)(total + 1));
  conns = calloc((size_t)nconns, sizeof *conns);
  idle = xmalloc(sizeof *idle * (size_t)nconns);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (!conns || epfd < 0 || timer < 0) die("setup: %s", strerror(errno));
  struct epoll_event timer_event = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, timer, &timer_event) < 0) die("epoll_ctl: %s", strerror(errno));
  // Linux lets a timer fire up to 50 us late by default to batch wakeups; that slack would show up
  // as send lateness of its own.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  connect_all();
  // Polling at normal priority, the generator competes with the server for the CPU: on a 2-core
  // machine with some other load, runs here slowed the server until it fell behind. As SCHED_IDLE it
  // polls only on time no other task wants, and when there is none sendLatenessP99 shows it.
  struct sched_param no_priority = {.sched_priority = 0};
  if (spin_ns > 0 && sched_setscheduler(0, SCHED_IDLE, &no_priority) < 0)
    die("SCHED_IDLE: %s", strerror(errno));

  start = now_ns();
  int64_t end = start + (int64_t)(seconds * 1e9), armed = 0, now;
  int ended = 0;
  struct epoll_event events[256];
  for (;;) {
    now = now_ns();
    if (!ended) {
      while (next_due < total && due(next_due) <= now) next_due++;
      if (now >= end) {
        ended = 1;
        errors_unsent = closed_loop ? 0 : total - next_send;
        next_send = next_due = total;
      } else {
        dispatch();
      }
    }
    if (ended && (in_flight == 0 || now >= end + DRAIN_NS)) break;

    int timeout = !ended && ndown > 0 ? reconnect_due(now) : -1;
    // Absolute deadlines: a relative timer would add the time spent since "now" to every wait.
    int64_t wake = ended ? end + DRAIN_NS : next_due < total && due(next_due) < end ? due(next_due) : end;
    int64_t alarm = ended ? wake : wake - spin_ns;
    if (now >= alarm) {
      timeout = 0;
    } else if (alarm != armed) {
      struct itimerspec spec = {.it_value = {.tv_sec = alarm / 1000000000, .tv_nsec = alarm % 1000000000}};
      if (timerfd_settime(timer, TFD_TIMER_ABSTIME, &spec, NULL) < 0) die("timerfd: %s", strerror(errno));
      armed = alarm;
    }
    int n = epoll_wait(epfd, events, 256, timeout);
    if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr) {
        handle(events[i].data.ptr, events[i].events);
      } else {
        uint64_t expirations;
        if (read(timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
          die("timerfd: %s", strerror(errno));
      }
    }
  }
  errors_unanswered = in_flight;
  long errors = errors_http + errors_conn + errors_unsent + errors_unanswered;
  if (errors)
    fprintf(stderr,
            "fixed-rate: %ld errors: %ld answers >= 400, %ld lost with a connection, %ld not sent before "
            "the end, %ld not answered within %lld s after it\n",
            errors, errors_http, errors_conn, errors_unsent, errors_unanswered, DRAIN_NS / 1000000000);

  double elapsed = (double)(now - start) / 1e9;
  qsort(latency, (size_t)nlatency, sizeof *latency, by_value);
  qsort(lateness, (size_t)nlateness, sizeof *lateness, by_value);
  printf("{\"requests\":%ld,\"errors\":%ld,\"seconds\":%.6f,\"perSecond\":%.3f", nlatency, errors, elapsed,
         (double)nlatency / elapsed);
  print_percentile("p50", latency, nlatency, 0.5);
  print_percentile("p90", latency, nlatency, 0.9);
  print_percentile("p99", latency, nlatency, 0.99);
  print_percentile("p999", latency, nlatency, 0.999);
  print_percentile("max", latency, nlatency, 1);
  print_percentile("sendLatenessP99", lateness, nlateness, 0.99);
  printf("}\n");
  return 0;
}
