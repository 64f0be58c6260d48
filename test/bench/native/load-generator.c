/*
 * load-generator: the bench's publishers, the fan-in subscriber, the idle connections and the offline
 * sessions, in C.
 *
 * Under the Node generator, which spent its core on its own event loop and streams, Mosquitto's QoS 0
 * fan-in measured under a third of what it does under a native one: the bench measured the generator.
 * This does only what the measurement needs, on one thread on the generator's core: one epoll loop
 * over non-blocking sockets, PUBLISHes copied from one template per publisher with the send time
 * patched in once per batch, packets framed by fixed header and remaining length only.
 *
 * usage:
 *   load-generator fan-in PORT PUBLISHERS QOS WINDOW PERSISTENT PAYLOAD_BYTES [SUBSCRIBER_PORT]
 *     PUBLISHERS clients bench-pub-<n> publish on bench/<n> to one subscriber, bench-sub, on bench/#
 *     at QOS. QoS 0: as fast as the broker reads. QoS 1: at most WINDOW unacknowledged per publisher,
 *     refilled REFILL_BATCH at a time. PERSISTENT 1: the subscriber keeps its session (clean 0).
 *     SUBSCRIBER_PORT: the subscriber is on another broker (the remote end of a bridge).
 *   load-generator fan-out PORT RATE TOPIC PAYLOAD_BYTES
 *     One publisher, bench-pub, sends RATE QoS 0 PUBLISHes a second on TOPIC; the subscribers are
 *     fanout-receiver's.
 *   load-generator idle PORT CONNECTIONS
 *     CONNECTIONS clients bench-idle-<n> that connect and send nothing.
 *   load-generator offline-queue PORT SESSIONS MESSAGES_PER_SESSION PUBLISHERS WINDOW PAYLOAD_BYTES
 *     Persistent sessions that subscribed and went away, then QoS 1 PUBLISHes for each until every one
 *     is acknowledged: its own set-up, commands and report, described in offline-queue.c.
 *   load-generator ingest PORT PUBLISHERS TEMPLATES
 *     Thermostats' QoS 1 readings, as many as the parent credits: described in ingest.c.
 * Every client speaks MQTT 3.1.1 with keepalive 0 and connects one at a time, so no broker's listen
 * backlog overflows. In the first three modes, once all are connected it prints "ready" and the load
 * starts; then it reads commands on stdin, one per line:
 *   reset   opens the measured window: counts and latencies start from zero
 *   report  closes it: publishing stops, and with QoS 1 it waits until every acknowledged message
 *           has been delivered (or DRAIN_TIMEOUT_MS has passed), prints one JSON line and exits
 * End of stdin, or the parent's death, ends it too: it must never outlive the bench.
 *
 * Latency is read time minus the send time the publisher wrote into the first 8 bytes of the payload
 * (see bench-native.h), as in fanout-receiver.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench-native.h"
#include "ingest.h"
#include "offline-queue.h"

#define MAX_EVENTS 256
/* PUBLISHes per write when publishing flat out: fewer syscalls, so the generator stays light. */
#define FLAT_OUT_BATCH 64
/* Writes per publisher per wake-up before the others (and the subscriber) get their turn. */
#define FLAT_OUT_WRITES_PER_WAKEUP 8
/* After a stall, a paced publisher sends at most this much of its backlog at once. */
#define MAX_CATCH_UP_MS 50
#define DRAIN_TIMEOUT_MS 15000
/* PUBACKs have stopped arriving once none came for this long. */
#define DRAIN_SETTLE_MS 200

#define USAGE "usage: load-generator fan-in PORT PUBLISHERS QOS WINDOW PERSISTENT PAYLOAD_BYTES [SUBSCRIBER_PORT] | fan-out PORT RATE TOPIC PAYLOAD_BYTES | idle PORT CONNECTIONS | offline-queue PORT SESSIONS MESSAGES_PER_SESSION PUBLISHERS WINDOW PAYLOAD_BYTES | ingest PORT PUBLISHERS TEMPLATES"

