package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every Java block of the README is a whole program kept in examples/ (which CI compiles against
 * the installed jars): the block is that file without its package line, character for character,
 * so a reader's paste compiles (imports, checked exceptions, every variable defined).
 */
class ReadmeExamplesTest {

    private static final Path EXAMPLES = Path.of("examples/src/main/java/org/pixelcnn4j/examples");
    /** The Spark example project's, a Maven project of its own (Spark on its class path). */
    private static final Path SPARK_EXAMPLES = Path.of("examples/spark/src/main/java/org/pixelcnn4j/examples/spark");

    @Test
    void readmeJavaBlocksAreTheCompiledExamples() throws IOException {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        List<String> checked = new ArrayList<>();
        while (block.find()) {
            String code = block.group(1);
            Matcher name = Pattern.compile("public class (\\w+)").matcher(code);
            assertTrue(name.find(), "a README Java block is not a whole program:\n" + code);
            Path file = EXAMPLES.resolve(name.group(1) + ".java");
            if (!Files.exists(file)) {
                file = SPARK_EXAMPLES.resolve(name.group(1) + ".java");
            }
            assertTrue(Files.exists(file), "README block " + name.group(1) + " has no file in " + EXAMPLES + " or "
                    + SPARK_EXAMPLES);
            String source = Files.readString(file, StandardCharsets.UTF_8)
                    .replaceFirst("^package org\\.pixelcnn4j\\.examples(\\.spark)?;\\n\\n", "");
            assertEquals(source, code, "README block differs from " + file);
            checked.add(name.group(1));
        }
        assertEquals(List.of("TrainScoreSample", "SampleAndComplete", "ConditionalGated", "OodScores", "GpuOrCpu", "ScaleOut"), checked);
    }
}
