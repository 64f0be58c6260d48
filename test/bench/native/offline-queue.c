/*
 * offline-queue: load-generator's offline-queue mode, what a broker pays to store messages for sessions
 * that are away.
 *
 * usage: load-generator offline-queue PORT SESSIONS MESSAGES_PER_SESSION PUBLISHERS WINDOW PAYLOAD_BYTES
 *   SESSIONS persistent sessions bench-q-<n> (clean 0) each subscribe at QoS 1 to q/<n> and disconnect
 *   cleanly. Then PUBLISHERS clients bench-qpub-<p> connect; publisher p takes the sessions n with
 *   n mod PUBLISHERS = p and sends their topics MESSAGES_PER_SESSION QoS 1 PUBLISHes each, in turn
 *   (q/p, q/p+PUBLISHERS, ..., then q/p again), at most WINDOW unacknowledged, refilled REFILL_BATCH at
 *   a time. It prints "ready" once every publisher is connected; then, on stdin:
 *     reset   starts the publishing, which is the measured part
 *     report  prints one JSON line once every PUBLISH is acknowledged, a connection is lost, or no
 *             PUBACK came for STALL_MS (a stalled broker fails the run rather than hang it), and exits
 * The report's seconds and CPU time run from "reset" to the last PUBACK: the rate is PUBACKs per second
 * over the publishing, and the CPU is this process's own (getrusage), read before it exits.
 */
#define _GNU_SOURCE
#include "offline-queue.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench-native.h"

#define MAX_EVENTS 64
#define STALL_MS 60000
#define USAGE "usage: load-generator offline-queue PORT SESSIONS MESSAGES_PER_SESSION PUBLISHERS WINDOW PAYLOAD_BYTES"

struct publisher {
  struct link link;
  /* One PUBLISH per session this publisher serves, sent in turn. */
  struct publish_template *topics;
  uint64_t topic_count;
  uint64_t total;
  uint64_t sent;
  uint64_t acked;
  uint64_t unrefilled;
  uint16_t last_packet_id;
};

static struct {
  int epoll_fd;
  struct publisher *publishers;
  int publisher_count;
  int window;
  /* Sessions × messages per session: the run is over once this many are acknowledged. */
  uint64_t expected;
  uint64_t acked;
  double last_ack_ms;
  struct losses losses;
  /* The publishing, by the clock and by this process's CPU time: from "reset" to the last PUBACK. */
  double started_ms;
  double started_cpu;
  double finished_ms;
  double finished_cpu;
} run = { .losses.reason = "" };

static void flush (struct publisher *publisher) {
  link_flush(run.epoll_fd, &publisher->link, publisher, &run.losses, 0);
}

/* The next `count` PUBLISHes, each to the next of the publisher's sessions, all stamped with one clock reading. */
static void publish (struct publisher *publisher, uint64_t count) {
  double now_ms = monotonic_ms();
  for (uint64_t index = 0; index < count; index++, publisher->sent++) {
    const struct publish_template *topic = &publisher->topics[publisher->sent % publisher->topic_count];
    publish_template_copy(topic, outbox_reserve(&publisher->link.out, topic->length), now_ms, &publisher->last_packet_id);
  }
}

static void handle_packet (void *context, unsigned char header, const unsigned char *body, size_t length) {
  (void)body;
  (void)length;
  struct publisher *publisher = context;
  if ((header >> 4) != MQTT_PUBACK) return;
  publisher->acked++;
  publisher->unrefilled++;
  run.acked++;
  run.last_ack_ms = monotonic_ms();
}

/* One read's PUBACKs, then a refill in one write: a full batch, or the last few PUBLISHes. */
static void read_from (struct publisher *publisher) {
  const char *ended = read_packets(publisher->link.fd, &publisher->link.reader, handle_packet, publisher);
  if (ended != NULL) {
    link_lose(run.epoll_fd, &publisher->link, &run.losses, ended);
    return;
  }
  uint64_t left = publisher->total - publisher->sent;
  uint64_t refill = publisher->unrefilled < left ? publisher->unrefilled : left;
  /* A window smaller than a batch refills once it is all back. */
  int batch_back = publisher->unrefilled >= REFILL_BATCH || publisher->unrefilled >= (uint64_t)run.window;
  if (refill > 0 && (batch_back || refill == left)) {
    publish(publisher, refill);
    publisher->unrefilled = 0;
  }
  flush(publisher);
}

/* Every session subscribed to its topic and gone, so that each PUBLISH is stored for it. */
static void set_up_sessions (uint16_t port, int sessions) {
  char client_id[100];
  char topic[32];
  for (int n = 0; n < sessions; n++) {
    snprintf(client_id, sizeof client_id, "bench-q-%d", n);
    snprintf(topic, sizeof topic, "q/%d", n);
    int fd = mqtt_connect(port, client_id, 0);
    mqtt_subscribe(fd, topic, 1);
    mqtt_disconnect(fd);
  }
}

