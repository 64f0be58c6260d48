/*
 * ingest: load-generator's ingest mode, thermostats' readings for the service-ingest scenario.
 *
 * usage: load-generator ingest PORT PUBLISHERS TEMPLATES
 *   TEMPLATES is a file of the devices' QoS 1 PUBLISHes, written by reading-template.ts: for each device a
 *   u16 length, the u16 offset of the reading's 13-digit time and the u16 offset of the packet id (all
 *   little-endian), then the packet. Device n is published by connection bench-devices-<n mod PUBLISHERS>,
 *   each connection's devices in turn. It prints "ready" once every connection is open; then, on stdin:
 *     credit N  publishes N more readings, shared among the connections (the parent credits what the
 *               service has stored, so the loop is closed by the service)
 *     reset     opens the measured window
 *     report    prints one JSON line for the window and exits
 * A reading's time is the wall clock in ms, or 1 ms after its device's last reading if that is later (the
 * service keeps one reading per device and millisecond).
 */
#define _GNU_SOURCE
#include "ingest.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bench-native.h"

#define MAX_EVENTS 64
#define TIME_DIGITS 13
#define USAGE "usage: load-generator ingest PORT PUBLISHERS TEMPLATES"

struct device {
  unsigned char *packet;
  uint16_t length;
  uint16_t time_offset;
  uint16_t packet_id_offset;
  uint64_t last_time;
};

struct feed {
  struct link link;
  struct device **devices;
  size_t device_count;
  size_t next;
  uint16_t last_packet_id;
};

static struct {
  int epoll_fd;
  struct feed *feeds;
  int feed_count;
  /* The feed that takes the first share of the next credit: turns go round, so no feed always gets the remainder. */
  int first;
  uint64_t published;
  uint64_t acked;
  uint64_t published_at_reset;
  uint64_t acked_at_reset;
  double reset_ms;
  double reset_cpu;
  struct losses losses;
} run = { .losses.reason = "" };

static uint64_t wall_clock_ms (void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static void flush (struct feed *feed) {
  link_flush(run.epoll_fd, &feed->link, feed, &run.losses, 0);
}

/* The next `count` readings of the feed's devices, in turn, into its outbox. */
static void publish (struct feed *feed, uint64_t count, uint64_t now) {
  char digits[TIME_DIGITS + 1];
  for (uint64_t index = 0; index < count; index++) {
    struct device *device = feed->devices[feed->next];
    feed->next = (feed->next + 1) % feed->device_count;
    uint64_t time = now > device->last_time ? now : device->last_time + 1;
    device->last_time = time;
    unsigned char *at = outbox_reserve(&feed->link.out, device->length);
    memcpy(at, device->packet, device->length);
    snprintf(digits, sizeof digits, "%013llu", (unsigned long long)time);
    memcpy(at + device->time_offset, digits, TIME_DIGITS);
    if (++feed->last_packet_id == 0) feed->last_packet_id = 1;
    at[device->packet_id_offset] = (unsigned char)(feed->last_packet_id >> 8);
    at[device->packet_id_offset + 1] = (unsigned char)(feed->last_packet_id & 0xff);
  }
  run.published += count;
}

/* `count` readings shared among the open feeds, a write each. */
static void credit (uint64_t count) {
  uint64_t now = wall_clock_ms();
  uint64_t share = (count + (uint64_t)run.feed_count - 1) / (uint64_t)run.feed_count;
  for (int turn = 0; turn < run.feed_count && count > 0; turn++) {
    struct feed *feed = &run.feeds[(run.first + turn) % run.feed_count];
    if (!feed->link.open) continue;
    uint64_t taken = share < count ? share : count;
    publish(feed, taken, now);
    flush(feed);
    count -= taken;
  }
  run.first = (run.first + 1) % run.feed_count;
}

static void handle_packet (void *context, unsigned char header, const unsigned char *body, size_t length) {
  (void)context;
  (void)body;
  (void)length;
  if ((header >> 4) == MQTT_PUBACK) run.acked++;
}

static uint16_t u16_at (const unsigned char *bytes) {
  return (uint16_t)(bytes[0] | bytes[1] << 8);
}

/* Reads the templates file and deals its devices out to `feeds` in turn. */
static void load_devices (const char *path, struct feed *feeds, int feed_count) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) die("%s: %s", path, strerror(errno));
  size_t count = 0;
  unsigned char head[6];
  while (fread(head, 1, sizeof head, file) == sizeof head) {
    struct device *device = calloc(1, sizeof *device);
    if (device == NULL) die("out of memory");
    device->length = u16_at(head);
    device->time_offset = u16_at(head + 2);
    device->packet_id_offset = u16_at(head + 4);
    if (device->time_offset + TIME_DIGITS > device->length || device->packet_id_offset + 2 > device->length) die("%s: offsets outside the packet", path);
    device->packet = malloc(device->length);
    if (device->packet == NULL) die("out of memory");
    if (fread(device->packet, 1, device->length, file) != device->length) die("%s: a packet cut short", path);
    struct feed *feed = &feeds[count % (size_t)feed_count];
    feed->devices = realloc(feed->devices, (feed->device_count + 1) * sizeof *feed->devices);
    if (feed->devices == NULL) die("out of memory");
    feed->devices[feed->device_count++] = device;
    count++;
  }
  fclose(file);
  if (count < (size_t)feed_count) die("%s: %zu devices for %d connections", path, count, feed_count);
}

