/**
 * The V8 flags the broker runs with, for whoever starts its process (the all-in-one supervisor, the bench; the
 * README gives them for running it alone). They must be on the node command line: set from inside a running
 * process they have no effect.
 *
 * A 2 MB young generation instead of V8's 16 MB: while thousands of connections arrive, the young generation grows
 * to its maximum and its pages stay resident, which was about half the RSS of an idle connection (6.8–7.7 KB per
 * connection over 5 000 without the flag, 3.2–4.0 KB with it); fan-in CPU per message was the same with 2 and 4 MB.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2']
