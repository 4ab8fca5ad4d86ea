package org.pixelcnn4j.ood;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.LikelihoodMap;
import org.pixelcnn4j.data.Png;

/**
 * A likelihood ratio per sub-pixel ({@link LikelihoodRatio#map}): for every value,
 * {@code -log p(x_i | x_<i) + log p_background(x_i | x_<i)}, nats, in the layout of
 * {@link Images} (N x C x H x W). Positive where the model finds the value less likely than the
 * background model does (what does not fit the model's semantics), negative where more likely.
 * Both models' own maps come with it.
 */
public final class LikelihoodRatioMap {
    private final LikelihoodMap model;
    private final LikelihoodMap background;

    LikelihoodRatioMap(LikelihoodMap model, LikelihoodMap background) {
        this.model = model;
        this.background = background;
    }

    /** @return the model's NLL maps */
    public LikelihoodMap model() {
        return model;
    }

    /** @return the background model's NLL maps */
    public LikelihoodMap background() {
        return background;
    }

    /** @return images in the map */
    public int count() {
        return model.count();
    }

    /** @return channels per image */
    public int channels() {
        return model.channels();
    }

    /** @return image height */
    public int height() {
        return model.height();
    }

    /** @return image width */
    public int width() {
        return model.width();
    }

    /**
     * @param n image
     * @return its score, NLL(x) - NLL_background(x), nats (from the per-image totals, in double)
     */
    public double score(int n) {
        return model.likelihood().nats(n) - background.likelihood().nats(n);
    }

    /** @return every image's score, nats */
    public double[] scores() {
        double[] s = new double[count()];
        for (int n = 0; n < s.length; n++) {
            s[n] = score(n);
        }
        return s;
    }

    /**
     * @param n image
     * @param c channel
     * @param y row
     * @param x column
     * @return the ratio of that sub-pixel, nats
     * @throws IndexOutOfBoundsException if an index is outside the map
     */
    public float get(int n, int c, int y, int x) {
        return model.get(n, c, y, x) - background.get(n, c, y, x);
    }

    /**
     * @param n image
     * @return image {@code n}'s ratio map, C x H x W floats (nats)
     */
    public float[] map(int n) {
        return difference(model.map(n), background.map(n));
    }

    /**
     * @param n image
     * @return image {@code n}'s ratio summed over the channels: H x W floats, nats per pixel
     */
    public float[] pixelMap(int n) {
        return difference(model.pixelMap(n), background.pixelMap(n));
    }

    private static float[] difference(float[] p, float[] q) {
        for (int i = 0; i < p.length; i++) {
            p[i] -= q[i];
        }
        return p;
    }

    /**
     * Writes the maps as one PNG, atomically: one row per image with the image, the model's NLL
     * ({@link Png#heatMap}), the background model's NLL (on the same scale) and the ratio
     * ({@link Png#signedHeatMap}: red where the model finds the image less likely than the
     * background model, blue where more).
     *
     * @param images the images the maps were computed on
     * @param levels the levels the values represent (2 for binary images)
     * @param scale the integer upscaling factor, 1 to 64
     * @param png the destination file
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if the maps are not the images' or an argument is out of range
     */
    public void writeHeatMaps(Images images, int levels, int scale, Path png) throws IOException {
        Objects.requireNonNull(images, "images");
        if (images.count() != count() || images.channels() != channels() || images.height() != height()
                || images.width() != width()) {
            throw new IllegalArgumentException("writeHeatMaps: the maps (" + this + ") are not of these images ("
                    + images + ")");
        }
        double nllTop = 0;
        double ratioTop = 0;
        for (int n = 0; n < count(); n++) {
            for (float v : model.pixelMap(n)) {
                nllTop = Math.max(nllTop, v);
            }
            for (float v : background.pixelMap(n)) {
                nllTop = Math.max(nllTop, v);
            }
            for (float v : pixelMap(n)) {
                ratioTop = Math.max(ratioTop, Math.abs(v));
            }
        }
        List<List<BufferedImage>> rows = new ArrayList<>();
        for (int n = 0; n < count(); n++) {
            rows.add(List.of(Png.upscale(Png.toBufferedImage(images, n, levels), scale),
                    Png.heatMap(images, n, levels, model.pixelMap(n), nllTop, scale),
                    Png.heatMap(images, n, levels, background.pixelMap(n), nllTop, scale),
                    Png.signedHeatMap(images, n, levels, pixelMap(n), ratioTop, scale)));
        }
        Png.writeSheet(rows, png);
    }

    @Override
    public String toString() {
        return "LikelihoodRatioMap[" + count() + " images of " + channels() + " x " + height() + " x " + width() + "]";
    }
}
