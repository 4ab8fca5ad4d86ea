package org.pixelcnn4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import org.pixelcnn4j.*;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.Png;

public class TrainScoreSample {
    public static void main(String[] args) throws IOException {
        Images train = FashionMnist.train(20_000).binarize(127);   // 1 x 28 x 28, values 0/1
        Images test = FashionMnist.test(2_000).binarize(127);

        PixelCnnConfig config = PixelCnnConfig.builder()
                .setImageShape(1, 28, 28)
                .optBernoulli()               // or .optCategorical(256) for 8-bit images
                .optHiddenChannels(64)        // residual width 32 and head width 64 follow
                .optBlocks(4)
                .build();

        try (PixelCnn model = PixelCnn.create(config, Device.cpu(2))) {
            model.train(train, TrainingConfig.builder().setSteps(600).optBatchSize(32).build(),
                    p -> System.out.printf("step %d: %.1f nats, %.3f bits/dim, %.0f images/s%n",
                            p.step(), p.lossNats(), p.bitsPerDim(), p.imagesPerSecond()));

            Likelihood nll = model.logLikelihood(test);        // per image, nats and bits/dim
            System.out.println(nll.meanNats() + " nats/image; image 0: " + nll.nats(0));

            Images samples = model.sample(16, /* seed */ 42, /* temperature */ 1.0);
            Png.writeGrid(samples, Path.of("samples.png"), 4, 2, 4);   // 4 columns, 2 levels, 4x scale

            model.save(Path.of("model.safetensors"));          // atomic; weights + config + Adam state
        }
        try (PixelCnn again = PixelCnn.load(Path.of("model.safetensors"))) {
            // train(...) continues exactly where the saved model stopped
            System.out.println("loaded at step " + again.step());
        }
    }
}
