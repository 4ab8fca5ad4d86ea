package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mutated training inputs (a likelihood ratio's background model) and weight decay. */
class MutationTest {

    @Test
    void mutationReplacesTheRateOfSubPixelsUniformlyAndIsKeyed() {
        byte[] zeros = new byte[100_000];
        byte[] a = zeros.clone();
        Mutation.apply(a, 0, a.length, 4, 0.2, 7, 3, 5);
        int changed = 0;
        int[] counts = new int[4];
        for (byte v : a) {
            counts[v]++;
            changed += v != 0 ? 1 : 0;
        }
        // 20% replaced, a quarter of them by 0 again: 15% change, each other level 5%.
        assertEquals(0.15, changed / 100_000.0, 0.01);
        for (int level = 1; level < 4; level++) {
            assertEquals(0.05, counts[level] / 100_000.0, 0.005);
        }
        byte[] same = zeros.clone();
        Mutation.apply(same, 0, same.length, 4, 0.2, 7, 3, 5);
        assertArrayEquals(a, same, "the same key mutates the same way");
        byte[] other = zeros.clone();
        Mutation.apply(other, 0, other.length, 4, 0.2, 7, 3, 6);
        assertFalse(Arrays.equals(a, other), "another slot mutates otherwise");
        byte[] none = zeros.clone();
        Mutation.apply(none, 0, none.length, 4, 0.0, 7, 3, 5);
        assertArrayEquals(zeros, none);
    }

    private static PixelCnnConfig config() {
        return PixelCnnConfig.builder().setImageShape(1, 7, 6).optHiddenChannels(8).optResidualChannels(4)
                .optHeadChannels(8).optBlocks(1).optInputKernel(3).optBlockKernel(3).optSeed(4).build();
    }

    private static Images data() {
        Random r = new Random(2);
        byte[] d = new byte[64 * 42];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) r.nextInt(2);
        }
        return Images.of(d, 64, 1, 7, 6);
    }

    /** Mutation and weight decay change training, reproducibly, and a resumed run sees the same mutations. */
    @Test
    void mutatedTrainingIsReproducibleAndResumesExactly(@TempDir Path dir) throws IOException {
        TrainingConfig six = TrainingConfig.builder().setSteps(6).optBatchSize(8).optMutationRate(0.25)
                .optWeightDecay(0.01).build();
        TrainingConfig three = TrainingConfig.builder().setSteps(3).optBatchSize(8).optMutationRate(0.25)
                .optWeightDecay(0.01).build();
        try (PixelCnn a = PixelCnn.create(config()); PixelCnn b = PixelCnn.create(config());
                PixelCnn plain = PixelCnn.create(config()); PixelCnn half = PixelCnn.create(config())) {
            a.train(data(), six);
            b.train(data(), six);
            assertArrayEquals(a.packedWeights(), b.packedWeights());
            plain.train(data(), TrainingConfig.builder().setSteps(6).optBatchSize(8).build());
            assertFalse(Arrays.equals(plain.packedWeights(), a.packedWeights()));
            half.train(data(), three);
            Path checkpoint = dir.resolve("half.safetensors");
            half.save(checkpoint);
            try (PixelCnn resumed = PixelCnn.load(checkpoint)) {
                resumed.train(data(), three);
                assertArrayEquals(a.packedWeights(), resumed.packedWeights());
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingConfig.builder().optMutationRate(1.5).build());
        assertTrue(e.getMessage().contains("mutationRate"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingConfig.builder().optWeightDecay(-1).build());
    }
}