static struct publisher *open_publishers (uint16_t port, int sessions, int publishers, uint64_t messages, size_t payload_bytes) {
  struct publisher *all = calloc((size_t)publishers, sizeof *all);
  if (all == NULL) die("out of memory");
  char client_id[100];
  char topic[32];
  for (int p = 0; p < publishers; p++) {
    struct publisher *publisher = &all[p];
    publisher->topic_count = (uint64_t)((sessions - p + publishers - 1) / publishers);
    publisher->topics = calloc(publisher->topic_count, sizeof *publisher->topics);
    if (publisher->topics == NULL) die("out of memory");
    for (uint64_t index = 0; index < publisher->topic_count; index++) {
      snprintf(topic, sizeof topic, "q/%llu", (unsigned long long)(p + index * (uint64_t)publishers));
      publish_template_init(&publisher->topics[index], topic, 1, payload_bytes);
    }
    publisher->total = publisher->topic_count * messages;
    snprintf(client_id, sizeof client_id, "bench-qpub-%d", p);
    link_open(&publisher->link, run.epoll_fd, port, client_id, 1, publisher);
  }
  return all;
}

static void start_publishing (void) {
  run.started_ms = run.last_ack_ms = monotonic_ms();
  run.started_cpu = process_cpu_seconds();
  for (int p = 0; p < run.publisher_count; p++) {
    struct publisher *publisher = &run.publishers[p];
    publish(publisher, publisher->total < (uint64_t)run.window ? publisher->total : (uint64_t)run.window);
    flush(publisher);
  }
}

/* Once the publishing is over (all acknowledged, a connection lost, or stalled), prints the report; true if it did. */
static int report_if_over (void) {
  double now_ms = monotonic_ms();
  int finished = run.finished_ms > 0;
  int stalled = !finished && now_ms - run.last_ack_ms > STALL_MS;
  if (!finished && !stalled && run.losses.count == 0) return 0;
  uint64_t published = 0;
  for (int p = 0; p < run.publisher_count; p++) published += run.publishers[p].sent;
  double seconds = ((finished ? run.finished_ms : now_ms) - run.started_ms) / 1000;
  double cpu = (finished ? run.finished_cpu : process_cpu_seconds()) - run.started_cpu;
  printf("{\"seconds\":%.6f,\"cpuSeconds\":%.6f,\"published\":%llu,\"acked\":%llu,\"expected\":%llu,\"connections\":%d,"
         "\"lost\":%d,\"lostReason\":\"%s\",\"stalled\":%s}\n",
         seconds, cpu, (unsigned long long)published, (unsigned long long)run.acked, (unsigned long long)run.expected, run.publisher_count,
         run.losses.count, run.losses.reason, stalled ? "true" : "false");
  fflush(stdout);
  return 1;
}

/* Reads "reset" and "report"; returns 0 once stdin has ended (the parent is gone). */
static int read_commands (struct command_reader *commands, int *started, int *reporting) {
  if (!commands_read(commands)) return 0;
  const char *command;
  while ((command = commands_next(commands)) != NULL) {
    if (strcmp(command, "reset") == 0) *started = 1;
    else if (strcmp(command, "report") == 0) *reporting = 1;
    else die("unknown command \"%s\"", command);
  }
  return 1;
}

int run_offline_queue (int argc, char **argv) {
  if (argc != 8) die(USAGE);
  uint16_t port = (uint16_t)atoi(argv[2]);
  int sessions = atoi(argv[3]);
  int messages = atoi(argv[4]);
  run.publisher_count = atoi(argv[5]);
  run.window = atoi(argv[6]);
  if (sessions <= 0 || messages <= 0 || run.publisher_count <= 0 || run.publisher_count > sessions || run.window <= 0) {
    die("bad offline-queue arguments");
  }
  run.expected = (uint64_t)sessions * (uint64_t)messages;
  run.epoll_fd = epoll_create1(0);
  if (run.epoll_fd < 0) die("epoll_create1: %s", strerror(errno));
  set_up_sessions(port, sessions);
  run.publishers = open_publishers(port, sessions, run.publisher_count, (uint64_t)messages, (size_t)atoi(argv[7]));
  struct epoll_event command_event = { .events = EPOLLIN, .data.ptr = NULL };
  if (epoll_ctl(run.epoll_fd, EPOLL_CTL_ADD, STDIN_FILENO, &command_event) < 0) die("epoll_ctl stdin: %s", strerror(errno));
  puts("ready");
  fflush(stdout);

  struct command_reader commands = { .length = 0 };
  int started = 0;
  int reporting = 0;
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int ready = epoll_wait(run.epoll_fd, events, MAX_EVENTS, started ? 1000 : -1);
    if (ready < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    for (int index = 0; index < ready; index++) {
      struct publisher *publisher = events[index].data.ptr;
      if (publisher == NULL) {
        int was_started = started;
        if (!read_commands(&commands, &started, &reporting)) return 0;
        if (started && !was_started) start_publishing();
        continue;
      }
      if (!publisher->link.open) continue;
      if (events[index].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_from(publisher);
      if (publisher->link.open && (events[index].events & EPOLLOUT)) flush(publisher);
    }
    if (!started) continue;
    if (run.finished_ms == 0 && run.acked >= run.expected) {
      run.finished_ms = run.last_ack_ms;
      run.finished_cpu = process_cpu_seconds();
    }
    if (reporting && report_if_over()) return 0;
  }
}
