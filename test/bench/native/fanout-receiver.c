/*
 * fanout-receiver: the subscriber side of the bench's fan-out scenarios, in C.
 *
 * At 400 000 deliveries/s from 200 sockets the Node subscribers cost the generator's core 85-93 %,
 * more than the 80 % the bench allows, and with Mosquitto (one write per message per subscriber,
 * so many small segments) even at 72 000/s. This program does only what the measurement needs:
 * one epoll loop, one large read per ready socket, packets framed by fixed header and remaining
 * length only, one clock reading per read.
 *
 * usage: fanout-receiver PORT SUBSCRIBERS TOPIC CLIENT_ID_PREFIX PASS_US
 *   Opens SUBSCRIBERS MQTT 3.1.1 connections to 127.0.0.1:PORT (clean session, keepalive 0), one at
 *   a time so no broker's listen backlog overflows, each subscribed to TOPIC at QoS 0, and prints
 *   "ready". Then it reads commands on stdin, one per line:
 *     reset   opens the measured window: counts, bytes and latencies start from zero
 *     report  prints one JSON line (see print_report) and exits
 *   End of stdin, or the parent's death, ends it too: it must never outlive the load generator.
 *
 * PASS_US > 0 starts epoll passes at most that often, sleeping out the rest. In this VM a socket
 * read costs 5-8 us of the generator's core (syscall, copy, and the ACK it sends, whose loopback
 * processing also lands on this core), and a wake-up per arriving segment costs a context switch
 * each: holding off lets each read take several PUBLISHes and caps wake-ups at 1/PASS_US. The
 * price is up to PASS_US added to measured latency, so 0 (read as soon as data arrives) is for
 * scenarios whose headline is latency.
 *
 * Latency is read time minus the send time the publisher wrote into the first 8 bytes of the
 * payload: a little-endian float64 of CLOCK_MONOTONIC in milliseconds (publish-template.ts,
 * monotonic-clock.ts). Both processes run on one machine, so no clock offset is involved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#define PUBLISH 3
#define CONNACK_BYTE 0x20
#define SUBACK_BYTE 0x90
/* One read takes up to this much from a socket; the generator's cost is per read, not per byte. */
#define READ_BYTES (256 * 1024)
/* A partial packet left at the end of a read waits here for the next one. Bench packets are ~80 B. */
#define CARRY_MAX 4096
#define HANDSHAKE_TIMEOUT_S 10
#define MAX_EVENTS 256

/*
 * The same buckets as latency-histogram.ts, so both receivers report alike: 64 per doubling
 * (about 1.1 % wide) from 1 us up; everything at or below 1 us in bucket 0, the top one open-ended.
 */
#define BUCKETS_PER_DOUBLING 64
#define BUCKETS (BUCKETS_PER_DOUBLING * 40)

struct connection {
  int fd;
  size_t carried;
  unsigned char carry[CARRY_MAX];
};

static struct {
  uint64_t delivered;
  uint64_t bytes;
  /* Socket reads and epoll wake-ups: what the receiver's CPU goes on. */
  uint64_t reads;
  uint64_t wakeups;
  /* Send time after read time: the two clocks disagree, and every latency is suspect. */
  uint64_t negative;
  uint64_t counts[BUCKETS];
} tally;

static unsigned char read_buffer[CARRY_MAX + READ_BYTES];

