package org.pixelcnn4j;

/**
 * How {@link PixelCnn#train} trains: batch size, number of steps, Adam settings and the seed of
 * the data order. Immutable, built with {@link #builder()}.
 *
 * <p>Batches are drawn without replacement from a permutation of the data set per epoch, seeded
 * by {@code (shuffleSeed, epoch)}. Step {@code s} of a model (its total step count, saved in
 * checkpoints) always sees the same batch, so a loaded model resumes exactly where the saved one
 * stopped.
 *
 * <pre>{@code
 * TrainingConfig training = TrainingConfig.builder().setSteps(500).optBatchSize(32).build();
 * }</pre>
 */
public final class TrainingConfig {
    /**
     * The mutation rate of {@link #backgroundBuilder()}: the middle of the range Ren et al. (2019)
     * searched (0.1 to 0.3).
     */
    public static final double BACKGROUND_MUTATION_RATE = 0.2;

    /** The L2 weight decay of {@link #backgroundBuilder()}, as Ren et al. (2019) regularise it. */
    public static final double BACKGROUND_WEIGHT_DECAY = 1e-4;

    private final int steps;
    private final int batchSize;
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double clipNorm;
    private final long shuffleSeed;
    private final double weightDecay;
    private final double mutationRate;

    private TrainingConfig(Builder b) {
        weightDecay = b.weightDecay;
        mutationRate = b.mutationRate;
        steps = b.steps;
        batchSize = b.batchSize;
        learningRate = b.learningRate;
        beta1 = b.beta1;
        beta2 = b.beta2;
        eps = b.eps;
        clipNorm = b.clipNorm;
        shuffleSeed = b.shuffleSeed;
    }

    /** @return a builder with Adam's usual defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8), batch 32 */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder for the background model of a likelihood ratio (Ren et al. 2019,
     * {@link org.pixelcnn4j.ood.LikelihoodRatio}): {@link #builder()}'s settings plus mutated
     * inputs at {@value #BACKGROUND_MUTATION_RATE} and L2 weight decay
     * {@value #BACKGROUND_WEIGHT_DECAY}. Train it on the same data, with the same architecture and
     * about as long as the model it corrects.
     *
     * <pre>{@code
     * background.train(data, TrainingConfig.backgroundBuilder().setSteps(2000).build());
     * }</pre>
     *
     * @return the preset builder; any setting can still be changed
     */
    public static Builder backgroundBuilder() {
        return new Builder().optMutationRate(BACKGROUND_MUTATION_RATE).optWeightDecay(BACKGROUND_WEIGHT_DECAY);
    }

    /** @return optimiser steps to run */
    public int steps() {
        return steps;
    }

    /** @return images per step */
    public int batchSize() {
        return batchSize;
    }

    /** @return Adam learning rate */
    public double learningRate() {
        return learningRate;
    }

    /** @return Adam beta1 */
    public double beta1() {
        return beta1;
    }

    /** @return Adam beta2 */
    public double beta2() {
        return beta2;
    }

    /** @return Adam epsilon */
    public double eps() {
        return eps;
    }

    /** @return global gradient-norm clipping threshold, 0 = off */
    public double clipNorm() {
        return clipNorm;
    }

    /** @return seed of the per-epoch data permutation */
    public long shuffleSeed() {
        return shuffleSeed;
    }

    /** @return the L2 weight decay added to the gradient (torch.optim.Adam's weight_decay); 0 = off */
    public double weightDecay() {
        return weightDecay;
    }

    /**
     * @return the fraction of sub-pixels of every training image replaced by a random value
     *     before each step ({@link Mutation}); 0 = off
     */
    public double mutationRate() {
        return mutationRate;
    }

    /** Builder of {@link TrainingConfig}. */
    public static final class Builder {
        private int steps = 100;
        private int batchSize = 32;
        private double learningRate = 1e-3;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double clipNorm = 0;
        private long shuffleSeed = 1;
        private double weightDecay = 0;
        private double mutationRate = 0;

        private Builder() {
        }

        /**
         * @param steps optimiser steps to run, positive
         * @return this builder
         */
        public Builder setSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /**
         * @param batchSize images per step, positive
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * @param learningRate Adam learning rate, positive
         * @return this builder
         */
        public Builder optLearningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * @param beta1 first-moment decay in [0, 1)
         * @param beta2 second-moment decay in [0, 1)
         * @return this builder
         */
        public Builder optBetas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /**
         * @param eps Adam epsilon, positive
         * @return this builder
         */
        public Builder optEps(double eps) {
            this.eps = eps;
            return this;
        }

        /**
         * @param clipNorm clip the global gradient L2 norm to this value; 0 = off
         * @return this builder
         */
        public Builder optClipNorm(double clipNorm) {
            this.clipNorm = clipNorm;
            return this;
        }

        /**
         * @param shuffleSeed seed of the data order
         * @return this builder
         */
        public Builder optShuffleSeed(long shuffleSeed) {
            this.shuffleSeed = shuffleSeed;
            return this;
        }

        /**
         * L2 regularisation as torch.optim.Adam's {@code weight_decay}: {@code weightDecay * w}
         * is added to each weight's (clipped) gradient before the Adam moments.
         *
         * @param weightDecay 0 (off, the default) or positive
         * @return this builder
         */
        public Builder optWeightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /**
         * Trains on mutated images: before each step every sub-pixel of every batch image is
         * replaced, with probability {@code mutationRate}, by a value drawn uniformly from the
         * model's levels ({@link Mutation}: seeded by the shuffle seed, the step and the image's
         * place in the batch, so runs and resumed runs see the same mutations). The background
         * model of a likelihood ratio (Ren et al. 2019) is trained this way, at 0.1 to 0.3
         * ({@link TrainingConfig#backgroundBuilder()}).
         *
         * @param mutationRate in [0, 1]; 0 (off) is the default
         * @return this builder
         */
        public Builder optMutationRate(double mutationRate) {
            this.mutationRate = mutationRate;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the first invalid setting
         */
        public TrainingConfig build() {
            check(steps > 0, "steps: expected a positive count, got " + steps);
            check(batchSize > 0, "batchSize: expected a positive count, got " + batchSize);
            // The engine computes in float32: a value must be valid as a float, not only as a
            // double (1e300 becomes infinity, 1e-50 becomes 0, 0.99999999 becomes 1).
            check(positiveFloat(learningRate),
                    "learningRate: expected a positive value that is finite as a float, got " + learningRate);
            check(beta1 >= 0 && (float) beta1 < 1,
                    "beta1: expected a value in [0, 1) that stays below 1 as a float, got " + beta1);
            check(beta2 >= 0 && (float) beta2 < 1,
                    "beta2: expected a value in [0, 1) that stays below 1 as a float, got " + beta2);
            check(positiveFloat(eps), "eps: expected a positive value that is finite as a float, got " + eps);
            check(clipNorm == 0 || positiveFloat(clipNorm),
                    "clipNorm: expected 0 (off) or a positive value finite as a float, got " + clipNorm);
            check(weightDecay == 0 || positiveFloat(weightDecay),
                    "weightDecay: expected 0 (off) or a positive value finite as a float, got " + weightDecay);
            check(mutationRate >= 0 && mutationRate <= 1,
                    "mutationRate: expected a fraction in [0, 1], got " + mutationRate);
            return new TrainingConfig(this);
        }

        /** Positive and finite as the float the engine turns it into. */
        static boolean positiveFloat(double value) {
            float f = (float) value;
            return Double.isFinite(value) && Float.isFinite(f) && f > 0;
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
