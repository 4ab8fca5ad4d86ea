package org.pixelcnn4j.bench;

/** Interleaved repetitions: every round runs each piece of work once, in order (A B A B ...). */
final class Timing {

    /** Pause before each timed repetition, so that the other side's idle worker threads settle. */
    private static final long SETTLE_MS = 40;

    private Timing() {
    }

    /** Work that returns the seconds of one repetition (it may time and scale itself). */
    @FunctionalInterface
    interface Rep {
        double seconds() throws Exception;
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    /** Times {@code work} once. */
    static double time(Work work) throws Exception {
        long t0 = System.nanoTime();
        work.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** A repetition that runs {@code work} {@code times} times and reports seconds per run. */
    static Rep perRun(int times, Work work) {
        return () -> {
            long t0 = System.nanoTime();
            for (int i = 0; i < times; i++) {
                work.run();
            }
            return (System.nanoTime() - t0) / 1e9 / times;
        };
    }

    /**
     * Times {@code work} once (a warm-up) and returns a repetition of enough runs of it to last
     * about {@code minSeconds} (at least 1, at most {@code maxRuns}).
     */
    static Rep calibrated(double minSeconds, int maxRuns, Work work) throws Exception {
        double once = time(work);
        int runs = (int) Math.max(1, Math.min(maxRuns, Math.ceil(minSeconds / Math.max(once, 1e-6))));
        return perRun(runs, work);
    }

    /**
     * Runs {@code warmup} untimed rounds, then {@code reps} timed rounds; each round runs every
     * piece of work once, in the order given.
     */
    static Stats[] interleaved(int warmup, int reps, Rep... work) throws Exception {
        for (int w = 0; w < warmup; w++) {
            for (Rep r : work) {
                r.seconds();
            }
        }
        double[][] s = new double[work.length][reps];
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < work.length; i++) {
                settle();
                s[i][r] = work[i].seconds();
            }
        }
        Stats[] out = new Stats[work.length];
        for (int i = 0; i < work.length; i++) {
            out[i] = new Stats(s[i]);
        }
        return out;
    }

    static void settle() {
        try {
            Thread.sleep(SETTLE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
