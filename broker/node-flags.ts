/**
 * The V8 flags the broker runs with, for whoever starts its process (the all-in-one supervisor, the bench; the
 * README gives them for running it alone). They must be on the node command line: set from inside a running
 * process they have no effect, and NODE_OPTIONS refuses --single-threaded-gc.
 *
 * A 2 MB young generation instead of V8's 16 MB: while thousands of connections arrive, the young generation grows
 * to its maximum and its pages stay resident, which was about half the RSS of an idle connection (6.8–7.7 KB per
 * connection over 5 000 without the flag, 3.2–4.0 KB with it); fan-in CPU per message was the same with 2 and 4 MB.
 *
 * The garbage collector's work on the main thread, without helper threads: a fan-out leaves the collector about
 * 200 bytes per delivery in Node's socket writes, so at 40 000 deliveries/s a young-generation collection runs
 * about ten times a second, between event-loop callbacks, delaying the PUBLISHes that arrive meanwhile. With helper
 * threads on the broker's one core (its own, or a container's CPU limit) each collection waited for threads the
 * scheduler had not run yet: pauses
 * measured p50 0.7–2.9 ms, p90 4–9.5 ms, against 0.26–0.4 ms and 0.44–2.8 ms without them, in the same runs. The
 * price, where the broker has idle cores and a large heap (many queued messages), is marking and sweeping on its
 * main thread too.
 *
 * No allocation-site pretenuring: while the first messages for offline sessions fill their queues' windows, nearly
 * every delivery and queue item made by the same literals outlives a young-generation collection, so V8 decided to
 * make all later ones straight in the old generation. Dead there until the next full collection, they kept the young
 * objects they point to (each message) alive through every scavenge: storing for 1 000 offline sessions promoted
 * 245 MB instead of 57 MB (the windows' own), scavenges took 1.7 s instead of 0.64 s, RSS was 318 MB instead of
 * 172 MB and 74 600 PUBACKs/s instead of 94 600. Fan-in, fan-out and the fleet were as fast or faster without it (three
 * interleaved rounds each, 2026-12-04); an idle connection costs the same (3.4–3.6 KB).
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--single-threaded-gc', '--no-allocation-site-pretenuring']
