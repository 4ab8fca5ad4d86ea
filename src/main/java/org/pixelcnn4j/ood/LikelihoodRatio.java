package org.pixelcnn4j.ood;

import java.util.Objects;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.LikelihoodMap;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;

/**
 * The likelihood ratio of Ren et al. (2019), "Likelihood Ratios for Out-of-Distribution
 * Detection": a model's likelihood of an image is mostly its background's (smooth regions, the
 * plain statistics of pixels), which a background model trained on mutated inputs
 * ({@link org.pixelcnn4j.TrainingConfig#backgroundBuilder()}) learns as well; what the model
 * knows beyond it is the semantics. The score is the negative log of the ratio,
 * {@code -(log p(x) - log p_background(x)) = NLL(x) - NLL_background(x)} in nats: higher is more
 * unusual, like the other OOD scores. Per sub-pixel ({@link #map}) it shows which parts of an
 * image the model finds less likely than the background model does.
 *
 * <pre>{@code
 * try (PixelCnn model = PixelCnn.create(config, device); PixelCnn background = PixelCnn.create(config, device)) {
 *     model.train(data, TrainingConfig.builder().setSteps(2000).build());
 *     background.train(data, TrainingConfig.backgroundBuilder().setSteps(2000).build());
 *     double[] scores = LikelihoodRatio.of(model, background).scores(images);
 * }
 * }</pre>
 *
 * <p>It holds the two models, not their native memory: close the models as usual.
 */
public final class LikelihoodRatio {
    private final PixelCnn model;
    private final PixelCnn background;

    private LikelihoodRatio(PixelCnn model, PixelCnn background) {
        this.model = model;
        this.background = background;
    }

    /**
     * @param model the model trained on the in-distribution data
     * @param background a model of the same image shape and levels trained on mutated inputs
     * @return the ratio of the two
     * @throws IllegalArgumentException if the models' images differ
     */
    public static LikelihoodRatio of(PixelCnn model, PixelCnn background) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(background, "background");
        if (!sameImages(model.config(), background.config())) {
            throw new IllegalArgumentException("background: expected a model of the same image shape and levels as "
                    + "the model (" + model.config() + "), got " + background.config());
        }
        return new LikelihoodRatio(model, background);
    }

    static boolean sameImages(PixelCnnConfig a, PixelCnnConfig b) {
        return a.channels() == b.channels() && a.height() == b.height() && a.width() == b.width()
                && a.levels() == b.levels();
    }

    /** @return the model trained on the in-distribution data */
    public PixelCnn model() {
        return model;
    }

    /** @return the background model */
    public PixelCnn background() {
        return background;
    }

    /**
     * NLL(x) - NLL_background(x) per image, scored {@value OodEvaluation#CHUNK} images per engine call.
     *
     * @param images images of the models' shape (labelled for class-conditional models)
     * @return one score per image, nats; higher is more unusual
     * @throws IllegalArgumentException if the images do not fit a model
     */
    public double[] scores(Images images) {
        Objects.requireNonNull(images, "images");
        double[] scores = new double[images.count()];
        for (int from = 0; from < images.count(); from += OodEvaluation.CHUNK) {
            int to = Math.min(images.count(), from + OodEvaluation.CHUNK);
            Images part = images.slice(from, to);
            Likelihood p = model.logLikelihood(part);
            Likelihood q = background.logLikelihood(part);
            for (int i = from; i < to; i++) {
                scores[i] = p.nats(i - from) - q.nats(i - from);
            }
        }
        return scores;
    }

    /**
     * The ratio per sub-pixel: both models' NLL maps ({@link PixelCnn#logLikelihoodMap}) and their
     * difference, in one forward pass of each model.
     *
     * @param images images of the models' shape (labelled for class-conditional models)
     * @return the maps; each image's map adds up to its {@link #scores} value (to float rounding)
     * @throws IllegalArgumentException if the images do not fit a model, or are too many for
     *     one array of maps
     */
    public LikelihoodRatioMap map(Images images) {
        Objects.requireNonNull(images, "images");
        LikelihoodMap p = model.logLikelihoodMap(images);
        LikelihoodMap q = background.logLikelihoodMap(images);
        return new LikelihoodRatioMap(p, q);
    }
}
