package org.pixelcnn4j.bench;

import java.util.SplittableRandom;

import org.pixelcnn4j.oracle.TorchConfig;
import org.pixelcnn4j.oracle.TorchPixelCnn;

/**
 * Naive ancestral sampling with the LibTorch model, as a Java developer would write it without
 * pixelcnn4j: for every pixel and channel in raster order, one full forward pass without
 * autograd over the whole batch, then a draw from that position's logits.
 */
final class TorchNaiveSampler {

    private TorchNaiveSampler() {
    }

    /**
     * Samples rows {@code fromRow} (inclusive) to {@code toRow} (exclusive) of {@code n} images in
     * place; earlier rows are taken as given.
     *
     * @param images N x C x H x W values, overwritten at the sampled rows
     */
    static void sampleRows(TorchPixelCnn model, byte[] images, int n, int fromRow, int toRow, long seed) {
        TorchConfig c = model.config();
        int channels = c.channels();
        int h = c.height();
        int w = c.width();
        int k = c.outChannels();
        int levels = c.levels();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] p = new double[levels];
        for (int y = fromRow; y < toRow; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < channels; ch++) {
                    float[] logits = model.logitsAt(images, n, y, x); // N x K
                    for (int i = 0; i < n; i++) {
                        int value;
                        if (c.bernoulli()) {
                            double one = 1.0 / (1.0 + Math.exp(-logits[i * k + ch]));
                            value = rnd.nextDouble() < one ? 1 : 0;
                        } else {
                            int base = i * k + ch * levels;
                            double max = Double.NEGATIVE_INFINITY;
                            for (int l = 0; l < levels; l++) {
                                max = Math.max(max, logits[base + l]);
                            }
                            double sum = 0;
                            for (int l = 0; l < levels; l++) {
                                p[l] = Math.exp(logits[base + l] - max);
                                sum += p[l];
                            }
                            double u = rnd.nextDouble() * sum;
                            value = levels - 1;
                            for (int l = 0; l < levels; l++) {
                                u -= p[l];
                                if (u < 0) {
                                    value = l;
                                    break;
                                }
                            }
                        }
                        images[((i * channels + ch) * h + y) * w + x] = (byte) value;
                    }
                }
            }
        }
    }
}
