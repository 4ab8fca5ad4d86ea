package org.pixelcnn4j;

/**
 * How {@link PixelCnn#sample(int, SamplingConfig)} and {@link PixelCnn#complete} draw images:
 * seed, temperature, batch size, algorithm, progress listener and cancellation. Immutable, built
 * with {@link #builder()}.
 *
 * <p>Every value drawn comes from a counter-based generator keyed by (seed, image index,
 * position, channel), so the images depend only on the model, the seed and the temperature, not
 * on batch size, thread count or algorithm (cached and naive give the same images).
 *
 * <pre>{@code
 * SamplingConfig sampling = SamplingConfig.builder().optSeed(42).optTemperature(0.9)
 *         .optListener(p -> System.out.printf("%d/%d rows%n", p.rowsDone(), p.totalRows()))
 *         .build();
 * Images images = model.sample(64, sampling);
 * }</pre>
 */
public final class SamplingConfig {
    private final long seed;
    private final double temperature;
    private final int batchSize;
    private final boolean cached;
    private final SamplingListener listener;
    private final Cancellation cancellation;
    private final long firstIndex;

    private SamplingConfig(Builder b) {
        firstIndex = b.firstIndex;
        seed = b.seed;
        temperature = b.temperature;
        batchSize = b.batchSize;
        cached = b.cached;
        listener = b.listener;
        cancellation = b.cancellation;
    }

    /** @return a builder: seed 0, temperature 1, batch 64, cached, no listener */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param seed the random seed
     * @return the default configuration with this seed
     */
    public static SamplingConfig ofSeed(long seed) {
        return builder().optSeed(seed).build();
    }

    /** @return the random seed */
    public long seed() {
        return seed;
    }

    /**
     * @return the global index of the first image a call draws: image {@code i} of the call is
     *     image {@code firstIndex + i} of the seed's sequence (0 unless set)
     */
    public long firstIndex() {
        return firstIndex;
    }

    /** @return the temperature dividing the logits: below 1 sharpens, above 1 flattens */
    public double temperature() {
        return temperature;
    }

    /** @return images processed together */
    public int batchSize() {
        return batchSize;
    }

    /** @return true for the cached sampler (about one forward pass per image), false for naive */
    public boolean cached() {
        return cached;
    }

    /** @return the progress listener, or null */
    public SamplingListener listener() {
        return listener;
    }

    /** @return the cancellation handle, or null */
    public Cancellation cancellation() {
        return cancellation;
    }

    /** Builder of {@link SamplingConfig}. */
    public static final class Builder {
        private long seed;
        private double temperature = 1.0;
        private int batchSize = 64;
        private boolean cached = true;
        private SamplingListener listener;
        private Cancellation cancellation;
        private long firstIndex;

        private Builder() {
        }

        /**
         * @param seed the random seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Draws a slice of a larger sequence: image {@code i} of the call is the image that a
         * call drawing {@code firstIndex + i + 1} images from index 0 would give at index
         * {@code firstIndex + i}. How distributed sampling (pixelcnn4j-spark) splits N images
         * over partitions and still gives the images one machine draws.
         *
         * @param firstIndex 0 or more
         * @return this builder
         */
        public Builder optFirstIndex(long firstIndex) {
            this.firstIndex = firstIndex;
            return this;
        }

        /**
         * @param temperature positive and finite; 1 samples the model's distribution
         * @return this builder
         */
        public Builder optTemperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        /**
         * @param batchSize images processed together, positive
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Uses the naive sampler: one full forward pass per pixel and channel.
         *
         * @return this builder
         */
        public Builder optNaive() {
            this.cached = false;
            return this;
        }

        /**
         * @param cached true for the cached sampler (the default), false for naive
         * @return this builder
         */
        public Builder optCached(boolean cached) {
            this.cached = cached;
            return this;
        }

        /**
         * @param listener receives progress after every row; may be null
         * @return this builder
         */
        public Builder optListener(SamplingListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * @param cancellation a handle another thread can cancel; may be null
         * @return this builder
         */
        public Builder optCancellation(Cancellation cancellation) {
            this.cancellation = cancellation;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration
         * @throws IllegalArgumentException if the temperature is not positive and finite or the
         *     batch size is not positive
         */
        public SamplingConfig build() {
            if (!TrainingConfig.Builder.positiveFloat(temperature)) {
                throw new IllegalArgumentException(
                        "temperature: expected a positive value that is finite as a float (the engine samples in "
                                + "float32), got " + temperature);
            }
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batchSize: expected a positive count, got " + batchSize);
            }
            if (firstIndex < 0) {
                throw new IllegalArgumentException("firstIndex: expected 0 or more, got " + firstIndex);
            }
            return new SamplingConfig(this);
        }
    }
}
