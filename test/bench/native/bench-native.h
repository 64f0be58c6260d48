/*
 * bench-native: what the bench's native programs (fanout-receiver.c, load-generator.c with
 * offline-queue.c) share: just enough MQTT 3.1.1 to connect, subscribe, disconnect and frame packets,
 * the PUBLISH the publishers copy, how often they refill and the clock they stamp into payloads, the
 * latency histogram, an output buffer and reads of whole packets, and the command lines the parent
 * sends on stdin. Each program is built from its own files plus bench-native.c (native-build.ts).
 */
#ifndef BENCH_NATIVE_H
#define BENCH_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#define MQTT_PUBLISH 3
#define MQTT_PUBACK 4

/* A partial packet left at the end of a read waits for the next one. Bench packets are ~80 B. */
#define CARRY_MAX 4096

/*
 * The same buckets as latency-histogram.ts, so every receiver reports alike: 64 per doubling
 * (about 1.1 % wide) from 1 us up; everything at or below 1 us in bucket 0, the top one open-ended.
 */
#define BUCKETS_PER_DOUBLING 64
#define BUCKETS (BUCKETS_PER_DOUBLING * 40)

struct latency_histogram {
  uint64_t counts[BUCKETS];
  /* Send time after read time: the two clocks disagree, and every latency is suspect. */
  uint64_t negative;
};

/* Prints "<program>: <message>" on stderr and exits 1. */
void die (const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* CLOCK_MONOTONIC in milliseconds: the send time publish_template_copy writes into payloads. */
double monotonic_ms (void);

/* Blocking write of all of `bytes` (handshakes only). */
void write_all (int fd, const unsigned char *bytes, size_t length);

/*
 * A connection to 127.0.0.1:port after CONNECT → CONNACK (3.1.1, keepalive 0 so the broker expects no
 * PINGREQ; `clean` 0: a persistent session). Still blocking, with a receive timeout for the handshake.
 */
int mqtt_connect (uint16_t port, const char *client_id, int clean);

/* SUBSCRIBE to one filter → SUBACK, which must grant `qos`. */
void mqtt_subscribe (int fd, const char *topic, int qos);

/* DISCONNECT, then waits until the broker has closed the connection [MQTT-3.14.4-1], and closes it. */
void mqtt_disconnect (int fd);

void set_nonblocking (int fd);

/* One complete packet whose body is body[0, length). */
typedef void (*packet_handler) (void *context, unsigned char header, const unsigned char *body, size_t length);

/* Calls `handle` for every complete packet in bytes[0, length); returns how many bytes they took. */
size_t for_each_packet (const unsigned char *bytes, size_t length, packet_handler handle, void *context);

void histogram_record (struct latency_histogram *histogram, double ms);

/* The latency (ms, bucket midpoint) below which `fraction` of the samples fall; < 0 when empty. */
double histogram_quantile_ms (const struct latency_histogram *histogram, double fraction);

/* A quantile as JSON: a number, or null when there were no samples. `text` holds at least 32 bytes. */
void format_quantile (char *text, double ms);

/*
 * A windowed publisher refills once this many PUBACKs are back, not per PUBACK: brokers that send each
 * PUBACK in its own segment would otherwise cost the generator a write per message.
 */
#define REFILL_BATCH 8

/* One encoded PUBLISH with a zeroed payload, copied for each send with its send time (and QoS 1 packet id) patched in. */
struct publish_template {
  unsigned char bytes[128];
  size_t length;
  size_t payload_offset;
  int qos;
};

/* A PUBLISH of `payload_bytes` on `topic`; a bench PUBLISH has a one-byte remaining length and room for a send time. */
void publish_template_init (struct publish_template *template, const char *topic, int qos, size_t payload_bytes);

/*
 * A copy at `at` stamped with `sent_ms` and, at QoS 1, the packet id after the connection's `last_packet_id`
 * (0 before the first): 1..65535 in turn, fine while fewer than 65535 are unacknowledged, which the
 * publishers' windows ensure.
 */
void publish_template_copy (const struct publish_template *template, unsigned char *at, double sent_ms, uint16_t *last_packet_id);

/* The send time at the start of a PUBLISH's payload (body[0, length)); false if it has none. */
int publish_sent_ms (unsigned char header, const unsigned char *body, size_t length, double *sent_ms);

/* Bytes for a non-blocking socket: [sent, length) still to be written. */
struct outbox {
  unsigned char *bytes;
  size_t length;
  size_t sent;
  size_t capacity;
};

/* Room for `more` bytes at the end, to be filled by the caller; starts over once all were sent. */
unsigned char *outbox_reserve (struct outbox *out, size_t more);

/* Writes what `out` holds to the non-blocking `fd` until it would block; -1 (errno set) if the connection failed. */
int outbox_flush (int fd, struct outbox *out);

/* A connection's incoming bytes: a partial packet left at the end of one read waits here for the next. */
struct packet_reader {
  size_t carried;
  unsigned char carry[CARRY_MAX];
};

/*
 * One large read from the non-blocking `fd`, then `handle` for every complete packet. Returns NULL, or why
 * the connection is over ("closed by the broker", or the error).
 */
const char *read_packets (int fd, struct packet_reader *reader, packet_handler handle, void *context);

/* Connections the broker closed during a run, and why the last one went: every report says. */
struct losses {
  int count;
  const char *reason;
};

/* This process's CPU time so far, user and system, in seconds (the generator reports its own load). */
double process_cpu_seconds (void);

/* Takes a connection that is over out of the epoll set and closes it, counted in `losses`. */
void lose_connection (int epoll_fd, int fd, struct losses *losses, const char *reason);

/* A load generator's non-blocking connection: its socket, a packet it has read part of, the bytes it has yet to write. */
struct link {
  int fd;
  int open;
  /* EPOLLOUT is watched: the outbox is backed up, or its owner wants to write more. */
  int watching_writes;
  struct packet_reader reader;
  struct outbox out;
};

/*
 * Connects as mqtt_connect does, then makes the socket non-blocking and adds it to `epoll_fd` for reads, with `tag`
 * (the link's owner) as the event's data.
 */
void link_open (struct link *link, int epoll_fd, uint16_t port, const char *client_id, int clean, void *tag);

/* lose_connection for an open link, which it marks closed; nothing for one closed already. */
void link_lose (int epoll_fd, struct link *link, struct losses *losses, const char *reason);

/*
 * Writes what the outbox holds (a write error loses the link), then has epoll report the socket writable, tagged
 * `tag`, only while bytes are left or the owner wants `more` room to write.
 */
void link_flush (int epoll_fd, struct link *link, void *tag, struct losses *losses, int more);

/* Command lines from the parent on stdin ("reset", "report"): at most 255 bytes not yet handled. */
struct command_reader {
  char text[256];
  size_t length;
  size_t consumed;
};

/* One read from stdin, once epoll says it is readable; false at end of input (the parent is gone). */
int commands_read (struct command_reader *reader);

/* The next complete command line, without its newline (valid until the next call), or NULL. */
const char *commands_next (struct command_reader *reader);

#endif
