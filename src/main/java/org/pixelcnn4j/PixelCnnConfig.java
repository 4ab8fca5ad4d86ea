package org.pixelcnn4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.pixelcnn4j.engine.Config;
import org.pixelcnn4j.engine.global.pixelcnn;

/**
 * The architecture and image shape of a PixelCNN: immutable, built with {@link #builder()}.
 *
 * <p>{@link Architecture#PIXELCNN} is the plain PixelCNN of van den Oord et al. (2016): a type A
 * masked convolution, {@code blocks} residual blocks (ReLU, 1x1, ReLU, k x k type B, ReLU, 1x1,
 * add) and a head of two 1x1 convolutions. {@link Architecture#GATED} is Gated PixelCNN (van den
 * Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders"): {@code blocks} gated
 * layers of a vertical and a horizontal stack ({@code hiddenChannels} each), which has no blind
 * spot, skip connections into the same head, and optionally {@code classes} class labels it is
 * conditioned on (a learnt bias per class in every layer: p(x | label)). A Bernoulli head models binary images (pixel values 0 or 1); a categorical head
 * models {@code levels} values per channel with a softmax. Colour images (3 channels) use the
 * channel-group masks of PixelRNN (R before G before B), so every channel width must be divisible
 * by 3.
 *
 * <pre>{@code
 * PixelCnnConfig config = PixelCnnConfig.builder()
 *         .setImageShape(1, 28, 28)
 *         .optCategorical(256)
 *         .optHiddenChannels(64)
 *         .optBlocks(4)
 *         .build();
 * }</pre>
 */
public final class PixelCnnConfig {

    /** The output distribution of a model. */
    public enum Head {
        /** One logit per pixel and channel, binary cross-entropy; pixel values 0 or 1. */
        BERNOULLI,
        /** A softmax over {@code levels} values per pixel and channel. */
        CATEGORICAL
    }

    /** The network. */
    public enum Architecture {
        /** The plain PixelCNN (residual blocks of masked convolutions). */
        PIXELCNN,
        /** Gated PixelCNN: vertical and horizontal stacks of gated units, optionally class-conditional. */
        GATED
    }

    private final Architecture architecture;
    private final int classes;
    private final boolean skipConnections;
    private final int channels;
    private final int height;
    private final int width;
    private final Head head;
    private final int levels;
    private final int hiddenChannels;
    private final int residualChannels;
    private final int headChannels;
    private final int blocks;
    private final int inputKernel;
    private final int blockKernel;
    private final long seed;

    private PixelCnnConfig(Builder b) {
        this.architecture = b.architecture;
        this.classes = b.classes;
        this.skipConnections = b.skipConnections;
        this.channels = b.channels;
        this.height = b.height;
        this.width = b.width;
        this.head = b.head;
        this.levels = b.levels;
        // Widths not set derive from the image channels and the hidden width, so that one
        // setting gives a coherent model and the defaults suit grayscale and colour alike.
        boolean gated = architecture == Architecture.GATED;
        this.hiddenChannels = b.hiddenChannels != null ? b.hiddenChannels
                : gated ? (channels == 3 ? DEFAULT_GATED_COLOUR_CHANNELS : DEFAULT_GATED_CHANNELS)
                : (channels == 3 ? DEFAULT_COLOUR_HIDDEN_CHANNELS : DEFAULT_HIDDEN_CHANNELS);
        this.residualChannels = b.residualChannels != null ? b.residualChannels
                : derivedResidualChannels(hiddenChannels, channels);
        this.headChannels = b.headChannels != null ? b.headChannels : hiddenChannels;
        this.blocks = b.blocks != null ? b.blocks : gated ? DEFAULT_GATED_LAYERS : DEFAULT_BLOCKS;
        this.inputKernel = b.inputKernel;
        this.blockKernel = b.blockKernel;
        this.seed = b.seed;
    }

