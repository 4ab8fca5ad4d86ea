package org.pixelcnn4j.cli;

import java.util.Locale;
import org.pixelcnn4j.PixelCnnConfig;
import picocli.CommandLine.Option;

/** The architecture of a new model ({@code train}); the image shape comes from the data. */
final class ArchitectureOptions {

    /** Output distribution of a new model. */
    enum Head {
        /** Binary pixels (binarized images). */
        bernoulli,
        /** {@code --levels} values per channel (quantized images). */
        categorical
    }

    /** The network of a new model. */
    enum Arch {
        /** The plain PixelCNN (residual blocks). */
        plain,
        /** Gated PixelCNN (vertical and horizontal stacks, no blind spot; class-conditional with --classes). */
        gated
    }

    @Option(names = "--arch", paramLabel = "ARCH", order = 9,
            description = "plain (PixelCNN, residual blocks) or gated (Gated PixelCNN, no blind spot, "
                    + "class-conditional with --classes). Default: ${DEFAULT-VALUE}.")
    Arch arch = Arch.plain;

    @Option(names = "--classes", paramLabel = "N", order = 19,
            description = "Gated: condition on N classes (the data's labels, 0..N-1: 10 for Fashion-MNIST); "
                    + "0 is unconditional. Default: ${DEFAULT-VALUE}.")
    int classes;

    @Option(names = "--no-skip", order = 20,
            description = "Gated: the head reads the last layer only, not every layer's skip connection.")
    boolean noSkip;

    @Option(names = "--head", paramLabel = "HEAD", order = 10,
            description = "bernoulli (binarized images) or categorical (--levels values). Default: ${DEFAULT-VALUE}.")
    Head head = Head.bernoulli;

    @Option(names = "--levels", paramLabel = "L", order = 11,
            description = "Categorical head: values per channel, 2..256. Default: ${DEFAULT-VALUE}.")
    int levels = 256;

    @Option(names = "--channels", paramLabel = "C", order = 12,
            description = "1 (gray) or 3 (colour). Default: 3 if any image has colour, else 1.")
    Integer channels;

    @Option(names = "--hidden", paramLabel = "N", order = 13,
            description = "Width of the residual stream (gated: of each stack). Default: 128, or 120 for colour;"
                    + " gated 64, or 60 for colour.")
    Integer hidden;

    @Option(names = "--residual", paramLabel = "N", order = 14,
            description = "Width inside each residual block. Default: half of --hidden"
                    + " (rounded down to a multiple of the channels).")
    Integer residual;

    @Option(names = "--head-channels", paramLabel = "N", order = 15,
            description = "Width of the head's hidden layer. Default: --hidden.")
    Integer headChannels;

    @Option(names = "--blocks", paramLabel = "N", order = 16,
            description = "Residual blocks (gated: gated layers). Default: 6 (gated: 8).")
    Integer blocks;

    @Option(names = "--input-kernel", paramLabel = "K", order = 17,
            description = "Odd kernel size of the type A input convolution. Default: ${DEFAULT-VALUE}.")
    int inputKernel = 7;

    @Option(names = "--block-kernel", paramLabel = "K", order = 18,
            description = "Odd kernel size of the blocks' type B convolutions. Default: ${DEFAULT-VALUE}.")
    int blockKernel = 3;

    /**
     * The configuration of a new model of these options.
     *
     * @throws CliException (usage) naming the invalid setting
     */
    PixelCnnConfig toConfig(int imageChannels, int height, int width, long seed) {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder()
                .optArchitecture(arch == Arch.gated ? PixelCnnConfig.Architecture.GATED
                        : PixelCnnConfig.Architecture.PIXELCNN)
                .optClasses(classes)
                .optSkipConnections(!noSkip)
                .setImageShape(channels != null ? channels : imageChannels, height, width)
                .optInputKernel(inputKernel)
                .optBlockKernel(blockKernel)
                .optSeed(seed);
        // Widths and depth left out derive from the others (PixelCnnConfig.builder()).
        if (blocks != null) {
            b.optBlocks(blocks);
        }
        if (hidden != null) {
            b.optHiddenChannels(hidden);
        }
        if (residual != null) {
            b.optResidualChannels(residual);
        }
        if (headChannels != null) {
            b.optHeadChannels(headChannels);
        }
        if (head == Head.categorical) {
            b.optCategorical(levels);
        } else {
            b.optBernoulli();
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw CliException.usage("model: " + e.getMessage());
        }
    }

    /** Each option and the value a checkpoint's configuration has for it, for --resume. */
    Object[][] againstCheckpoint(PixelCnnConfig config) {
        boolean gated = config.architecture() == PixelCnnConfig.Architecture.GATED;
        return new Object[][] {
            {"--arch", gated ? "gated" : "plain", arch.name()},
            {"--classes", config.classes(), classes},
            {"--no-skip", gated && !config.skipConnections(), noSkip},
            {"--head", config.head().name().toLowerCase(Locale.ROOT), head.name()},
            {"--levels", config.levels(), levels},
            {"--channels", config.channels(), channels},
            {"--hidden", config.hiddenChannels(), hidden},
            {"--residual", config.residualChannels(), residual},
            {"--head-channels", config.headChannels(), headChannels},
            {"--blocks", config.blocks(), blocks},
            {"--input-kernel", config.inputKernel(), inputKernel},
            {"--block-kernel", config.blockKernel(), blockKernel},
        };
    }
}
