package org.pixelcnn4j.bench;

import java.util.Arrays;

/**
 * Repeated timings of one piece of work, in seconds per repetition (a repetition may be scaled,
 * for example to one training step or one batch of whole images).
 */
record Stats(double[] seconds) {

    Stats {
        if (seconds.length == 0) {
            throw new IllegalArgumentException("no repetitions");
        }
        seconds = seconds.clone();
    }

    /** @return the median, the mean of the two middle values for an even count */
    double median() {
        double[] s = sorted();
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    double min() {
        return sorted()[0];
    }

    double max() {
        double[] s = sorted();
        return s[s.length - 1];
    }

    int count() {
        return seconds.length;
    }

    /** @return the same timings multiplied by {@code factor} (for scaling partial work up) */
    Stats scaled(double factor) {
        double[] s = seconds.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] *= factor;
        }
        return new Stats(s);
    }

    private double[] sorted() {
        double[] s = seconds.clone();
        Arrays.sort(s);
        return s;
    }
}