    /** Hidden width of a grayscale model unless set: that of {@code fm-binary} and {@code fm-256}. */
    public static final int DEFAULT_HIDDEN_CHANNELS = 128;
    /** Hidden width of a colour model unless set: that of {@code rgb-32} (a multiple of 3). */
    public static final int DEFAULT_COLOUR_HIDDEN_CHANNELS = 120;
    /** Residual blocks of a plain model unless set. */
    public static final int DEFAULT_BLOCKS = 6;
    /** Channels of each stack of a gated grayscale model unless set: that of {@code fm-gated}. */
    public static final int DEFAULT_GATED_CHANNELS = 64;
    /** Channels of each stack of a gated colour model unless set (a multiple of 3). */
    public static final int DEFAULT_GATED_COLOUR_CHANNELS = 60;
    /** Gated layers unless set: those of {@code fm-gated}. */
    public static final int DEFAULT_GATED_LAYERS = 8;

    /**
     * The residual width a model gets unless it is set: half the hidden width, rounded down to a
     * multiple of the image channels (one group per colour), at least one group.
     */
    static int derivedResidualChannels(int hiddenChannels, int channels) {
        return Math.max(channels, hiddenChannels / 2 / channels * channels);
    }

    /**
     * Returns a builder with the defaults of the {@code fm-binary} reference model (28x28
     * grayscale, Bernoulli, 128 hidden channels, 6 residual blocks, 7x7 then 3x3 kernels).
     * Widths that are not set derive from the others: the hidden width is 128 for grayscale and
     * 120 for colour (the {@code rgb-32} model), the residual width half the hidden one (rounded
     * down to a multiple of the channels), the head width equal to the hidden one. So
     * {@code optHiddenChannels(64)} alone gives 64/32/64, and {@code setImageShape(3, 32, 32)}
     * alone a valid colour model.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The {@code fm-binary} reference model of BENCHMARKS.md: binarized 28x28 Fashion-MNIST.
     *
     * @return the configuration
     */
    public static PixelCnnConfig fmBinary() {
        return builder().build();
    }

    /**
     * The {@code fm-256} reference model: 28x28 grayscale with 256 levels.
     *
     * @return the configuration
     */
    public static PixelCnnConfig fm256() {
        return builder().optCategorical(256).build();
    }

    /**
     * The {@code rgb-32} reference model: 32x32 colour with 256 levels per channel, 120/60/120
     * channels (the colour defaults).
     *
     * @return the configuration
     */
    public static PixelCnnConfig rgb32() {
        return builder().setImageShape(3, 32, 32).optCategorical(256).build();
    }

    /**
     * The {@code fm-gated} reference model: Gated PixelCNN on 28x28 grayscale with 256 levels, 8
     * layers of 64 channels (7-wide kernels in the first, 3-wide after it), skip connections,
     * unconditional ({@code toBuilder().optClasses(10)} conditions it on Fashion-MNIST's classes).
     *
     * @return the configuration
     */
    public static PixelCnnConfig fmGated() {
        return builder().optArchitecture(Architecture.GATED).optCategorical(256).build();
    }

    /** @return the network */
    public Architecture architecture() {
        return architecture;
    }

    /** @return class labels a gated model is conditioned on; 0 for an unconditional model */
    public int classes() {
        return classes;
    }

    /** @return whether a gated model's head sums the skip connections of every layer */
    public boolean skipConnections() {
        return skipConnections;
    }

    /** @return image channels C (1 or 3) */
    public int channels() {
        return channels;
    }

    /** @return image height H */
    public int height() {
        return height;
    }

    /** @return image width W */
    public int width() {
        return width;
    }

    /** @return the output head */
    public Head head() {
        return head;
    }

    /** @return values per channel: 2 for a Bernoulli head */
    public int levels() {
        return levels;
    }

    /** @return width of the residual stream (gated: of each stack) */
    public int hiddenChannels() {
        return hiddenChannels;
    }

    /** @return width inside each residual block (not used by a gated model) */
    public int residualChannels() {
        return residualChannels;
    }

    /** @return width of the head's hidden layer */
    public int headChannels() {
        return headChannels;
    }

    /** @return number of residual blocks (gated: of gated layers) */
    public int blocks() {
        return blocks;
    }

    /** @return kernel size of the type A input convolution */
    public int inputKernel() {
        return inputKernel;
    }

