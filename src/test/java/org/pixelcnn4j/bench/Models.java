package org.pixelcnn4j.bench;

import java.io.IOException;
import java.util.SplittableRandom;

import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.io.Safetensors;
import org.pixelcnn4j.oracle.TorchConfig;
import org.pixelcnn4j.oracle.TorchPixelCnn;

/** The reference models of BENCHMARKS.md, their data, and the LibTorch twin of an engine model. */
final class Models {

    static final String FM_BINARY = "fm-binary";
    static final String FM_256 = "fm-256";
    static final String RGB_32 = "rgb-32";
    static final String FM_GATED = "fm-gated";

    private static Images fashion;

    private Models() {
    }

    /** The engine configuration of a reference model. */
    static PixelCnnConfig config(String name) {
        return switch (name) {
            case FM_BINARY -> PixelCnnConfig.builder().setImageShape(1, 28, 28).optBernoulli()
                    .optHiddenChannels(128).optResidualChannels(64).optHeadChannels(128).optBlocks(6)
                    .optInputKernel(7).optBlockKernel(3).build();
            case FM_256 -> PixelCnnConfig.builder().setImageShape(1, 28, 28).optCategorical(256)
                    .optHiddenChannels(128).optResidualChannels(64).optHeadChannels(128).optBlocks(6)
                    .optInputKernel(7).optBlockKernel(3).build();
            case RGB_32 -> PixelCnnConfig.builder().setImageShape(3, 32, 32).optCategorical(256)
                    .optHiddenChannels(120).optResidualChannels(60).optHeadChannels(120).optBlocks(6)
                    .optInputKernel(7).optBlockKernel(3).build();
            case FM_GATED -> PixelCnnConfig.builder().optArchitecture(PixelCnnConfig.Architecture.GATED)
                    .setImageShape(1, 28, 28).optCategorical(256).optHiddenChannels(64).optHeadChannels(64)
                    .optBlocks(8).optInputKernel(7).optBlockKernel(3).optSkipConnections(true).build();
            default -> throw new IllegalArgumentException("unknown model " + name);
        };
    }

    /** fm-binary's architecture at another image size or width (residual = hidden / 2, head = hidden). */
    static PixelCnnConfig binaryVariant(int size, int hidden) {
        return PixelCnnConfig.builder().setImageShape(1, size, size).optBernoulli()
                .optHiddenChannels(hidden).optResidualChannels(hidden / 2).optHeadChannels(hidden)
                .optBlocks(6).optInputKernel(7).optBlockKernel(3).build();
    }

    /** The LibTorch architecture of an engine configuration. */
    static TorchConfig torchConfig(PixelCnnConfig c) {
        return new TorchConfig(c.channels(), c.height(), c.width(),
                c.head() == PixelCnnConfig.Head.BERNOULLI, c.levels(), c.hiddenChannels(),
                c.residualChannels(), c.headChannels(), c.blocks(), c.inputKernel(), c.blockKernel(),
                c.architecture() == PixelCnnConfig.Architecture.GATED, c.classes(), c.skipConnections());
    }

    /** A LibTorch model holding the engine model's current weights (state_dict names and layout). */
    static TorchPixelCnn torchTwin(PixelCnn engine, int threads) {
        TorchPixelCnn torch = new TorchPixelCnn(torchConfig(engine.config()), threads);
        for (Safetensors.Tensor t : engine.stateDict()) {
            torch.setTensor(t.name(), t.data());
        }
        return torch;
    }

    /**
     * {@code count} images for a configuration: Fashion-MNIST (binarized at 127 for a Bernoulli
     * head, raw 256 levels otherwise) when the shape is 1x28x28, otherwise uniformly random
     * values (no colour or other-size data set is installed; the timing does not depend on them).
     */
    static synchronized Images data(PixelCnnConfig c, int count) throws IOException {
        boolean bernoulli = c.head() == PixelCnnConfig.Head.BERNOULLI;
        if (c.channels() == 1 && c.height() == 28 && c.width() == 28 && c.levels() == (bernoulli ? 2 : 256)) {
            if (fashion == null || fashion.count() < count) {
                fashion = FashionMnist.train(Math.max(count, 2048));
            }
            Images raw = fashion.slice(0, count);
            return bernoulli ? raw.binarize(127) : raw;
        }
        int d = c.channels() * c.height() * c.width();
        byte[] b = new byte[count * d];
        SplittableRandom rnd = new SplittableRandom(12345L + d);
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) rnd.nextInt(c.levels());
        }
        return Images.of(b, count, c.channels(), c.height(), c.width());
    }

    /** Whether {@link #data} gives Fashion-MNIST for this configuration. */
    static boolean isFashion(PixelCnnConfig c) {
        return c.channels() == 1 && c.height() == 28 && c.width() == 28;
    }
}
