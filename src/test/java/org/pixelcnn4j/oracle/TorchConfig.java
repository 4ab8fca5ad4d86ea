package org.pixelcnn4j.oracle;

/**
 * Architecture of the PixelCNN that {@link TorchPixelCnn} builds in LibTorch.
 *
 * @param channels     image channels C (1 or 3)
 * @param height       image height H
 * @param width        image width W
 * @param bernoulli    true: one Bernoulli logit per image channel (levels must be 2);
 *                     false: L categorical logits per image channel
 * @param levels       pixel levels L (2 for Bernoulli, 2..256 for categorical)
 * @param hidden       width of the residual stream (divisible by C)
 * @param residual     width inside a residual block (divisible by C)
 * @param head         width of the output head (divisible by C)
 * @param blocks       number of residual blocks (>= 0)
 * @param inputKernel  kernel of the type-A input convolution (odd)
 * @param blockKernel  kernel of the middle convolution of each block (odd)
 */
public record TorchConfig(int channels, int height, int width, boolean bernoulli, int levels,
                          int hidden, int residual, int head, int blocks,
                          int inputKernel, int blockKernel, boolean gated, int classes, boolean skip) {

    /** The plain PixelCNN. */
    public TorchConfig(int channels, int height, int width, boolean bernoulli, int levels, int hidden, int residual,
                       int head, int blocks, int inputKernel, int blockKernel) {
        this(channels, height, width, bernoulli, levels, hidden, residual, head, blocks, inputKernel, blockKernel,
                false, 0, false);
    }

    public TorchConfig {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3: " + channels);
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("bad image size " + height + "x" + width);
        }
        if (bernoulli ? levels != 2 : (levels < 2 || levels > 256)) {
            throw new IllegalArgumentException("bad levels " + levels + " (bernoulli=" + bernoulli + ")");
        }
        for (int w : new int[] {hidden, residual, head}) {
            if (w < 1 || w % channels != 0) {
                throw new IllegalArgumentException("widths must be positive multiples of C: " + w);
            }
        }
        if (blocks < (gated ? 1 : 0) || classes < 0 || (!gated && classes != 0)) {
            throw new IllegalArgumentException("bad blocks " + blocks + " or classes " + classes);
        }
        if (inputKernel < 1 || inputKernel % 2 == 0 || blockKernel < 1 || blockKernel % 2 == 0) {
            throw new IllegalArgumentException("kernels must be odd and positive");
        }
    }

    /** A Bernoulli model (levels 2). */
    public static TorchConfig bernoulli(int channels, int height, int width, int hidden, int residual,
                                        int head, int blocks, int inputKernel, int blockKernel) {
        return new TorchConfig(channels, height, width, true, 2, hidden, residual, head, blocks,
                inputKernel, blockKernel);
    }

    /** A categorical model with {@code levels} logits per image channel. */
    public static TorchConfig categorical(int channels, int height, int width, int levels, int hidden,
                                          int residual, int head, int blocks, int inputKernel,
                                          int blockKernel) {
        return new TorchConfig(channels, height, width, false, levels, hidden, residual, head, blocks,
                inputKernel, blockKernel);
    }

    /** Output channels of the last convolution: C (Bernoulli) or C*L (categorical). */
    public int outChannels() {
        return bernoulli ? channels : channels * levels;
    }

    /** Dimensions per image: C*H*W. */
    public int dimsPerImage() {
        return channels * height * width;
    }
}
