/* offline-queue: load-generator's offline-queue mode (see offline-queue.c), in a file of its own. */
#ifndef OFFLINE_QUEUE_H
#define OFFLINE_QUEUE_H

/* `load-generator offline-queue ...` from set-up to report; returns the exit status. */
int run_offline_queue (int argc, char **argv);

#endif
