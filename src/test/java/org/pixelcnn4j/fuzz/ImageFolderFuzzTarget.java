package org.pixelcnn4j.fuzz;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.pixelcnn4j.InvalidDataException;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.data.ImageSource;

/**
 * Fuzz target: a folder of one to three files made of the input (split at the bytes
 * {@code "\n--\n"}), opened, size-checked and decoded by {@link ImageSource} as a training folder
 * would be: PNG and JPEG headers, the decoders behind them, mixed sizes, colour and grayscale.
 *
 * <p>The contract: an {@link InvalidDataException} naming the file and the problem, or the
 * images. Anything else is a finding.
 */
public final class ImageFolderFuzzTarget {

    private static final byte[] SEPARATOR = {'\n', '-', '-', '\n'};

    private ImageFolderFuzzTarget() {
    }

    public static void fuzzerTestOneInput(byte[] input) throws Exception {
        Path folder = FuzzFiles.emptyFolder("images");
        int start = 0;
        for (int n = 0; n < 3 && start <= input.length; n++) {
            int end = indexOf(input, start);
            int stop = n == 2 || end < 0 ? input.length : end;
            Files.write(folder.resolve("image-" + n + ".png"), Arrays.copyOfRange(input, start, stop));
            start = stop + SEPARATOR.length;
        }
        try {
            ImageSource source = ImageSource.open(folder);
            source.requireSize(source.height(), source.width());
            source.read(ImageFormat.quantized(source.channels(), 256));
            source.read(ImageFormat.binarized(1, 127));
        } catch (InvalidDataException expected) {
            // the documented answer to a bad file
        }
    }

    private static int indexOf(byte[] input, int from) {
        outer:
        for (int i = from; i + SEPARATOR.length <= input.length; i++) {
            for (int j = 0; j < SEPARATOR.length; j++) {
                if (input[i + j] != SEPARATOR[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
