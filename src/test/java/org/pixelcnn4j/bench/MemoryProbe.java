package org.pixelcnn4j.bench;

import java.util.Locale;

import org.pixelcnn4j.Device;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.oracle.TorchPixelCnn;

/**
 * Peak resident memory of a process that trains fm-binary at one batch size for a few steps,
 * started by {@link Benchmark} as a JVM of its own. {@code jvm} only loads the data (the JVM's
 * own share), {@code engine} uses only pixelcnn4j (LibTorch is never loaded), {@code torch} only
 * the LibTorch baseline. Prints {@code @@MEM key value} lines.
 *
 * <p>Usage: {@code MemoryProbe jvm|engine|torch THREADS STEPS BATCH}
 */
public final class MemoryProbe {

    private MemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int threads = Integer.parseInt(args[1]);
        int steps = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        PixelCnnConfig config = Models.config(Models.FM_BINARY);
        Images data = Models.data(config, Math.max(batch * 4, 256));
        double seconds = Double.NaN;
        double[] before;
        switch (mode) {
            case "jvm" -> before = MachineInfo.residentMib();
            case "engine" -> {
                try (PixelCnn model = PixelCnn.create(config, Device.cpu(threads))) {
                    before = MachineInfo.residentMib();
                    TrainingConfig training = TrainingConfig.builder().setSteps(steps).optBatchSize(batch).build();
                    long t0 = System.nanoTime();
                    model.train(data, training, null);
                    seconds = (System.nanoTime() - t0) / 1e9;
                }
            }
            case "torch" -> {
                try (TorchPixelCnn model = new TorchPixelCnn(Models.torchConfig(config), threads)) {
                    before = MachineInfo.residentMib();
                    byte[] all = data.toArray();
                    int d = config.dimensions();
                    byte[] b = new byte[batch * d];
                    long t0 = System.nanoTime();
                    for (int s = 0; s < steps; s++) {
                        int first = (s * batch) % (data.count() - batch + 1);
                        System.arraycopy(all, first * d, b, 0, batch * d);
                        model.trainStep(b, batch, 1e-3f);
                    }
                    seconds = (System.nanoTime() - t0) / 1e9;
                }
            }
            default -> throw new IllegalArgumentException("mode: jvm, engine or torch, got " + mode);
        }
        double[] after = MachineInfo.residentMib();
        System.out.printf(Locale.ROOT, "@@MEM before_mib %.1f%n", before[0]);
        System.out.printf(Locale.ROOT, "@@MEM peak_mib %.1f%n", after[0]);
        System.out.printf(Locale.ROOT, "@@MEM seconds_per_step %.4f%n", seconds / steps);
        System.out.flush();
    }
}
