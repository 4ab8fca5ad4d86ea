package org.pixelcnn4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import org.pixelcnn4j.*;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.Png;

public class SampleAndComplete {
    public static void main(String[] args) throws IOException {
        Images test = FashionMnist.test(16).binarize(127);
        Cancellation cancel = new Cancellation();      // cancel.cancel() from any thread stops it

        try (PixelCnn model = PixelCnn.load(Path.of("model.safetensors"))) {
            SamplingConfig sampling = SamplingConfig.builder()
                    .optSeed(42)                 // same seed, same images: any batch size, thread count, algorithm
                    .optTemperature(1.0)         // < 1 sharpens, > 1 flattens (both heads)
                    .optBatchSize(64)            // images computed together
                    .optListener(p -> {          // called after every row of every batch: print at the end
                        if (p.rowsDone() == p.totalRows()) System.out.println(p.imagesDone() + " images");
                    })
                    .optCancellation(cancel)     // or interrupt the sampling thread
                    .build();
            Images samples = model.sample(64, sampling);
            Png.writeGrid(samples, Path.of("samples.png"), 8, 2, 4);

            // Image completion: keep the known pixels, sample the rest in raster order given
            // everything before them. Here the top 14 rows are known and the bottom half is drawn.
            Images known = Images.rowMask(test.count(), 1, 28, 28, 14);
            Images completed = model.complete(test, known, sampling);
            Png.writeGrid(completed, Path.of("completed.png"), 4, 2, 4);
        }
    }
}
