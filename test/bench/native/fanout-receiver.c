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
 * payload: a little-endian float64 of CLOCK_MONOTONIC in milliseconds (publish_template_copy in
 * bench-native.c). Both processes run on one machine, so no clock offset is involved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "bench-native.h"

/* One read takes up to this much from a socket; the generator's cost is per read, not per byte. */
#define READ_BYTES (256 * 1024)
#define MAX_EVENTS 256

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
  struct latency_histogram latency;
} tally;

static unsigned char read_buffer[CARRY_MAX + READ_BYTES];

/* One complete packet whose body is body[0, length). Only PUBLISH matters; anything else is ignored. */
static void handle_packet (void *context, unsigned char header, const unsigned char *body, size_t length) {
  if ((header >> 4) != MQTT_PUBLISH) return;
  tally.delivered++;
  double sent_ms;
  if (publish_sent_ms(header, body, length, &sent_ms)) histogram_record(&tally.latency, *(double *)context - sent_ms);
}

/* One read from a ready socket; NULL, or why the connection is over. */
static const char *read_from (struct connection *connection) {
  memcpy(read_buffer, connection->carry, connection->carried);
  ssize_t got = read(connection->fd, read_buffer + connection->carried, READ_BYTES);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return NULL;
  if (got <= 0) return got == 0 ? "closed by the broker" : strerror(errno);
  tally.reads++;
  /* One clock reading per read: every packet in it had arrived by then. */
  size_t length = connection->carried + (size_t)got;
  double now_ms = monotonic_ms();
  size_t used = for_each_packet(read_buffer, length, handle_packet, &now_ms);
  tally.bytes += used;
  connection->carried = length - used;
  if (connection->carried > CARRY_MAX) die("a packet larger than %d bytes: not a bench PUBLISH", CARRY_MAX);
  memcpy(connection->carry, read_buffer + used, connection->carried);
  return NULL;
}

static void print_report (double window_ms, int subscribers, const struct losses *losses) {
  char p50_text[32];
  char p99_text[32];
  format_quantile(p50_text, histogram_quantile_ms(&tally.latency, 0.5));
  format_quantile(p99_text, histogram_quantile_ms(&tally.latency, 0.99));
  printf("{\"seconds\":%.6f,\"delivered\":%llu,\"bytes\":%llu,\"p50Ms\":%s,\"p99Ms\":%s,"
         "\"reads\":%llu,\"wakeups\":%llu,\"negativeLatencies\":%llu,\"subscribers\":%d,\"lost\":%d,\"lostReason\":\"%s\"}\n",
         window_ms / 1000, (unsigned long long)tally.delivered, (unsigned long long)tally.bytes, p50_text, p99_text,
         (unsigned long long)tally.reads, (unsigned long long)tally.wakeups, (unsigned long long)tally.latency.negative, subscribers, losses->count, losses->reason);
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
    connections[index].fd = mqtt_connect(port, client_id, 1);
    mqtt_subscribe(connections[index].fd, topic, 0);
    set_nonblocking(connections[index].fd);
    struct epoll_event event = { .events = EPOLLIN, .data.ptr = &connections[index] };
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, connections[index].fd, &event) < 0) die("epoll_ctl: %s", strerror(errno));
  }
  /* stdin is the command channel; its data pointer is NULL. */
  struct epoll_event command_event = { .events = EPOLLIN, .data.ptr = NULL };
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, STDIN_FILENO, &command_event) < 0) die("epoll_ctl stdin: %s", strerror(errno));
  puts("ready");
  fflush(stdout);

  struct command_reader commands = { .length = 0 };
  double window_started_ms = monotonic_ms();
  struct losses losses = { .reason = "" };
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
        const char *ended = read_from(connection);
        if (ended != NULL) lose_connection(epoll, connection->fd, &losses, ended);
        continue;
      }
      if (!commands_read(&commands)) return 0; /* the load generator is gone */
      const char *command;
      while ((command = commands_next(&commands)) != NULL) {
        if (strcmp(command, "reset") == 0) {
          memset(&tally, 0, sizeof tally);
          window_started_ms = monotonic_ms();
        } else if (strcmp(command, "report") == 0) {
          print_report(monotonic_ms() - window_started_ms, subscribers, &losses);
          return 0;
        } else {
          die("unknown command \"%s\"", command);
        }
      }
    }
  }
}
