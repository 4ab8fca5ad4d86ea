package org.pixelcnn4j;

/**
 * Progress of a sampling or completion call.
 *
 * @param rowsDone image rows done over all batches
 * @param totalRows image rows to do: batches x height
 * @param imagesDone images finished
 * @param totalImages images requested
 */
public record SamplingProgress(long rowsDone, long totalRows, int imagesDone, int totalImages) {
    /** @return the fraction done, 0 to 1 */
    public double fraction() {
        return totalRows == 0 ? 1.0 : (double) rowsDone / totalRows;
    }
}