static void die (const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("fanout-receiver: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

static double monotonic_ms (void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

static void record_latency (double ms) {
  double micros = ms * 1000;
  int bucket = 0;
  if (ms < 0) tally.negative++;
  if (micros > 1) bucket = (int)floor(log2(micros) * BUCKETS_PER_DOUBLING);
  tally.counts[bucket < BUCKETS ? bucket : BUCKETS - 1]++;
}

/* The latency (ms, bucket midpoint) below which `fraction` of the samples fall; < 0 when empty. */
static double quantile_ms (double fraction) {
  uint64_t total = 0;
  for (int bucket = 0; bucket < BUCKETS; bucket++) total += tally.counts[bucket];
  if (total == 0) return -1;
  uint64_t rank = (uint64_t)ceil(fraction * (double)total);
  uint64_t seen = 0;
  for (int bucket = 0; bucket < BUCKETS; bucket++) {
    seen += tally.counts[bucket];
    if (seen >= rank) return pow(2, (bucket + 0.5) / BUCKETS_PER_DOUBLING) / 1000;
  }
  return -1;
}

static void write_all (int fd, const unsigned char *bytes, size_t length) {
  while (length > 0) {
    ssize_t written = write(fd, bytes, length);
    if (written < 0) die("write: %s", strerror(errno));
    bytes += written;
    length -= (size_t)written;
  }
}

/* Blocking read of exactly `length` bytes (the socket has a receive timeout). */
static void read_exactly (int fd, unsigned char *bytes, size_t length, const char *what) {
  while (length > 0) {
    ssize_t got = read(fd, bytes, length);
    if (got == 0) die("connection closed before %s", what);
    if (got < 0) die("no %s: %s", what, errno == EAGAIN ? "timed out" : strerror(errno));
    bytes += got;
    length -= (size_t)got;
  }
}

/* Remaining lengths the handshake packets need fit in one byte (< 128). */
static size_t put_string (unsigned char *at, const char *text) {
  size_t length = strlen(text);
  at[0] = (unsigned char)(length >> 8);
  at[1] = (unsigned char)length;
  memcpy(at + 2, text, length);
  return 2 + length;
}

/* One connection: CONNECT → CONNACK, SUBSCRIBE → SUBACK, each awaited; then non-blocking. */
static int open_subscriber (uint16_t port, const char *topic, const char *client_id) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  struct timeval timeout = { .tv_sec = HANDSHAKE_TIMEOUT_S };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) die("connect to port %u: %s", port, strerror(errno));

  unsigned char packet[256];
  size_t length = 2;
  length += put_string(packet + length, "MQTT");
  packet[length++] = 4;    /* protocol level: 3.1.1 */
  packet[length++] = 0x02; /* clean session */
  packet[length++] = 0;    /* keepalive 0: the broker expects no PINGREQ */
  packet[length++] = 0;
  length += put_string(packet + length, client_id);
  packet[0] = 0x10;
  packet[1] = (unsigned char)(length - 2);
  write_all(fd, packet, length);
  unsigned char connack[4];
  read_exactly(fd, connack, sizeof connack, "CONNACK");
  if (connack[0] != CONNACK_BYTE || connack[3] != 0) die("CONNACK return code %u for %s", connack[3], client_id);

  length = 2;
  packet[length++] = 0; /* packet id 1 */
  packet[length++] = 1;
  length += put_string(packet + length, topic);
  packet[length++] = 0; /* QoS 0 */
  packet[0] = 0x82;     /* [MQTT-3.8.1-1] SUBSCRIBE flags are 0010 */
  packet[1] = (unsigned char)(length - 2);
  write_all(fd, packet, length);
  unsigned char suback[5];
  read_exactly(fd, suback, sizeof suback, "SUBACK");
  if (suback[0] != SUBACK_BYTE || suback[4] != 0) die("SUBACK granted %u for %s, asked 0", suback[4], topic);

  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/* One complete packet whose body is body[0, length). Only PUBLISH matters; anything else is ignored. */
static void handle_packet (unsigned char header, const unsigned char *body, size_t length, double now_ms) {
  if ((header >> 4) != PUBLISH || length < 2) return;
  size_t payload = 2 + (((size_t)body[0] << 8) | body[1]);
  if (((header >> 1) & 3) != 0) payload += 2; /* packet id */
  tally.delivered++;
  if (payload + sizeof(double) > length) return;
  double sent_ms;
  memcpy(&sent_ms, body + payload, sizeof sent_ms); /* little-endian, as is every machine this runs on */
  record_latency(now_ms - sent_ms);
}

/* Handles every complete packet in bytes[0, length); returns how many bytes they took. */
static size_t handle_packets (const unsigned char *bytes, size_t length, double now_ms) {
  size_t offset = 0;
  for (;;) {
    size_t remaining = 0;
    size_t index = offset + 1;
    int complete = 0;
    for (int shift = 0; shift < 28 && index < length; shift += 7) {
      unsigned char byte = bytes[index++];
      remaining |= (size_t)(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) { complete = 1; break; }
    }
    if (!complete) {
      if (index - offset > 4) die("malformed remaining length");
      return offset;
    }
    if (remaining > length - index) return offset;
    tally.bytes += index - offset + remaining;
    handle_packet(bytes[offset], bytes + index, remaining, now_ms);
    offset = index + remaining;
  }
}

/* One read from a ready socket; false once the broker has closed it. */
static int read_from (struct connection *connection, const char **lost_reason) {
  memcpy(read_buffer, connection->carry, connection->carried);
  ssize_t got = read(connection->fd, read_buffer + connection->carried, READ_BYTES);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
  if (got <= 0) {
    *lost_reason = got == 0 ? "closed by the broker" : strerror(errno);
    return 0;
  }
  tally.reads++;
  /* One clock reading per read: every packet in it had arrived by then. */
  size_t length = connection->carried + (size_t)got;
  size_t used = handle_packets(read_buffer, length, monotonic_ms());
  connection->carried = length - used;
  if (connection->carried > CARRY_MAX) die("a packet larger than %d bytes: not a bench PUBLISH", CARRY_MAX);
  memcpy(connection->carry, read_buffer + used, connection->carried);
  return 1;
}

static void print_report (double window_ms, int subscribers, int lost, const char *lost_reason) {
  double p50 = quantile_ms(0.5);
  double p99 = quantile_ms(0.99);
  char p50_text[32] = "null";
  char p99_text[32] = "null";
  if (p50 >= 0) snprintf(p50_text, sizeof p50_text, "%.6f", p50);
  if (p99 >= 0) snprintf(p99_text, sizeof p99_text, "%.6f", p99);
  printf("{\"seconds\":%.6f,\"delivered\":%llu,\"bytes\":%llu,\"p50Ms\":%s,\"p99Ms\":%s,"
         "\"reads\":%llu,\"wakeups\":%llu,\"negativeLatencies\":%llu,\"subscribers\":%d,\"lost\":%d,\"lostReason\":\"%s\"}\n",
         window_ms / 1000, (unsigned long long)tally.delivered, (unsigned long long)tally.bytes, p50_text, p99_text,
         (unsigned long long)tally.reads, (unsigned long long)tally.wakeups, (unsigned long long)tally.negative, subscribers, lost, lost_reason == NULL ? "" : lost_reason);
  fflush(stdout);
}

int main (int argc, char **argv) {
  if (argc != 6) die("usage: fanout-receiver PORT SUBSCRIBERS TOPIC CLIENT_ID_PREFIX PASS_US");
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  uint16_t port = (uint16_t)atoi(argv[1]);
  int subscribers = atoi(argv[2]);
  const char *topic = argv[3];
  double pass_ms = atof(argv[5]) / 1000;
  if (subscribers <= 0 || pass_ms < 0 || pass_ms >= 1000 || strlen(topic) > 100 || strlen(argv[4]) > 80) die("bad arguments");

  struct connection *connections = calloc((size_t)subscribers, sizeof *connections);
  if (connections == NULL) die("out of memory");
  int epoll = epoll_create1(0);
  if (epoll < 0) die("epoll_create1: %s", strerror(errno));
  for (int index = 0; index < subscribers; index++) {
    char client_id[100];
    snprintf(client_id, sizeof client_id, "%s-%d", argv[4], index);
    connections[index].fd = open_subscriber(port, topic, client_id);
    struct epoll_event event = { .events = EPOLLIN, .data.ptr = &connections[index] };
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, connections[index].fd, &event) < 0) die("epoll_ctl: %s", strerror(errno));
  }
  /* stdin is the command channel; its data pointer is NULL. */
  struct epoll_event command_event = { .events = EPOLLIN, .data.ptr = NULL };
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, STDIN_FILENO, &command_event) < 0) die("epoll_ctl stdin: %s", strerror(errno));
  puts("ready");
  fflush(stdout);

  char commands[256];
  size_t commands_length = 0;
  double window_started_ms = monotonic_ms();
  int lost = 0;
  const char *lost_reason = NULL;
  struct epoll_event events[MAX_EVENTS];
  double pass_started_ms = 0;
  for (;;) {
    if (pass_ms > 0) {
      double now_ms = monotonic_ms();
      double early_ms = pass_started_ms + pass_ms - now_ms;
      if (early_ms > 0) {
        struct timespec pause = { .tv_nsec = (long)(early_ms * 1e6) };
        nanosleep(&pause, NULL);
        now_ms = monotonic_ms();
      }
      pass_started_ms = now_ms;
    }
    int ready = epoll_wait(epoll, events, MAX_EVENTS, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    tally.wakeups++;
    for (int index = 0; index < ready; index++) {
      struct connection *connection = events[index].data.ptr;
      if (connection != NULL) {
        if (!read_from(connection, &lost_reason)) {
          epoll_ctl(epoll, EPOLL_CTL_DEL, connection->fd, NULL);
          close(connection->fd);
          lost++;
        }
        continue;
      }
      ssize_t got = read(STDIN_FILENO, commands + commands_length, sizeof commands - 1 - commands_length);
      if (got <= 0) return 0; /* the load generator is gone */
      commands_length += (size_t)got;
      commands[commands_length] = '\0';
      char *newline;
      while ((newline = strchr(commands, '\n')) != NULL) {
        *newline = '\0';
        if (strcmp(commands, "reset") == 0) {
          memset(&tally, 0, sizeof tally);
          window_started_ms = monotonic_ms();
        } else if (strcmp(commands, "report") == 0) {
          print_report(monotonic_ms() - window_started_ms, subscribers, lost, lost_reason);
          return 0;
        } else {
          die("unknown command \"%s\"", commands);
        }
        commands_length -= (size_t)(newline + 1 - commands);
        memmove(commands, newline + 1, commands_length + 1);
      }
      if (commands_length == sizeof commands - 1) die("command line too long");
    }
  }
}
