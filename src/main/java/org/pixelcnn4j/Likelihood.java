package org.pixelcnn4j;

import java.util.Arrays;

/**
 * Per-image negative log-likelihoods, as returned by {@link PixelCnn#logLikelihood}.
 * Lower is more likely; an unusual (out-of-distribution) image scores high.
 */
public final class Likelihood {
    private static final double LN2 = Math.log(2.0);
    private final double[] nats;
    private final int dimensions;

    Likelihood(double[] nats, int dimensions) {
        this.nats = nats;
        this.dimensions = dimensions;
    }

    /** @return number of images scored */
    public int count() {
        return nats.length;
    }

    /**
     * @param index image index
     * @return negative log-likelihood of that image in nats
     */
    public double nats(int index) {
        return nats[index];
    }

    /**
     * @param index image index
     * @return negative log-likelihood of that image in bits per dimension
     */
    public double bitsPerDim(int index) {
        return nats[index] / (dimensions * LN2);
    }

    /** @return a copy of all per-image values in nats */
    public double[] natsArray() {
        return nats.clone();
    }

    /** @return the mean negative log-likelihood per image, in nats */
    public double meanNats() {
        return Arrays.stream(nats).average().orElse(Double.NaN);
    }

    /** @return the mean in bits per dimension */
    public double meanBitsPerDim() {
        return meanNats() / (dimensions * LN2);
    }

    @Override
    public String toString() {
        return String.format("Likelihood[%d images, mean %.3f nats, %.4f bits/dim]", count(),
                meanNats(), meanBitsPerDim());
    }
}