enum role { PUBLISHER, SUBSCRIBER, IDLE };

struct client {
  struct link link;
  enum role role;
  /* Publishers: each PUBLISH is a copy of this one. */
  struct publish_template publish;
  uint16_t last_packet_id;
  uint64_t unrefilled;
};

struct window_counts {
  uint64_t published;
  uint64_t delivered;
  uint64_t acked;
  struct latency_histogram latency;
};

/* The measured window's counts, from "reset"; copied to `closed` on "report", while the drain goes on. */
static struct window_counts window;
static struct window_counts closed;

static struct {
  const char *mode;
  /* Fan-in at QoS 0: the publishers write as fast as the broker reads. */
  int flat_out;
  int qos;
  int window;
  double rate;
} settings;

static uint64_t delivered_total;
static uint64_t acked_total;
static int publishing = 1;
static struct losses losses = { .reason = "" };
static int epoll_fd;

static int is_flat_out (const struct client *client) {
  return client->role == PUBLISHER && settings.flat_out && publishing;
}

/* Writes what the outbox holds; watches for writability while any is left (or to publish more). */
static void flush (struct client *client) {
  link_flush(epoll_fd, &client->link, client, &losses, is_flat_out(client));
}

/* `count` PUBLISHes into the outbox, all stamped with one clock reading. */
static void publish (struct client *client, uint64_t count) {
  size_t size = client->publish.length;
  unsigned char *at = outbox_reserve(&client->link.out, count * size);
  double now_ms = monotonic_ms();
  for (uint64_t index = 0; index < count; index++, at += size) publish_template_copy(&client->publish, at, now_ms, &client->last_packet_id);
  window.published += count;
}

static void handle_packet (void *context, unsigned char header, const unsigned char *body, size_t length) {
  struct client *client = context;
  if (client->role == PUBLISHER && (header >> 4) == MQTT_PUBACK) {
    window.acked++;
    acked_total++;
    client->unrefilled++;
  }
  if (client->role != SUBSCRIBER || (header >> 4) != MQTT_PUBLISH) return;
  window.delivered++;
  delivered_total++;
  double sent_ms;
  if (publish_sent_ms(header, body, length, &sent_ms)) histogram_record(&window.latency, monotonic_ms() - sent_ms);
  size_t id_at = 2 + (((size_t)body[0] << 8) | body[1]);
  if (((header >> 1) & 3) == 1 && length >= 2 && id_at + 2 <= length) {
    unsigned char *puback = outbox_reserve(&client->link.out, 4);
    puback[0] = MQTT_PUBACK << 4;
    puback[1] = 2;
    puback[2] = body[id_at];
    puback[3] = body[id_at + 1];
  }
}

/* One read; then the subscriber's PUBACKs, or a windowed publisher's refill, in one write. */
static void read_from (struct client *client) {
  const char *ended = read_packets(client->link.fd, &client->link.reader, handle_packet, client);
  if (ended != NULL) {
    link_lose(epoll_fd, &client->link, &losses, ended);
    return;
  }
  if (client->role == PUBLISHER && publishing && client->unrefilled >= REFILL_BATCH) {
    publish(client, client->unrefilled);
    client->unrefilled = 0;
  }
  if (client->link.out.sent < client->link.out.length) flush(client);
}

static void write_to (struct client *client) {
  for (int writes = 0; writes < FLAT_OUT_WRITES_PER_WAKEUP && client->link.open; writes++) {
    if (client->link.out.sent == client->link.out.length) {
      if (!is_flat_out(client)) break;
      publish(client, FLAT_OUT_BATCH);
    }
    flush(client);
    if (client->link.out.sent < client->link.out.length) break;
  }
  if (client->link.open) flush(client);
}

static struct client *open_client (uint16_t port, const char *client_id, enum role role, int clean) {
  struct client *client = calloc(1, sizeof *client);
  if (client == NULL) die("out of memory");
  client->link.fd = mqtt_connect(port, client_id, clean);
  client->role = role;
  client->link.open = 1;
  return client;
}

