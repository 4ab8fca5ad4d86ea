package org.pixelcnn4j.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A training set and a validation set drawn from one source by a seeded shuffle: the first
 * {@code round(count * fraction)} images of a permutation seeded by {@code seed} are the
 * validation set, the rest the training set; each keeps the source's order. The same source,
 * fraction and seed always give the same split.
 *
 * @param train the training images
 * @param validation the validation images, or null when the fraction is 0
 */
public record DataSplit(DataSet train, DataSet validation) {

    /** @return whether there is a validation set */
    public boolean hasValidation() {
        return validation != null;
    }

    /**
     * A permutation of {@code 0..count-1} by a Fisher-Yates shuffle seeded with {@code seed}.
     *
     * @param count the number of elements, 0 or more
     * @param seed the seed; the same seed gives the same permutation
     * @return the permutation
     * @throws IllegalArgumentException if count is negative
     */
    public static int[] permutation(int count, long seed) {
        if (count < 0) {
            throw new IllegalArgumentException("count: expected 0 or more, got " + count);
        }
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = count - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /**
     * The indices of the validation and the training set, each in ascending order.
     *
     * @param count images in the source, at least 1
     * @param fraction share of the images for validation, in [0, 1)
     * @param seed the shuffle seed
     * @return {validation indices, training indices}
     * @throws IllegalArgumentException if the fraction is outside [0, 1) or leaves no training
     *     image
     */
    public static int[][] indices(int count, double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation split: expected a fraction in [0, 1), got " + fraction);
        }
        int validation = fraction == 0 ? 0 : (int) Math.max(1, Math.round(count * fraction));
        if (count - validation < 1) {
            throw new IllegalArgumentException("validation split: " + fraction + " of " + count
                    + " images leaves no training image; expected a smaller fraction or more images");
        }
        int[] order = permutation(count, seed);
        int[] val = Arrays.copyOfRange(order, 0, validation);
        int[] train = Arrays.copyOfRange(order, validation, count);
        Arrays.sort(val);
        Arrays.sort(train);
        return new int[][] {val, train};
    }
}
