package org.pixelcnn4j.data;

import java.util.Locale;
import java.util.Objects;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnnConfig;

/**
 * What the pixels of a data set become when it is read: the number of channels (1 or 3) and the
 * value representation (raw intensities, binarized or quantized). Immutable.
 *
 * <p>Colour images read into 1 channel become gray by the ITU-R BT.601 luma weights; gray images
 * read into 3 channels have the gray value in R, G and B (see {@link Png#fromBufferedImages}).
 * Binarization maps {@code v > threshold} to 1 ({@link Images#binarize}); quantization maps
 * {@code v} to {@code floor(v * levels / 256)} ({@link Images#quantize}).
 *
 * <pre>{@code
 * ImageFormat format = ImageFormat.forModel(model.config(), 127);
 * DataSet data = ImageSource.open(Path.of("images/")).read(format);
 * }</pre>
 */
public final class ImageFormat {

    /** How raw intensities 0..255 are turned into the values a model sees. */
    public enum Values {
        /** Intensities 0..255 unchanged. */
        RAW,
        /** 1 above the threshold, 0 otherwise (Bernoulli models). */
        BINARIZED,
        /** {@code levels} evenly sized bins (categorical models). */
        QUANTIZED
    }

    private final int channels;
    private final Values values;
    private final int threshold;
    private final int levels;

    private ImageFormat(int channels, Values values, int threshold, int levels) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels: expected 1 (gray) or 3 (colour), got " + channels);
        }
        this.channels = channels;
        this.values = values;
        this.threshold = threshold;
        this.levels = levels;
    }

    /**
     * Raw intensities 0..255.
     *
     * @param channels 1 (gray) or 3 (colour)
     * @return the format
     * @throws IllegalArgumentException if channels is not 1 or 3
     */
    public static ImageFormat raw(int channels) {
        return new ImageFormat(channels, Values.RAW, -1, 256);
    }

    /**
     * Binary values: 1 where the intensity is above {@code threshold}, else 0.
     *
     * @param channels 1 (gray) or 3 (colour)
     * @param threshold the largest intensity that becomes 0, 0 to 255
     * @return the format
     * @throws IllegalArgumentException if channels is not 1 or 3 or the threshold is outside 0..255
     */
    public static ImageFormat binarized(int channels, int threshold) {
        if (threshold < 0 || threshold > 255) {
            throw new IllegalArgumentException("binarize threshold: expected 0..255, got " + threshold);
        }
        return new ImageFormat(channels, Values.BINARIZED, threshold, 2);
    }

    /**
     * Values 0..levels-1: intensity {@code v} becomes {@code floor(v * levels / 256)}.
     *
     * @param channels 1 (gray) or 3 (colour)
     * @param levels values per channel, 2 to 256
     * @return the format
     * @throws IllegalArgumentException if channels is not 1 or 3 or levels is outside 2..256
     */
    public static ImageFormat quantized(int channels, int levels) {
        if (levels < 2 || levels > 256) {
            throw new IllegalArgumentException("levels: expected 2..256, got " + levels);
        }
        return new ImageFormat(channels, Values.QUANTIZED, -1, levels);
    }

    /**
     * The format a model needs: its channels, binarized at {@code threshold} for a Bernoulli
     * head, quantized to the model's levels for a categorical one.
     *
     * @param config the model's configuration
     * @param threshold binarization threshold (0..255), used only for a Bernoulli head
     * @return the format
     * @throws IllegalArgumentException if the threshold is outside 0..255 for a Bernoulli model
     */
    public static ImageFormat forModel(PixelCnnConfig config, int threshold) {
        Objects.requireNonNull(config, "config");
        return config.head() == PixelCnnConfig.Head.BERNOULLI
                ? binarized(config.channels(), threshold)
                : quantized(config.channels(), config.levels());
    }

    /** @return channels per image after reading: 1 or 3 */
    public int channels() {
        return channels;
    }

    /** @return how intensities are converted */
    public Values values() {
        return values;
    }

    /** @return the binarization threshold, or -1 unless {@link Values#BINARIZED} */
    public int threshold() {
        return threshold;
    }

    /** @return values per channel after conversion: 256 raw, 2 binarized, the level count quantized */
    public int levels() {
        return levels;
    }

    /**
     * Converts raw intensities (0..255) of images that already have {@link #channels()} channels.
     *
     * @param raw images with values 0..255
     * @return the converted images (the same instance for {@link Values#RAW})
     * @throws IllegalArgumentException if the images have another channel count
     */
    public Images convert(Images raw) {
        if (raw.channels() != channels) {
            throw new IllegalArgumentException("convert: expected images of " + channels + " channel(s), got "
                    + raw.channels());
        }
        return switch (values) {
            case RAW -> raw;
            case BINARIZED -> raw.binarize(threshold);
            case QUANTIZED -> raw.quantize(levels);
        };
    }

    /** @return a short description such as "1 channel, binarized at 127" */
    public String describe() {
        String what = switch (values) {
            case RAW -> "raw 0..255";
            case BINARIZED -> "binarized at " + threshold;
            case QUANTIZED -> "quantized to " + levels + " levels";
        };
        return channels + (channels == 1 ? " channel, " : " channels, ") + what;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageFormat f && f.channels == channels && f.values == values
                && f.threshold == threshold && f.levels == levels;
    }

    @Override
    public int hashCode() {
        return Objects.hash(channels, values, threshold, levels);
    }

    @Override
    public String toString() {
        return "ImageFormat[" + describe().toLowerCase(Locale.ROOT) + "]";
    }
}