static void print_report (const struct window_counts *counts, double seconds, uint64_t undelivered, int connections) {
  char p50[32];
  char p99[32];
  format_quantile(p50, histogram_quantile_ms(&counts->latency, 0.5));
  format_quantile(p99, histogram_quantile_ms(&counts->latency, 0.99));
  printf("{\"seconds\":%.6f,\"published\":%llu,\"delivered\":%llu,\"acked\":%llu,\"p50Ms\":%s,\"p99Ms\":%s,"
         "\"negativeLatencies\":%llu,\"undelivered\":%llu,\"connections\":%d,\"lost\":%d,\"lostReason\":\"%s\"}\n",
         seconds, (unsigned long long)counts->published, (unsigned long long)counts->delivered, (unsigned long long)counts->acked, p50,
         p99, (unsigned long long)counts->latency.negative, (unsigned long long)undelivered, connections, losses.count, losses.reason);
  fflush(stdout);
}

/* The fan-out publisher's tick: however many PUBLISHes are due by the clock, unless the socket is backed up. */
static void publish_paced (struct client *client, double started_ms, uint64_t *sent) {
  uint64_t due = (uint64_t)((monotonic_ms() - started_ms) * settings.rate / 1000);
  if (!client->link.open || client->link.out.sent < client->link.out.length || due <= *sent) return;
  /* The rate is an offer, not a debt: after a stall the backlog beyond MAX_CATCH_UP_MS is dropped. */
  uint64_t most = (uint64_t)ceil(settings.rate * MAX_CATCH_UP_MS / 1000);
  publish(client, due - *sent < most ? due - *sent : most);
  *sent = due;
  flush(client);
}

/* Opens every connection the mode asks for, subscriber first; returns how many. */
static int open_clients (int argc, char **argv, struct client ***clients) {
  uint16_t port = (uint16_t)atoi(argv[2]);
  char client_id[100];
  if (strcmp(settings.mode, "fan-in") == 0 && (argc == 8 || argc == 9)) {
    uint16_t subscriber_port = argc == 9 ? (uint16_t)atoi(argv[8]) : port;
    int publishers = atoi(argv[3]);
    settings.qos = atoi(argv[4]);
    settings.window = atoi(argv[5]);
    size_t payload_bytes = (size_t)atoi(argv[7]);
    if (publishers <= 0 || settings.qos < 0 || settings.qos > 1 || (settings.qos == 1 && settings.window <= 0)) die("bad fan-in arguments");
    settings.flat_out = settings.qos == 0;
    *clients = calloc((size_t)publishers + 1, sizeof **clients);
    (*clients)[0] = open_client(subscriber_port, "bench-sub", SUBSCRIBER, atoi(argv[6]) == 0);
    mqtt_subscribe((*clients)[0]->link.fd, "bench/#", settings.qos);
    for (int index = 1; index <= publishers; index++) {
      snprintf(client_id, sizeof client_id, "bench-pub-%d", index - 1);
      (*clients)[index] = open_client(port, client_id, PUBLISHER, 1);
      char topic[32];
      snprintf(topic, sizeof topic, "bench/%d", index - 1);
      publish_template_init(&(*clients)[index]->publish, topic, settings.qos, payload_bytes);
    }
    return publishers + 1;
  }
  if (strcmp(settings.mode, "fan-out") == 0 && argc == 6) {
    settings.rate = atof(argv[3]);
    if (settings.rate <= 0) die("bad fan-out rate");
    *clients = calloc(1, sizeof **clients);
    (*clients)[0] = open_client(port, "bench-pub", PUBLISHER, 1);
    publish_template_init(&(*clients)[0]->publish, argv[4], 0, (size_t)atoi(argv[5]));
    return 1;
  }
  if (strcmp(settings.mode, "idle") == 0 && argc == 4) {
    int connections = atoi(argv[3]);
    if (connections <= 0) die("bad connection count");
    *clients = calloc((size_t)connections, sizeof **clients);
    for (int index = 0; index < connections; index++) {
      snprintf(client_id, sizeof client_id, "bench-idle-%d", index);
      (*clients)[index] = open_client(port, client_id, IDLE, 1);
    }
    return connections;
  }
  die(USAGE);
}

