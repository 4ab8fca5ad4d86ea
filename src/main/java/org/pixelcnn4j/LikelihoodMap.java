package org.pixelcnn4j;

/**
 * Where an image's negative log-likelihood comes from: for every sub-pixel (pixel and channel)
 * the nats of its value given everything before it in the sampling order,
 * {@code -log p(x[n][c][y][x] | earlier values)}, as returned by {@link PixelCnn#logLikelihoodMap}.
 * The values of an image add up to its total, {@link #likelihood()}, which is
 * {@link PixelCnn#logLikelihood}'s, bit for bit. High values mark the parts of an image the
 * model finds surprising: the map of an anomaly shows where it is anomalous.
 *
 * <p>Maps are float32 as the engine computes them, in the layout of {@link Images}
 * (N x C x H x W).
 */
public final class LikelihoodMap {
    private final Likelihood likelihood;
    private final float[] maps;
    private final int channels;
    private final int height;
    private final int width;

    LikelihoodMap(Likelihood likelihood, float[] maps, int channels, int height, int width) {
        this.likelihood = likelihood;
        this.maps = maps;
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /** @return the per-image totals (nats and bits/dim) */
    public Likelihood likelihood() {
        return likelihood;
    }

    /** @return images in the map */
    public int count() {
        return likelihood.count();
    }

    /** @return channels per image */
    public int channels() {
        return channels;
    }

    /** @return image height */
    public int height() {
        return height;
    }

    /** @return image width */
    public int width() {
        return width;
    }

    /**
     * @param n image
     * @param c channel
     * @param y row
     * @param x column
     * @return the nats of that sub-pixel's value given the values before it
     * @throws IndexOutOfBoundsException if an index is outside the map
     */
    public float get(int n, int c, int y, int x) {
        if (n < 0 || n >= count() || c < 0 || c >= channels || y < 0 || y >= height || x < 0 || x >= width) {
            throw new IndexOutOfBoundsException(String.format("(%d, %d, %d, %d) is outside %d x %d x %d x %d", n, c, y,
                    x, count(), channels, height, width));
        }
        return maps[((n * channels + c) * height + y) * width + x];
    }

    /**
     * @param n image
     * @return a copy of image {@code n}'s map, C x H x W floats (nats)
     */
    public float[] map(int n) {
        checkImage(n);
        int size = channels * height * width;
        float[] out = new float[size];
        System.arraycopy(maps, n * size, out, 0, size);
        return out;
    }

    /**
     * @param n image
     * @return image {@code n}'s map summed over the channels: H x W floats, the nats of each pixel
     */
    public float[] pixelMap(int n) {
        checkImage(n);
        int plane = height * width;
        float[] out = new float[plane];
        for (int c = 0; c < channels; c++) {
            int base = (n * channels + c) * plane;
            for (int p = 0; p < plane; p++) {
                out[p] += maps[base + p];
            }
        }
        return out;
    }

    private void checkImage(int n) {
        if (n < 0 || n >= count()) {
            throw new IndexOutOfBoundsException("image " + n + " is outside [0, " + count() + ")");
        }
    }

    @Override
    public String toString() {
        return "LikelihoodMap[" + count() + " images of " + channels + " x " + height + " x " + width + ", mean "
                + String.format("%.3f", likelihood.meanNats()) + " nats]";
    }
}
