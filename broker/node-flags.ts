/**
 * The V8 flags the broker runs with, for whoever starts its process (the all-in-one supervisor, the bench; the
 * README gives them for running it alone). They must be on the node command line: set from inside a running
 * process they have no effect.
 *
 * A 2 MB young generation instead of V8's 16 MB: while thousands of connections arrive, the young generation grows
 * to its maximum and its pages stay resident, which was about half the RSS of an idle connection (6.8–7.7 KB per
 * connection over 5 000 without the flag, 3.2–4.0 KB with it); fan-in CPU per message was the same with 2 and 4 MB.
 *
 * `--optimize-for-size`: V8 grows the old generation by a smaller factor before each full collection, so the RSS of a
 * fleet no longer swings tens of MB above what it holds. Measured on a loaded 2-core machine, 10 000 simulated
 * thermostats (MQTT 5, a JSON reading every 5 s): broker RSS 172–174 MB (peak 186) without it, 144–148 MB (peak 151)
 * with it, broker CPU the same (61 and 66 ticks per 10 s); an idle connection 3.0 → 2.1 KB; CPU per message of QoS 0
 * fan-in (1.21–1.33 → 1.24–1.28 µs) and per delivery of fan-out saturation (0.91–1.20 → 0.86–0.89 µs) not worse.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--optimize-for-size']
