package org.pixelcnn4j.ood;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pixelcnn4j.Images;

class OodMetricsTest {

    @Test
    void aurocIsThePairwiseProbabilityWithTiesHalf() {
        assertEquals(1.0, OodMetrics.auroc(new double[] {1, 2, 3}, new double[] {4, 5}), 0.0);
        assertEquals(0.0, OodMetrics.auroc(new double[] {4, 5}, new double[] {1, 2, 3}), 0.0);
        assertEquals(0.5, OodMetrics.auroc(new double[] {7, 7}, new double[] {7, 7, 7}), 0.0);
        // Against the brute-force count on random scores with many ties.
        Random r = new Random(3);
        double[] in = new double[300];
        double[] out = new double[200];
        for (int i = 0; i < in.length; i++) {
            in[i] = r.nextInt(40);
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = r.nextInt(40) + 5;
        }
        double wins = 0;
        for (double a : out) {
            for (double b : in) {
                wins += a > b ? 1 : a == b ? 0.5 : 0;
            }
        }
        assertEquals(wins / (in.length * out.length), OodMetrics.auroc(in, out), 1e-12);
    }

    @Test
    void auprcAndFprAtTpr() {
        // OOD 9, 8, 3 against in-distribution 5, 1: ranked 9 8 5 3 1 -> precisions 1, 1, 3/4.
        double[] in = {5, 1};
        double[] out = {9, 8, 3};
        assertEquals((1 + 1 + 0.75) / 3, OodMetrics.auprc(in, out), 1e-12);
        assertEquals(1.0, OodMetrics.auprc(new double[] {0}, new double[] {1, 2}), 0.0);
        // 95% of 3 OOD images = all 3: threshold 3 flags 5 (not 1): FPR 1/2; at 2/3 TPR, threshold 8: 0.
        assertEquals(0.5, OodMetrics.fprAtTpr(in, out, 0.95), 0.0);
        assertEquals(0.0, OodMetrics.fprAtTpr(in, out, 2.0 / 3), 0.0);
        OodMetrics.Summary s = OodMetrics.summarize(in, out);
        assertEquals(OodMetrics.auroc(in, out), s.auroc(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> OodMetrics.auroc(new double[0], out));
        assertThrows(IllegalArgumentException.class, () -> OodMetrics.auroc(in, new double[] {Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> OodMetrics.fprAtTpr(in, out, 0));
    }

    @Test
    void noiseIsMoreComplexThanAConstantImage() {
        byte[] data = new byte[2 * 28 * 28];
        Random r = new Random(1);
        for (int i = 28 * 28; i < data.length; i++) {
            data[i] = (byte) r.nextInt(2);
        }
        double[] bits = InputComplexity.pngBits(Images.of(data, 2, 1, 28, 28), 2);
        assertTrue(bits[0] > 0 && bits[0] < bits[1], "constant " + bits[0] + " bits, noise " + bits[1]);
    }
}
