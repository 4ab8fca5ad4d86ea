package org.pixelcnn4j.io;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.pixelcnn4j.MalformedModelException;

/**
 * Fuzz target: any text as a safetensors header through the strict JSON parser, alone (so the
 * fuzzer need not find a valid length prefix first).
 *
 * <p>The contract: a {@link MalformedModelException} or the parsed header. Anything else (a stack
 * overflow from nesting, an index out of range) is a finding.
 */
public final class HeaderJsonFuzzTarget {

    private static final Path FILE = Path.of("fuzz.safetensors");

    private HeaderJsonFuzzTarget() {
    }

    public static void fuzzerTestOneInput(byte[] input) {
        try {
            new HeaderJson(new String(input, StandardCharsets.UTF_8), FILE).parseHeader();
        } catch (MalformedModelException expected) {
            // the documented answer to a bad header
        }
    }
}
