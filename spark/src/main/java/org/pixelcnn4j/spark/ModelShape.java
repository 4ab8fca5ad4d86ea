package org.pixelcnn4j.spark;

import java.io.Serializable;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.data.ImageFormat;

/**
 * What tasks need to know of a model without opening it (PixelCnnConfig is not serializable):
 * the image shape, the values a pixel takes and the classes.
 */
record ModelShape(int channels, int height, int width, int levels, boolean bernoulli, int classes)
        implements Serializable {

    static ModelShape of(PixelCnnConfig config) {
        return new ModelShape(config.channels(), config.height(), config.width(), config.levels(),
                config.head() == PixelCnnConfig.Head.BERNOULLI, config.classes());
    }

    int dimensions() {
        return channels * height * width;
    }

    /** How 8-bit intensities become this model's values: binarized above {@code threshold}, or quantized. */
    ImageFormat format(int threshold) {
        return bernoulli ? ImageFormat.binarized(channels, threshold) : ImageFormat.quantized(channels, levels);
    }

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width + ", " + (bernoulli ? "binary" : levels + " levels")
                + (classes > 0 ? ", " + classes + " classes" : "");
    }
}
