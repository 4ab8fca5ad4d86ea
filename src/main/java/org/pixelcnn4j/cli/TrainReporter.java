package org.pixelcnn4j.cli;

import java.util.Locale;
import org.pixelcnn4j.TrainingListener;
import org.pixelcnn4j.TrainingProgress;

/**
 * Shows training progress: step, loss in nats and bits/dim, images per second and the time left,
 * as a bar on a terminal (loss averaged over the last {@value #WINDOW} steps) or as a log line
 * every {@code logEvery} steps (loss averaged over the steps since the previous line).
 */
final class TrainReporter implements TrainingListener {
    /** Steps the bar's loss and the final summary average over. */
    static final int WINDOW = 50;

    private final ProgressPrinter printer;
    private final int logEvery;
    private final long firstStep;
    private final long targetStep;
    private final int batchSize;
    private final double natsToBits;
    private final long start = System.nanoTime();
    private final double[] recent = new double[WINDOW];
    private long steps;
    private double images;
    private double computeSeconds;
    private double intervalSum;
    private int intervalCount;

    /**
     * @param printer where progress goes
     * @param logEvery steps between log lines when there is no bar
     * @param firstStep the model's step count before this run
     * @param targetStep the step count this run trains to
     * @param batchSize images per step
     * @param dimensions values per image, for bits/dim
     */
    TrainReporter(ProgressPrinter printer, int logEvery, long firstStep, long targetStep, int batchSize,
            int dimensions) {
        this.printer = printer;
        this.batchSize = batchSize;
        this.logEvery = logEvery;
        this.firstStep = firstStep;
        this.targetStep = targetStep;
        this.natsToBits = 1.0 / (dimensions * Math.log(2));
    }

    @Override
    public void onStep(TrainingProgress p) {
        recent[(int) (steps % WINDOW)] = p.lossNats();
        steps++;
        images += batchSize;
        if (p.imagesPerSecond() > 0) {
            computeSeconds += batchSize / p.imagesPerSecond();
        }
        intervalSum += p.lossNats();
        intervalCount++;
        if (printer.isBar()) {
            printer.bar((double) (p.step() - firstStep) / (targetStep - firstStep), status(p.step(), recentLoss()),
                    p.step() == targetStep);
        } else if (p.step() % logEvery == 0 || p.step() == targetStep || steps == 1) {
            printer.line(status(p.step(), intervalSum / intervalCount));
            intervalSum = 0;
            intervalCount = 0;
        }
    }

    private String status(long step, double lossNats) {
        return String.format(Locale.ROOT, "step %d/%d  loss %.2f nats  %.4f bits/dim  %.0f img/s  %s left", step,
                targetStep, lossNats, lossNats * natsToBits, imagesPerSecond(),
                ProgressPrinter.duration(secondsLeft(step)));
    }

    private double secondsLeft(long step) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        return steps == 0 ? Double.NaN : elapsed / steps * (targetStep - step);
    }

    /** @return training images per second, counting the time inside training steps only */
    double imagesPerSecond() {
        return computeSeconds > 0 ? images / computeSeconds : 0;
    }

    /** @return the mean loss of the last {@value #WINDOW} steps, in nats */
    double recentLoss() {
        int n = (int) Math.min(steps, WINDOW);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += recent[i];
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** @return steps seen in this run */
    long steps() {
        return steps;
    }

    /** @return seconds since the run started */
    double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
