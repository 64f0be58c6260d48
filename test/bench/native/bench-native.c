/* See bench-native.h. */
#define _GNU_SOURCE
#include "bench-native.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CONNACK_BYTE 0x20
#define SUBACK_BYTE 0x90
#define HANDSHAKE_TIMEOUT_S 10
/* One read takes up to this much from a socket; the generator's cost is per read, not per byte. */
#define READ_BYTES (256 * 1024)

static unsigned char read_buffer[CARRY_MAX + READ_BYTES];

void die (const char *format, ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "%s: ", program_invocation_short_name);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

double monotonic_ms (void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

void write_all (int fd, const unsigned char *bytes, size_t length) {
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

int mqtt_connect (uint16_t port, const char *client_id, int clean) {
  if (strlen(client_id) > 80) die("client id too long: %s", client_id);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  struct timeval timeout = { .tv_sec = HANDSHAKE_TIMEOUT_S };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) die("connect to port %u: %s", port, strerror(errno));

  unsigned char packet[128];
  size_t length = 2;
  length += put_string(packet + length, "MQTT");
  packet[length++] = 4; /* protocol level: 3.1.1 */
  packet[length++] = clean ? 0x02 : 0x00;
  packet[length++] = 0; /* keepalive 0 */
  packet[length++] = 0;
  length += put_string(packet + length, client_id);
  packet[0] = 0x10;
  packet[1] = (unsigned char)(length - 2);
  write_all(fd, packet, length);
  unsigned char connack[4];
  read_exactly(fd, connack, sizeof connack, "CONNACK");
  if (connack[0] != CONNACK_BYTE || connack[3] != 0) die("CONNACK return code %u for %s", connack[3], client_id);
  return fd;
}

void mqtt_subscribe (int fd, const char *topic, int qos) {
  if (strlen(topic) > 100) die("topic too long: %s", topic);
  unsigned char packet[128];
  size_t length = 2;
  packet[length++] = 0; /* packet id 1 */
  packet[length++] = 1;
  length += put_string(packet + length, topic);
  packet[length++] = (unsigned char)qos;
  packet[0] = 0x82; /* [MQTT-3.8.1-1] SUBSCRIBE flags are 0010 */
  packet[1] = (unsigned char)(length - 2);
  write_all(fd, packet, length);
  unsigned char suback[5];
  read_exactly(fd, suback, sizeof suback, "SUBACK");
  if (suback[0] != SUBACK_BYTE || suback[4] != qos) die("SUBACK granted %u for %s, asked %d", suback[4], topic, qos);
}

void mqtt_disconnect (int fd) {
  static const unsigned char disconnect[] = { 0xe0, 0 };
  write_all(fd, disconnect, sizeof disconnect);
  unsigned char unexpected;
  ssize_t got = read(fd, &unexpected, 1);
  if (got != 0) die("the broker kept the connection after DISCONNECT: %s", got < 0 ? strerror(errno) : "it sent a packet");
  close(fd);
}

void set_nonblocking (int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

size_t for_each_packet (const unsigned char *bytes, size_t length, packet_handler handle, void *context) {
  size_t offset = 0;
  for (;;) {
    size_t remaining = 0;
    size_t index = offset + 1;
    int complete = 0;
    for (int shift = 0; shift < 28 && index < length; shift += 7) {
      unsigned char byte = bytes[index++];
      remaining |= (size_t)(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        complete = 1;
        break;
      }
    }
    if (!complete) {
      if (index - offset > 4) die("malformed remaining length");
      return offset;
    }
    if (remaining > length - index) return offset;
    handle(context, bytes[offset], bytes + index, remaining);
    offset = index + remaining;
  }
}

void histogram_record (struct latency_histogram *histogram, double ms) {
  double micros = ms * 1000;
  int bucket = 0;
  if (ms < 0) histogram->negative++;
  if (micros > 1) bucket = (int)floor(log2(micros) * BUCKETS_PER_DOUBLING);
  histogram->counts[bucket < BUCKETS ? bucket : BUCKETS - 1]++;
}

double histogram_quantile_ms (const struct latency_histogram *histogram, double fraction) {
  uint64_t total = 0;
  for (int bucket = 0; bucket < BUCKETS; bucket++) total += histogram->counts[bucket];
  if (total == 0) return -1;
  uint64_t rank = (uint64_t)ceil(fraction * (double)total);
  uint64_t seen = 0;
  for (int bucket = 0; bucket < BUCKETS; bucket++) {
    seen += histogram->counts[bucket];
    if (seen >= rank) return pow(2, (bucket + 0.5) / BUCKETS_PER_DOUBLING) / 1000;
  }
  return -1;
}

void format_quantile (char *text, double ms) {
  if (ms < 0) snprintf(text, 32, "null");
  else snprintf(text, 32, "%.6f", ms);
}

void publish_template_init (struct publish_template *template, const char *topic, int qos, size_t payload_bytes) {
  size_t topic_length = strlen(topic);
  size_t remaining = 2 + topic_length + (qos > 0 ? 2 : 0) + payload_bytes;
  if (remaining > 127 || payload_bytes < sizeof(double)) die("a bench PUBLISH has a one-byte remaining length and room for a send time");
  unsigned char *at = template->bytes;
  *at++ = (unsigned char)(MQTT_PUBLISH << 4 | qos << 1);
  *at++ = (unsigned char)remaining;
  at += put_string(at, topic);
  if (qos > 0) {
    *at++ = 0; /* the packet id, patched into each copy */
    *at++ = 0;
  }
  template->payload_offset = (size_t)(at - template->bytes);
  memset(at, 0, payload_bytes);
  template->length = template->payload_offset + payload_bytes;
  template->qos = qos;
}

void publish_template_copy (const struct publish_template *template, unsigned char *at, double sent_ms, uint16_t *last_packet_id) {
  memcpy(at, template->bytes, template->length);
  memcpy(at + template->payload_offset, &sent_ms, sizeof sent_ms);
  if (template->qos == 0) return;
  uint16_t packet_id = (uint16_t)(*last_packet_id % 0xffff + 1);
  at[template->payload_offset - 2] = (unsigned char)(packet_id >> 8);
  at[template->payload_offset - 1] = (unsigned char)packet_id;
  *last_packet_id = packet_id;
}

int publish_sent_ms (unsigned char header, const unsigned char *body, size_t length, double *sent_ms) {
  if ((header >> 4) != MQTT_PUBLISH || length < 2) return 0;
  size_t payload = 2 + (((size_t)body[0] << 8) | body[1]);
  if (((header >> 1) & 3) != 0) payload += 2; /* packet id */
  if (payload + sizeof(double) > length) return 0;
  memcpy(sent_ms, body + payload, sizeof *sent_ms); /* little-endian, as is every machine this runs on */
  return 1;
}

unsigned char *outbox_reserve (struct outbox *out, size_t more) {
  if (out->sent == out->length) out->sent = out->length = 0;
  if (out->length + more > out->capacity && out->sent > 0) {
    memmove(out->bytes, out->bytes + out->sent, out->length - out->sent);
    out->length -= out->sent;
    out->sent = 0;
  }
  if (out->length + more > out->capacity) {
    out->capacity = 2 * (out->length + more);
    out->bytes = realloc(out->bytes, out->capacity);
    if (out->bytes == NULL) die("out of memory");
  }
  unsigned char *at = out->bytes + out->length;
  out->length += more;
  return at;
}

int outbox_flush (int fd, struct outbox *out) {
  while (out->sent < out->length) {
    ssize_t written = write(fd, out->bytes + out->sent, out->length - out->sent);
    if (written < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (written < 0) return -1;
    out->sent += (size_t)written;
  }
  return 0;
}

const char *read_packets (int fd, struct packet_reader *reader, packet_handler handle, void *context) {
  memcpy(read_buffer, reader->carry, reader->carried);
  ssize_t got = read(fd, read_buffer + reader->carried, READ_BYTES);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return NULL;
  if (got <= 0) return got == 0 ? "closed by the broker" : strerror(errno);
  size_t length = reader->carried + (size_t)got;
  size_t used = for_each_packet(read_buffer, length, handle, context);
  reader->carried = length - used;
  if (reader->carried > CARRY_MAX) die("a packet larger than %d bytes: not a bench packet", CARRY_MAX);
  memcpy(reader->carry, read_buffer + used, reader->carried);
  return NULL;
}

double process_cpu_seconds (void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void lose_connection (int epoll_fd, int fd, struct losses *losses, const char *reason) {
  losses->count++;
  losses->reason = reason;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
}

int commands_read (struct command_reader *reader) {
  memmove(reader->text, reader->text + reader->consumed, reader->length - reader->consumed);
  reader->length -= reader->consumed;
  reader->consumed = 0;
  if (reader->length == sizeof reader->text - 1) die("command line too long");
  ssize_t got = read(STDIN_FILENO, reader->text + reader->length, sizeof reader->text - 1 - reader->length);
  if (got <= 0) return 0;
  reader->length += (size_t)got;
  reader->text[reader->length] = '\0';
  return 1;
}

const char *commands_next (struct command_reader *reader) {
  char *line = reader->text + reader->consumed;
  char *newline = memchr(line, '\n', reader->length - reader->consumed);
  if (newline == NULL) return NULL;
  *newline = '\0';
  reader->consumed = (size_t)(newline + 1 - reader->text);
  return line;
}

void link_open (struct link *link, int epoll_fd, uint16_t port, const char *client_id, int clean, void *tag) {
  link->fd = mqtt_connect(port, client_id, clean);
  link->open = 1;
  set_nonblocking(link->fd);
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = tag };
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, link->fd, &event) < 0) die("epoll_ctl: %s", strerror(errno));
}

void link_lose (int epoll_fd, struct link *link, struct losses *losses, const char *reason) {
  if (!link->open) return;
  link->open = 0;
  lose_connection(epoll_fd, link->fd, losses, reason);
}

void link_flush (int epoll_fd, struct link *link, void *tag, struct losses *losses, int more) {
  if (outbox_flush(link->fd, &link->out) < 0) {
    link_lose(epoll_fd, link, losses, strerror(errno));
    return;
  }
  int writes = link->out.sent < link->out.length || more;
  if (link->watching_writes == writes) return;
  struct epoll_event event = { .events = EPOLLIN | (writes ? EPOLLOUT : 0), .data.ptr = tag };
  if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, link->fd, &event) < 0) die("epoll_ctl: %s", strerror(errno));
  link->watching_writes = writes;
}
