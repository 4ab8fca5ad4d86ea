package org.pixelcnn4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.pixelcnn4j.PixelCnn;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pixelcnn4j info}: what a checkpoint holds. */
@Command(name = "info", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show a checkpoint's model (configuration, parameter count), its training step and the "
                + "training settings stored by 'pixelcnn4j train'.", ""})
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelFileOption modelFile;

    /** Creates the command; picocli fills in the options. */
    InfoCommand() {
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> metadata = Inputs.readMetadata(modelFile.model);
        long size;
        try {
            size = Files.size(modelFile.model);
        } catch (IOException e) {
            throw new CliException(ExitCodes.BAD_CHECKPOINT, "cannot read checkpoint: " + Main.describe(e), e);
        }
        try (PixelCnn net = Inputs.loadModel(modelFile.model, 1)) {
            out.printf(Locale.ROOT, "checkpoint: %s (%,d bytes, %s)%n", modelFile.model, size, metadata.get("format"));
            out.println("architecture: " + (net.config().architecture() == org.pixelcnn4j.PixelCnnConfig.Architecture.GATED
                    ? "gated (Gated PixelCNN)" : "plain (PixelCNN)"));
            out.println("model: " + Inputs.describe(net.config()));
            out.printf(Locale.ROOT, "parameters: %,d%n", net.parameterCount());
            out.println("training step: " + net.step());
        }
        if (TrainingSettings.present(metadata)) {
            out.println("training settings (pixelcnn4j train):");
            // The settings in the order train writes them, then anything else under train.*.
            java.util.Set<String> keys = new java.util.LinkedHashSet<>(
                    TrainingSettings.fromMetadata(metadata, modelFile.model).toMetadata().keySet());
            new java.util.TreeSet<>(metadata.keySet()).stream()
                    .filter(k -> k.startsWith(TrainingSettings.PREFIX))
                    .forEach(keys::add);
            for (String key : keys) {
                out.println("  " + key.substring(TrainingSettings.PREFIX.length()) + ": " + metadata.get(key));
            }
        } else {
            out.println("training settings: none stored (not written by 'pixelcnn4j train')");
        }
        boolean header = false;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("model.") || key.startsWith("checksum.") || key.startsWith(TrainingSettings.PREFIX)
                    || key.equals("format") || key.equals("training.step")) {
                continue;
            }
            if (!header) {
                out.println("other metadata:");
                header = true;
            }
            out.println("  " + key + ": " + e.getValue());
        }
        out.flush();
        return ExitCodes.OK;
    }
}
