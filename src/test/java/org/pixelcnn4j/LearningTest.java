package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.engine.AdamConfig;
import org.pixelcnn4j.engine.Model;
import org.pixelcnn4j.oracle.TorchPixelCnn;

/**
 * Learning on real data (Fashion-MNIST, installed by .ci/run): the test NLL falls far below the
 * untrained model's, and the engine's loss curve follows LibTorch's from the same weights and
 * batches.
 */
@Tag("slow")
class LearningTest {

    static PixelCnnConfig smallBinary() {
        return PixelCnnConfig.builder().setImageShape(1, 28, 28).optHiddenChannels(32)
                .optResidualChannels(16).optHeadChannels(32).optBlocks(2).optSeed(5).build();
    }

    @Test
    void testNllFallsWellBelowTheUntrainedValue() throws IOException {
        Images train = FashionMnist.train(2000).binarize(127);
        Images test = FashionMnist.test(500).binarize(127);
        try (PixelCnn model = PixelCnn.create(smallBinary(), Device.cpu(2))) {
            double untrained = model.logLikelihood(test).meanNats();
            List<Double> losses = new ArrayList<>();
            model.train(train, TrainingConfig.builder().setSteps(300).optBatchSize(32).build(),
                    p -> losses.add(p.lossNats()));
            Likelihood trained = model.logLikelihood(test);
            System.out.printf(Locale.ROOT,
                    "LearningTest: test NLL untrained %.1f nats, after 300 steps %.1f nats (%.4f bits/dim); "
                            + "first loss %.1f, last %.1f%n",
                    untrained, trained.meanNats(), trained.meanBitsPerDim(), losses.get(0),
                    losses.get(losses.size() - 1));
            // Untrained is about 540 nats (~ln 2 per pixel); a model that learns nothing but the
            // mean intensity per pixel gets about 250; 300 steps of PixelCNN reach about 140.
            assertTrue(trained.meanNats() < 0.4 * untrained,
                    "test NLL " + trained.meanNats() + " is not well below the untrained " + untrained);
            assertTrue(trained.meanNats() < 200, "test NLL " + trained.meanNats() + " nats after 300 steps");
        }
    }

    /**
     * 20 training steps from identical weights on identical batches. The two sides differ only in
     * float32 summation order; Adam amplifies such differences for gradients near zero, so the
     * curves drift apart slowly. Measured: below 1e-5 relative per step; the bound is 1e-3.
     */
    @Test
    void lossCurveFollowsLibTorch() throws IOException {
        PixelCnnConfig c = smallBinary();
        Images train = FashionMnist.train(640).binarize(127);
        int batch = 32;
        double worst = 0;
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2));
                TorchPixelCnn torch = new TorchPixelCnn(OracleTest.torchConfig(c), 2);
                AdamConfig adam = new AdamConfig().learning_rate(1e-3)) {
            Model engine = model.engineModel();
            OracleTest.copyWeights(engine, torch);
            StringBuilder curve = new StringBuilder();
            for (int step = 0; step < 20; step++) {
                byte[] images = train.slice(step * batch, (step + 1) * batch).toArray();
                float le = engine.train_step(images, batch, adam);
                float lt = torch.trainStep(images, batch, 1e-3f);
                double rel = Math.abs(le - lt) / Math.abs(lt);
                worst = Math.max(worst, rel);
                curve.append(String.format(Locale.ROOT, " %.2f/%.2f", le, lt));
                assertTrue(rel < 1e-3, "step " + (step + 1) + ": engine loss " + le + ", LibTorch " + lt);
            }
            System.out.printf(Locale.ROOT, "LearningTest: 20-step loss curve engine/LibTorch:%s; worst relative difference %.2e%n",
                    curve, worst);
        }
    }
}