static void open_feeds (uint16_t port) {
  char client_id[100];
  for (int index = 0; index < run.feed_count; index++) {
    struct feed *feed = &run.feeds[index];
    snprintf(client_id, sizeof client_id, "bench-devices-%d", index);
    link_open(&feed->link, run.epoll_fd, port, client_id, 1, feed);
  }
}

static void report (void) {
  int open = 0;
  for (int index = 0; index < run.feed_count; index++) open += run.feeds[index].link.open;
  printf("{\"seconds\":%.6f,\"cpuSeconds\":%.6f,\"published\":%llu,\"acked\":%llu,\"connections\":%d,\"open\":%d,\"lost\":%d,\"lostReason\":\"%s\"}\n",
         (monotonic_ms() - run.reset_ms) / 1000, process_cpu_seconds() - run.reset_cpu,
         (unsigned long long)(run.published - run.published_at_reset), (unsigned long long)(run.acked - run.acked_at_reset), run.feed_count,
         open, run.losses.count, run.losses.reason);
  fflush(stdout);
}

/* Handles the complete command lines read; returns 0 on "report" or once stdin has ended (the parent is gone). */
static int read_commands (struct command_reader *commands) {
  if (!commands_read(commands)) return 0;
  const char *command;
  while ((command = commands_next(commands)) != NULL) {
    if (strncmp(command, "credit ", 7) == 0) {
      char *end;
      unsigned long long count = strtoull(command + 7, &end, 10);
      if (*end != '\0' || count == 0) die("bad credit \"%s\"", command);
      credit(count);
    } else if (strcmp(command, "reset") == 0) {
      run.published_at_reset = run.published;
      run.acked_at_reset = run.acked;
      run.reset_ms = monotonic_ms();
      run.reset_cpu = process_cpu_seconds();
    } else if (strcmp(command, "report") == 0) {
      report();
      return 0;
    } else {
      die("unknown command \"%s\"", command);
    }
  }
  return 1;
}

int run_ingest (int argc, char **argv) {
  if (argc != 5) die(USAGE);
  uint16_t port = (uint16_t)atoi(argv[2]);
  run.feed_count = atoi(argv[3]);
  if (run.feed_count <= 0) die("bad ingest arguments");
  run.feeds = calloc((size_t)run.feed_count, sizeof *run.feeds);
  if (run.feeds == NULL) die("out of memory");
  load_devices(argv[4], run.feeds, run.feed_count);
  run.epoll_fd = epoll_create1(0);
  if (run.epoll_fd < 0) die("epoll_create1: %s", strerror(errno));
  open_feeds(port);
  struct epoll_event command_event = { .events = EPOLLIN, .data.ptr = NULL };
  if (epoll_ctl(run.epoll_fd, EPOLL_CTL_ADD, STDIN_FILENO, &command_event) < 0) die("epoll_ctl stdin: %s", strerror(errno));
  run.reset_ms = monotonic_ms();
  run.reset_cpu = process_cpu_seconds();
  puts("ready");
  fflush(stdout);

  struct command_reader commands = { .length = 0 };
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int ready = epoll_wait(run.epoll_fd, events, MAX_EVENTS, -1);
    if (ready < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    for (int index = 0; index < ready; index++) {
      struct feed *feed = events[index].data.ptr;
      if (feed == NULL) {
        if (!read_commands(&commands)) return 0;
        continue;
      }
      if (!feed->link.open) continue;
      if (events[index].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        const char *ended = read_packets(feed->link.fd, &feed->link.reader, handle_packet, NULL);
        if (ended != NULL) link_lose(run.epoll_fd, &feed->link, &run.losses, ended);
      }
      if (feed->link.open && (events[index].events & EPOLLOUT)) flush(feed);
    }
  }
}
