package org.pixelcnn4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.pixelcnn4j.InvalidDataException;

/** A source whose images carry class labels: another source's images, with one label each. */
final class LabelledSource extends ImageSource {
    private final ImageSource images;
    private final int[] labels;
    private final List<String> classNames;  // null: unnamed
    private final String origin;            // where the labels come from, for the description

    LabelledSource(ImageSource images, int[] labels, List<String> classNames, String origin) {
        this.images = images;
        this.labels = labels;
        this.classNames = classNames;
        this.origin = origin;
    }

    @Override
    public int count() {
        return images.count();
    }

    @Override
    public int height() {
        return images.height();
    }

    @Override
    public int width() {
        return images.width();
    }

    @Override
    public boolean isColour() {
        return images.isColour();
    }

    @Override
    public Path file(int index) {
        return images.file(index);
    }

    @Override
    public boolean hasFiles() {
        return images.hasFiles();
    }

    @Override
    public String description() {
        return images.description() + ", labels from " + origin;
    }

    @Override
    public ImageSource limit(int limit) {
        ImageSource first = images.limit(limit);
        return new LabelledSource(first, Arrays.copyOf(labels, first.count()), classNames, origin);
    }

    @Override
    public void requireSize(int height, int width, String expectedBy) throws InvalidDataException {
        images.requireSize(height, width, expectedBy);
    }

    @Override
    String sizeReason() {
        return images.sizeReason();
    }

    @Override
    void decode(ImageFormat format, ImageSink sink, int last) throws IOException {
        images.decode(format, sink, last);
    }

    ImageSource withoutLabels() {
        return images;
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }
}
