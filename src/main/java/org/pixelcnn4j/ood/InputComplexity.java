package org.pixelcnn4j.ood;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.data.Png;

/**
 * The input-complexity correction of Serra et al. (2020), "Input Complexity and
 * Out-of-Distribution Detection with Likelihood-based Generative Models": a likelihood is high
 * for simple images whatever the model, so the score is S(x) = NLL(x) in bits - L(x), with L(x)
 * the length in bits of the image compressed losslessly by a general-purpose compressor, here PNG
 * through the JDK's ImageIO (lossless; the image drawn at 8 bits per channel as
 * {@link Png#toBufferedImage} draws it). S is high when the model finds the image far less
 * likely than its plain complexity says it should be.
 */
public final class InputComplexity {
    private InputComplexity() {
    }

    /**
     * L(x): the bits of each image as a PNG file.
     *
     * @param images the images, in the model's values
     * @param levels the levels those values represent (2 for binary images)
     * @return one length per image, bits
     */
    public static double[] pngBits(Images images, int levels) {
        double[] bits = new double[images.count()];
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        for (int i = 0; i < images.count(); i++) {
            BufferedImage image = Png.toBufferedImage(images, i, levels);
            buffer.reset();
            try {
                if (!ImageIO.write(image, "png", buffer)) {
                    throw new IllegalStateException("this JDK's ImageIO has no PNG writer");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("PNG encoding in memory failed: " + e.getMessage(), e);
            }
            bits[i] = 8.0 * buffer.size();
        }
        return bits;
    }

    /**
     * S(x) = NLL(x) in bits - L(x), per image.
     *
     * @param likelihood the images' NLL ({@link org.pixelcnn4j.PixelCnn#logLikelihood})
     * @param complexityBits L(x) of the same images ({@link #pngBits})
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
