package org.pixelcnn4j.ood;

import java.util.Arrays;
import java.util.Objects;

/**
 * How well a score separates out-of-distribution images from in-distribution ones, the measures
 * of the OOD literature (Hendrycks and Gimpel 2017; Nalisnick et al. 2019; Ren et al. 2019):
 * out-of-distribution is the positive class and a higher score means "more unusual".
 * <ul>
 *   <li>{@link #auroc}: the probability that an OOD image scores higher than an in-distribution
 *       one (ties count half), 0.5 for a useless score, 1 for a perfect one, below 0.5 for a
 *       score that points the wrong way (as raw likelihood can);</li>
 *   <li>{@link #auprc}: average precision of ranking the OOD images first;</li>
 *   <li>{@link #fprAtTpr}: the fraction of in-distribution images flagged at the threshold that
 *       flags a given fraction (0.95: "FPR at 95% TPR") of the OOD images.</li>
 * </ul>
 * Scores must be finite; NaN would make a rank meaningless.
 */
public final class OodMetrics {
    private OodMetrics() {
    }

    /**
     * Area under the ROC curve, by the Mann-Whitney U statistic with mid-ranks for ties.
     *
     * @param in scores of in-distribution images, at least one
     * @param out scores of out-of-distribution images, at least one
     * @return AUROC in [0, 1]
     * @throws IllegalArgumentException if a set is empty or a score is not finite
     */
    public static double auroc(double[] in, double[] out) {
        check(in, "in");
        check(out, "out");
        int n = in.length + out.length;
        double[] all = new double[n];
        System.arraycopy(in, 0, all, 0, in.length);
        System.arraycopy(out, 0, all, in.length, out.length);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(all[a], all[b]));
        double outRanks = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && all[order[j + 1]] == all[order[i]]) {
                j++;
            }
            double midRank = (i + j) / 2.0 + 1;  // ranks from 1
            for (int k = i; k <= j; k++) {
                if (order[k] >= in.length) {
                    outRanks += midRank;
                }
            }
            i = j + 1;
        }
        double u = outRanks - out.length * (out.length + 1) / 2.0;
        return u / ((double) in.length * out.length);
    }

    /**
     * Area under the precision-recall curve with OOD as the positive class, as average
     * precision: the mean, over the OOD images, of the precision at the threshold of each one's
     * score (tied scores enter together).
     *
     * @param in scores of in-distribution images, at least one
     * @param out scores of out-of-distribution images, at least one
     * @return AUPRC in (0, 1]; the fraction of OOD images for a useless score
     */
    public static double auprc(double[] in, double[] out) {
        check(in, "in");
        check(out, "out");
        double[] sortedIn = sortedDescending(in);
        double[] sortedOut = sortedDescending(out);
        double sum = 0;
        int i = 0;
        int o = 0;
        while (o < sortedOut.length) {
            double t = sortedOut[o];
            int tiedOut = 0;
            while (o < sortedOut.length && sortedOut[o] == t) {
                o++;
                tiedOut++;
            }
            while (i < sortedIn.length && sortedIn[i] >= t) {
                i++;
            }
            double precision = (double) o / (o + i);  // everything scoring >= t is flagged
            sum += tiedOut * precision;
        }
        return sum / out.length;
    }

    /**
     * False-positive rate at a true-positive rate: flags every image scoring at least the
     * threshold t, the highest t that flags at least {@code tpr} of the OOD images, and returns
     * the fraction of in-distribution images it flags.
     *
     * @param in scores of in-distribution images, at least one
     * @param out scores of out-of-distribution images, at least one
     * @param tpr the fraction of OOD images to flag, in (0, 1] (0.95 in the literature)
     * @return the FPR in [0, 1]
     */
    public static double fprAtTpr(double[] in, double[] out, double tpr) {
        check(in, "in");
        check(out, "out");
        if (!(tpr > 0 && tpr <= 1)) {
            throw new IllegalArgumentException("tpr: expected a fraction in (0, 1], got " + tpr);
        }
        double[] sortedOut = sortedDescending(out);
        int needed = (int) Math.ceil(tpr * out.length - 1e-9);
        double threshold = sortedOut[Math.max(needed, 1) - 1];
        int flagged = 0;
        for (double v : in) {
            if (v >= threshold) {
                flagged++;
            }
        }
        return (double) flagged / in.length;
    }

    /**
     * The three measures at once, for a report.
     *
     * @param in scores of in-distribution images
     * @param out scores of out-of-distribution images
     * @return AUROC, AUPRC and FPR at 95% TPR
     */
    public static Summary summarize(double[] in, double[] out) {
        return new Summary(auroc(in, out), auprc(in, out), fprAtTpr(in, out, 0.95));
    }

    /**
     * @param auroc area under the ROC curve
     * @param auprc average precision, OOD positive
     * @param fprAt95Tpr false-positive rate at 95% true-positive rate
     */
    public record Summary(double auroc, double auprc, double fprAt95Tpr) {
    }

    private static double[] sortedDescending(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        for (int a = 0, b = sorted.length - 1; a < b; a++, b--) {
            double t = sorted[a];
            sorted[a] = sorted[b];
            sorted[b] = t;
        }
        return sorted;
    }

    private static void check(double[] scores, String what) {
        Objects.requireNonNull(scores, what);
        if (scores.length == 0) {
            throw new IllegalArgumentException(what + ": expected at least one score, got none");
        }
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new IllegalArgumentException(what + ": score " + scores[i] + " at index " + i + " is not finite");
            }
        }
    }
}