/* The event loop: load until "report", then (QoS 1) drain, then report. */
int main (int argc, char **argv) {
  if (argc < 3) die(USAGE);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  /* The idle scenario holds thousands of sockets: the soft limit on descriptors goes up to the hard one. */
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (strcmp(argv[1], "offline-queue") == 0) return run_offline_queue(argc, argv);
  if (strcmp(argv[1], "ingest") == 0) return run_ingest(argc, argv);
  settings.mode = argv[1];
  epoll_fd = epoll_create1(0);
  if (epoll_fd < 0) die("epoll_create1: %s", strerror(errno));
  struct client **clients;
  int count = open_clients(argc, argv, &clients);
  for (int index = 0; index < count; index++) {
    set_nonblocking(clients[index]->link.fd);
    struct epoll_event event = { .events = EPOLLIN, .data.ptr = clients[index] };
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, clients[index]->link.fd, &event) < 0) die("epoll_ctl: %s", strerror(errno));
  }
  struct epoll_event command_event = { .events = EPOLLIN, .data.ptr = NULL };
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, STDIN_FILENO, &command_event) < 0) die("epoll_ctl stdin: %s", strerror(errno));
  puts("ready");
  fflush(stdout);

  int paced = strcmp(settings.mode, "fan-out") == 0;
  double started_ms = monotonic_ms();
  double window_started_ms = started_ms;
  uint64_t paced_sent = 0;
  for (int index = 0; index < count; index++) {
    if (clients[index]->role != PUBLISHER) continue;
    if (settings.qos == 1) publish(clients[index], (uint64_t)settings.window);
    flush(clients[index]);
  }

  struct command_reader commands = { .length = 0 };
  double window_seconds = 0;
  double drain_deadline_ms = 0;
  double drain_settled_ms = 0;
  uint64_t drain_acked_seen = 0;
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int ready = epoll_wait(epoll_fd, events, MAX_EVENTS, paced && publishing ? 1 : publishing ? -1 : 50);
    if (ready < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    for (int index = 0; index < ready; index++) {
      struct client *client = events[index].data.ptr;
      if (client != NULL) {
        if (!client->link.open) continue;
        if (events[index].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_from(client);
        if (client->link.open && (events[index].events & EPOLLOUT)) write_to(client);
        continue;
      }
      if (!commands_read(&commands)) return 0;
      const char *command;
      while ((command = commands_next(&commands)) != NULL) {
        if (strcmp(command, "reset") == 0) {
          memset(&window, 0, sizeof window);
          window_started_ms = monotonic_ms();
        } else if (strcmp(command, "report") == 0 && publishing) {
          window_seconds = (monotonic_ms() - window_started_ms) / 1000;
          closed = window;
          publishing = 0;
          drain_deadline_ms = monotonic_ms() + DRAIN_TIMEOUT_MS;
          for (int each = 0; each < count; each++) {
            if (clients[each]->link.open) flush(clients[each]);
          }
        } else {
          die("unknown command \"%s\"", command);
        }
      }
    }
    if (paced && publishing) publish_paced(clients[0], started_ms, &paced_sent);
    if (publishing) continue;
    /* Reporting: with QoS 1, first every acknowledged message to the subscriber. */
    double now_ms = monotonic_ms();
    if (acked_total != drain_acked_seen) {
      drain_acked_seen = acked_total;
      drain_settled_ms = now_ms;
    }
    int drained = settings.qos == 0 || (now_ms - drain_settled_ms >= DRAIN_SETTLE_MS && delivered_total >= acked_total);
    if (drained || now_ms > drain_deadline_ms || losses.count > 0) {
      print_report(&closed, window_seconds, acked_total > delivered_total ? acked_total - delivered_total : 0, count);
      return 0;
    }
  }
}
