package org.pixelcnn4j.ood;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Locale;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.data.Png;

/**
 * The input-complexity correction of Serra et al. (2020), "Input Complexity and
 * Out-of-Distribution Detection with Likelihood-based Generative Models": a likelihood is high
 * for simple images whatever the model, so the score is S(x) = NLL(x) in bits - L(x), with L(x)
 * the length in bits of the image compressed losslessly by a general-purpose compressor. The
 * compressors ({@link Compressor}) are the lossless ones the JDK ships: PNG (the paper's first
 * choice), GIF, TIFF with LZW, Deflate or PackBits, CCITT Group 4 fax coding for binary images,
 * and plain Deflate of the raw values. S is high when the model finds the image far less likely
 * than its plain complexity says it should be.
 *
 * <p>L(x) is the whole file's length, headers included: for images of one shape a header adds
 * the same bits to every image and so changes no ranking.
 */
public final class InputComplexity {
    private InputComplexity() {
    }

    /** A lossless compressor that measures L(x). */
    public enum Compressor {
        /** PNG through ImageIO, the image drawn at 8 bits per channel as {@link Png#toBufferedImage} draws it. */
        PNG("png", null),
        /** GIF (LZW over a 256-entry palette) through ImageIO; grayscale images only (colour would be quantized). */
        GIF("gif", null),
        /** TIFF with LZW compression through ImageIO. */
        TIFF_LZW("tiff_lzw", "LZW"),
        /** TIFF with Deflate (zlib) compression through ImageIO. */
        TIFF_DEFLATE("tiff_deflate", "Deflate"),
        /** TIFF with PackBits run-length coding through ImageIO. */
        TIFF_PACKBITS("tiff_packbits", "PackBits"),
        /** TIFF with CCITT T.6 (Group 4 fax) coding, the bilevel compressor; binary images only. */
        CCITT_T6("ccitt_t6", "CCITT T.6"),
        /** java.util.zip's Deflate at its best level over the raw values, one byte per sub-pixel. */
        DEFLATE("deflate", null);

        private final String id;
        /** ImageIO's TIFF compression type, or null for the other formats. */
        private final String tiffCompression;

        Compressor(String id, String tiffCompression) {
            this.id = id;
            this.tiffCompression = tiffCompression;
        }

        /** @return the compressor's name in score names, files and the command line ("png", "tiff_lzw") */
        public String id() {
            return id;
        }

        /**
         * @param channels channels per image
         * @param levels the levels the values represent
         * @return whether this compressor encodes such images losslessly
         */
        public boolean supports(int channels, int levels) {
            return switch (this) {
                case GIF -> channels == 1;
                case CCITT_T6 -> channels == 1 && levels == 2;
                default -> channels == 1 || channels == 3;
            };
        }

        /**
         * @param id a name as {@link #id()} gives it, case-insensitive, '-' for '_' allowed
         * @return that compressor
         * @throws IllegalArgumentException if there is none of that name
         */
        public static Compressor of(String id) {
            String key = id.trim().toLowerCase(Locale.ROOT).replace('-', '_');
            for (Compressor c : values()) {
                if (c.id.equals(key)) {
                    return c;
                }
            }
            StringBuilder known = new StringBuilder();
            for (Compressor c : values()) {
                known.append(known.length() == 0 ? "" : ", ").append(c.id);
            }
            throw new IllegalArgumentException("unknown compressor \"" + id + "\"; expected one of " + known);
        }
    }

    /**
     * L(x): the bits of each image as a PNG file.
     *
     * @param images the images, in the model's values
     * @param levels the levels those values represent (2 for binary images)
     * @return one length per image, bits
     */
    public static double[] pngBits(Images images, int levels) {
        return bits(images, levels, Compressor.PNG);
    }

    /**
     * L(x): the bits of each image compressed by {@code compressor}.
     *
     * @param images the images, in the model's values
     * @param levels the levels those values represent (2 for binary images)
     * @param compressor the compressor
     * @return one length per image, bits
     * @throws IllegalArgumentException if the compressor does not encode such images losslessly
     *     ({@link Compressor#supports}) or a value is {@code levels} or more
     */
    public static double[] bits(Images images, int levels, Compressor compressor) {
        byte[][] files = encode(images, levels, compressor);
        double[] bits = new double[files.length];
        for (int i = 0; i < files.length; i++) {
            bits[i] = 8.0 * files[i].length;
        }
        return bits;
    }

