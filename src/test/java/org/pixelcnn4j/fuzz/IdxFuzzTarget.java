package org.pixelcnn4j.fuzz;

import java.nio.file.Path;
import org.pixelcnn4j.InvalidDataException;
import org.pixelcnn4j.data.Idx;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.data.ImageSource;

/**
 * Fuzz target: any bytes as an IDX file (plain or gzip) through the image and label readers and
 * through {@link ImageSource#open}, which tells the kind of a file by its content.
 *
 * <p>The contract: an {@link InvalidDataException} naming the problem, or the data. Anything
 * else is a finding.
 */
public final class IdxFuzzTarget {

    private IdxFuzzTarget() {
    }

    public static void fuzzerTestOneInput(byte[] input) throws Exception {
        Path file = FuzzFiles.write("data.idx", input);
        try {
            Idx.readImages(file, 64);
        } catch (InvalidDataException expected) {
            // the documented answer to a bad file
        }
        try {
            Idx.readLabels(file, 64);
        } catch (InvalidDataException expected) {
            // the documented answer to a bad file
        }
        try {
            ImageSource source = ImageSource.open(file).limit(16);
            source.read(ImageFormat.binarized(source.channels(), 127));
        } catch (InvalidDataException expected) {
            // the documented answer to a bad file
        }
    }
}
