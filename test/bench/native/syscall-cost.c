/*
 * syscall-cost: what one system call costs on this machine, printed as "<nanoseconds>\n".
 *
 * The brokers differ most in how many system calls they make per message (a write per delivery, an epoll_wait
 * per wake-up), and what a call costs depends on the machine far more than on the code: a virtual machine, or
 * page-table isolation, can make it several times dearer. The bench prints this figure beside its tables so a
 * ratio between brokers is read with the machine it came from. The call is getppid, which does nothing else;
 * the figure is the fastest of several batches, so a preempted batch does not count.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CALLS_PER_BATCH 200000
#define BATCHES 7

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(void) {
  double best = -1;
  for (int batch = 0; batch < BATCHES; batch++) {
    double start = now_ns();
    for (int i = 0; i < CALLS_PER_BATCH; i++) syscall(SYS_getppid);
    double each = (now_ns() - start) / CALLS_PER_BATCH;
    if (best < 0 || each < best) best = each;
  }
  printf("%.0f\n", best);
  return 0;
}