    /** Each image as {@code compressor} writes it: the bytes {@link #bits} counts. */
    static byte[][] encode(Images images, int levels, Compressor compressor) {
        if (!compressor.supports(images.channels(), levels)) {
            throw new IllegalArgumentException(compressor.id() + ": does not encode images of " + images.channels()
                    + " channel(s) and " + levels + " levels losslessly"
                    + (compressor == Compressor.CCITT_T6 ? " (binary images only)" : " (grayscale images only)"));
        }
        byte[][] files = new byte[images.count()][];
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        ImageWriter tiff = compressor.tiffCompression != null ? tiffWriter() : null;
        Deflater deflater = compressor == Compressor.DEFLATE ? new Deflater(Deflater.BEST_COMPRESSION) : null;
        try {
            int size = images.channels() * images.height() * images.width();
            byte[] raw = compressor == Compressor.DEFLATE ? images.toArray() : null;
            for (int i = 0; i < images.count(); i++) {
                buffer.reset();
                if (deflater != null) {
                    deflate(deflater, raw, i * size, size, buffer);
                } else if (tiff != null) {
                    BufferedImage image = compressor == Compressor.CCITT_T6 ? bilevel(images, i)
                            : Png.toBufferedImage(images, i, levels);
                    writeTiff(tiff, image, compressor.tiffCompression, buffer);
                } else if (!ImageIO.write(Png.toBufferedImage(images, i, levels), compressor.id(), buffer)) {
                    throw new IllegalStateException("this JDK's ImageIO has no " + compressor.id() + " writer");
                }
                files[i] = buffer.toByteArray();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(compressor.id() + " encoding in memory failed: " + e.getMessage(), e);
        } finally {
            if (tiff != null) {
                tiff.dispose();
            }
            if (deflater != null) {
                deflater.end();
            }
        }
        return files;
    }

    private static ImageWriter tiffWriter() {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("tiff");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this JDK's ImageIO has no TIFF writer");
        }
        return writers.next();
    }

    private static void writeTiff(ImageWriter writer, BufferedImage image, String compression,
            ByteArrayOutputStream buffer) throws IOException {
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(buffer)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionType(compression);
            writer.write(null, new IIOImage(image, null, null), param);
        }
    }

    /** A binary image as a 1-bit image (the fax coders take nothing else), value 1 white. */
    private static BufferedImage bilevel(Images images, int index) {
        BufferedImage image = new BufferedImage(images.width(), images.height(), BufferedImage.TYPE_BYTE_BINARY);
        for (int y = 0; y < images.height(); y++) {
            for (int x = 0; x < images.width(); x++) {
                int v = images.get(index, 0, y, x);
                if (v > 1) {
                    throw new IllegalArgumentException("ccitt_t6: expected binary values, got " + v + " at image "
                            + index + " (" + y + ", " + x + ")");
                }
                image.getRaster().setSample(x, y, 0, v);
            }
        }
        return image;
    }

    private static void deflate(Deflater deflater, byte[] raw, int offset, int size, ByteArrayOutputStream buffer) {
        deflater.reset();
        deflater.setInput(raw, offset, size);
        deflater.finish();
        byte[] chunk = new byte[4096];
        while (!deflater.finished()) {
            buffer.write(chunk, 0, deflater.deflate(chunk));
        }
    }

    /**
     * S(x) = NLL(x) in bits - L(x), per image.
     *
     * @param likelihood the images' NLL ({@link org.pixelcnn4j.PixelCnn#logLikelihood})
     * @param complexityBits L(x) of the same images ({@link #bits})
     * @return one score per image, bits; higher is more unusual
     * @throws IllegalArgumentException if the counts differ
     */
    public static double[] scores(Likelihood likelihood, double[] complexityBits) {
        return scores(likelihood.natsArray(), complexityBits);
    }

    /**
     * S(x) = NLL(x) in bits - L(x), per image, from the NLLs in nats.
     *
     * @param nllNats each image's NLL, nats
     * @param complexityBits L(x) of the same images
     * @return one score per image, bits
     * @throws IllegalArgumentException if the counts differ
     */
    public static double[] scores(double[] nllNats, double[] complexityBits) {
        if (nllNats.length != complexityBits.length) {
            throw new IllegalArgumentException("scores: " + nllNats.length + " likelihoods but "
                    + complexityBits.length + " complexities");
        }
        double[] s = new double[complexityBits.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = nllNats[i] / Math.log(2.0) - complexityBits[i];
        }
        return s;
    }
}
