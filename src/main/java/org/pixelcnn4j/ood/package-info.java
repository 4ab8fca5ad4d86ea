/**
 * Out-of-distribution and anomaly scores from likelihoods, and how well they work: the
 * input-complexity correction ({@link org.pixelcnn4j.ood.InputComplexity}) and the measures of
 * separation, AUROC, AUPRC and FPR at 95% TPR ({@link org.pixelcnn4j.ood.OodMetrics}).
 * Per-pixel likelihood maps come from {@link org.pixelcnn4j.PixelCnn#logLikelihoodMap}.
 */
package org.pixelcnn4j.ood;
