package org.pixelcnn4j.cli;

import org.pixelcnn4j.SamplingListener;
import org.pixelcnn4j.SamplingProgress;

/** Shows sampling progress: a bar redrawn every row, or a line per finished batch without one. */
final class SamplingReporter implements SamplingListener {
    private final ProgressPrinter printer;
    private final String verb;
    private int lastDone;

    /**
     * @param printer where progress goes
     * @param verb what is done to the images, e.g. "sampled"
     */
    SamplingReporter(ProgressPrinter printer, String verb) {
        this.printer = printer;
        this.verb = verb;
    }

    @Override
    public void onRow(SamplingProgress p) {
        String text = verb + " " + p.imagesDone() + "/" + p.totalImages() + " images";
        if (printer.isBar()) {
            printer.bar(p.fraction(), text, p.rowsDone() == p.totalRows());
        } else if (p.imagesDone() != lastDone) {
            lastDone = p.imagesDone();
            printer.line(text);
        }
    }
}