    /** @return kernel size of the type B convolution in each block */
    public int blockKernel() {
        return blockKernel;
    }

    /** @return the weight initialisation seed */
    public long seed() {
        return seed;
    }

    /** @return values per image, C * H * W (the "dimensions" of bits/dim) */
    public int dimensions() {
        return channels * height * width;
    }

    /**
     * Returns the configuration as string key-value pairs (the checkpoint metadata).
     *
     * @return an ordered map of {@code model.*} keys
     */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        boolean gated = architecture == Architecture.GATED;
        m.put("model.architecture", gated ? "gated" : "pixelcnn");
        m.put("model.channels", Integer.toString(channels));
        m.put("model.height", Integer.toString(height));
        m.put("model.width", Integer.toString(width));
        m.put("model.head", head.name().toLowerCase(java.util.Locale.ROOT));
        m.put("model.levels", Integer.toString(levels));
        m.put("model.hidden_channels", Integer.toString(hiddenChannels));
        if (!gated) {
            m.put("model.residual_channels", Integer.toString(residualChannels));
        }
        m.put("model.head_channels", Integer.toString(headChannels));
        m.put("model.blocks", Integer.toString(blocks));
        m.put("model.input_kernel", Integer.toString(inputKernel));
        m.put("model.block_kernel", Integer.toString(blockKernel));
        if (gated) {
            m.put("model.classes", Integer.toString(classes));
            m.put("model.skip_connections", Boolean.toString(skipConnections));
        }
        m.put("model.seed", Long.toString(seed));
        return m;
    }

    /**
     * Rebuilds a configuration from {@link #toMetadata()} pairs.
     *
     * @param metadata the pairs
     * @return the configuration
     * @throws IllegalArgumentException if a key is missing or a value is malformed or invalid
     */
    public static PixelCnnConfig fromMetadata(Map<String, String> metadata) {
        String arch = require(metadata, "model.architecture");
        if (!arch.equals("pixelcnn") && !arch.equals("gated")) {
            throw new IllegalArgumentException(
                    "model.architecture: expected \"pixelcnn\" or \"gated\", got \"" + arch + "\"");
        }
        boolean gated = arch.equals("gated");
        Builder b = builder()
                .optArchitecture(gated ? Architecture.GATED : Architecture.PIXELCNN)
                .setImageShape(intValue(metadata, "model.channels"), intValue(metadata, "model.height"),
                        intValue(metadata, "model.width"))
                .optHiddenChannels(intValue(metadata, "model.hidden_channels"));
        if (gated) {
            b.optClasses(intValue(metadata, "model.classes"));
            String skip = require(metadata, "model.skip_connections");
            if (!skip.equals("true") && !skip.equals("false")) {
                throw new IllegalArgumentException(
                        "model.skip_connections: expected \"true\" or \"false\", got \"" + skip + "\"");
            }
            b.optSkipConnections(skip.equals("true"));
        } else {
            b.optResidualChannels(intValue(metadata, "model.residual_channels"));
        }
        b.optHeadChannels(intValue(metadata, "model.head_channels"))
                .optBlocks(intValue(metadata, "model.blocks"))
                .optInputKernel(intValue(metadata, "model.input_kernel"))
                .optBlockKernel(intValue(metadata, "model.block_kernel"));
        String head = require(metadata, "model.head");
        switch (head) {
            case "bernoulli" -> b.optBernoulli();
            case "categorical" -> b.optCategorical(intValue(metadata, "model.levels"));
            default -> throw new IllegalArgumentException(
                    "model.head: expected \"bernoulli\" or \"categorical\", got \"" + head + "\"");
        }
        try {
            b.optSeed(Long.parseLong(require(metadata, "model.seed")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model.seed: expected an integer, got \""
                    + metadata.get("model.seed") + "\"");
        }
        return b.build();
    }

    private static String require(Map<String, String> metadata, String key) {
        String v = metadata.get(key);
        if (v == null) {
            throw new IllegalArgumentException(key + ": missing from the model metadata");
        }
        return v;
    }

    private static int intValue(Map<String, String> metadata, String key) {
        String v = require(metadata, key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected an integer, got \"" + v + "\"");
        }
    }

    /**
     * The engine's configuration struct for this configuration on {@code threads} threads; the
     * caller closes it.
     */
    Config toNative(Device device) {
        return toNative(device.threads()).cuda_device(device.cudaIndex());
    }

    Config toNative(int threads) {
        return new Config()
                .arch(architecture == Architecture.GATED ? pixelcnn.ARCH_GATED : pixelcnn.ARCH_PIXELCNN)
                .classes(classes)
                .skip(skipConnections ? 1 : 0)
                .channels(channels)
                .height(height)
                .width(width)
                .head(head == Head.BERNOULLI ? pixelcnn.HEAD_BERNOULLI : pixelcnn.HEAD_CATEGORICAL)
                .levels(levels)
                .hidden_channels(hiddenChannels)
                .residual_channels(residualChannels)
                .head_channels(headChannels)
                .blocks(blocks)
                .input_kernel(inputKernel)
                .block_kernel(blockKernel)
                .seed(seed)
                .threads(threads);
    }

    /**
     * The configuration rules live in the engine (pixelcnn::check_config), the one place that
     * defines them; its message names the engine's field, which becomes the builder's name here.
     */
    private void checkWithEngine() {
        NativeLoader.load();
        try (Config c = toNative(0)) {
            pixelcnn.check_config(c);
        } catch (RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            for (String[] names : JAVA_NAMES) {
                if (message.startsWith(names[0] + ":")) {
                    message = names[1] + message.substring(names[0].length());
                    break;
                }
            }
            throw new IllegalArgumentException(message, e);
        }
    }

    /** Engine field names and the builder settings they are in Java. */
    private static final String[][] JAVA_NAMES = {
        {"hidden_channels", "hiddenChannels"}, {"residual_channels", "residualChannels"},
        {"head_channels", "headChannels"}, {"input_kernel", "inputKernel"}, {"block_kernel", "blockKernel"},
        {"skip", "skipConnections"}, {"arch", "architecture"},
    };

    /**
     * Returns a builder initialised with this configuration, every width set as it is here (so a
     * new hidden width does not change the others).
     *
     * @return the builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.architecture = architecture;
        b.classes = classes;
        b.skipConnections = skipConnections;
        b.channels = channels;
        b.height = height;
        b.width = width;
        b.head = head;
        b.levels = levels;
        b.hiddenChannels = hiddenChannels;
        b.residualChannels = residualChannels;
        b.headChannels = headChannels;
        b.blocks = blocks;
        b.inputKernel = inputKernel;
        b.blockKernel = blockKernel;
        b.seed = seed;
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PixelCnnConfig other && toMetadata().equals(other.toMetadata());
    }

    @Override
    public int hashCode() {
        return Objects.hash(toMetadata());
    }

    @Override
    public String toString() {
        if (architecture == Architecture.GATED) {
            return String.format("PixelCnnConfig[gated, %dx%dx%d, %s, %d layers of %d, head %d, kernels %d/%d, %s, %s]",
                    channels, height, width,
                    head == Head.BERNOULLI ? "bernoulli" : "categorical(" + levels + ")",
                    blocks, hiddenChannels, headChannels, inputKernel, blockKernel,
                    skipConnections ? "skip connections" : "no skip connections",
                    classes == 0 ? "unconditional" : classes + " classes");
        }
        return String.format("PixelCnnConfig[%dx%dx%d, %s, hidden %d, residual %d, head %d, %d blocks, kernels %d/%d]",
                channels, height, width,
                head == Head.BERNOULLI ? "bernoulli" : "categorical(" + levels + ")",
                hiddenChannels, residualChannels, headChannels, blocks, inputKernel, blockKernel);
    }

    /**
     * Builder of {@link PixelCnnConfig}. Setters named {@code set*} are the essentials, {@code opt*}
     * have defaults (those of {@code fm-binary}).
     */
    public static final class Builder {
        private Architecture architecture = Architecture.PIXELCNN;
        private int classes = 0;
        private boolean skipConnections = true;
        private int channels = 1;
        private int height = 28;
        private int width = 28;
        private Head head = Head.BERNOULLI;
        private int levels = 2;
        // null: derived at build() (see PixelCnnConfig.builder()).
        private Integer hiddenChannels;
        private Integer residualChannels;
        private Integer headChannels;
        private Integer blocks;
        private int inputKernel = 7;
        private int blockKernel = 3;
        private long seed = 1;

        private Builder() {
        }

        /**
         * @param architecture the network (default {@link Architecture#PIXELCNN}); widths and
         *     depth not set take that network's defaults
         * @return this builder
         */
        public Builder optArchitecture(Architecture architecture) {
            this.architecture = Objects.requireNonNull(architecture, "architecture");
            return this;
        }

        /**
         * @param classes class labels a gated model is conditioned on (default 0: unconditional);
         *     such a model then takes one label in [0, classes) per image everywhere
         * @return this builder
         */
        public Builder optClasses(int classes) {
            this.classes = classes;
            return this;
        }

        /**
         * @param skipConnections whether a gated model's head sums every layer's skip connection
         *     (default true) or reads the last layer's output only
         * @return this builder
         */
        public Builder optSkipConnections(boolean skipConnections) {
            this.skipConnections = skipConnections;
            return this;
        }

        /**
         * Sets the image shape.
         *
         * @param channels 1 (grayscale) or 3 (colour)
         * @param height image height, positive
         * @param width image width, positive
         * @return this builder
         */
        public Builder setImageShape(int channels, int height, int width) {
            this.channels = channels;
            this.height = height;
            this.width = width;
            return this;
        }

        /**
         * Uses a Bernoulli head (binary images).
         *
         * @return this builder
         */
        public Builder optBernoulli() {
            this.head = Head.BERNOULLI;
            this.levels = 2;
            return this;
        }

        /**
         * Uses a categorical head over {@code levels} values per channel.
         *
         * @param levels values per channel, 2 to 256
         * @return this builder
         */
        public Builder optCategorical(int levels) {
            this.head = Head.CATEGORICAL;
            this.levels = levels;
            return this;
        }

        /**
         * @param hiddenChannels width of the residual stream (default 128, or 120 for colour);
         *     the residual and head widths derive from it unless they are set
         * @return this builder
         */
        public Builder optHiddenChannels(int hiddenChannels) {
            this.hiddenChannels = hiddenChannels;
            return this;
        }

        /**
         * @param residualChannels width inside each residual block (default: half the hidden
         *     width, rounded down to a multiple of the channels)
         * @return this builder
         */
        public Builder optResidualChannels(int residualChannels) {
            this.residualChannels = residualChannels;
            return this;
        }

        /**
         * @param headChannels width of the head's hidden layer (default: the hidden width)
         * @return this builder
         */
        public Builder optHeadChannels(int headChannels) {
            this.headChannels = headChannels;
            return this;
        }

        /**
         * @param blocks number of residual blocks, 0 or more (default 6); for a gated model the
         *     number of gated layers, 1 or more (default 8)
         * @return this builder
         */
        public Builder optBlocks(int blocks) {
            this.blocks = blocks;
            return this;
        }

        /**
         * @param inputKernel odd kernel size of the type A input convolution
         * @return this builder
         */
        public Builder optInputKernel(int inputKernel) {
            this.inputKernel = inputKernel;
            return this;
        }

        /**
         * @param blockKernel odd kernel size of each block's type B convolution
         * @return this builder
         */
        public Builder optBlockKernel(int blockKernel) {
            this.blockKernel = blockKernel;
            return this;
        }

        /**
         * @param seed weight initialisation seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Validates and builds the configuration. The rules are the engine's own
         * ({@code pixelcnn::check_config}), so this loads the native library.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the first invalid setting and what was expected
         * @throws PixelCnnException if the native engine cannot be loaded (its platform jar is missing)
         */
        public PixelCnnConfig build() {
            PixelCnnConfig config = new PixelCnnConfig(this);
            config.checkWithEngine();
            return config;
        }
    }
}
