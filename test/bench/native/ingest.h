/* ingest: load-generator's ingest mode (see ingest.c), in a file of its own. */
#ifndef INGEST_H
#define INGEST_H

/* `load-generator ingest ...` from connecting to report; returns the exit status. */
int run_ingest (int argc, char **argv);

#endif
