package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.data.TestImages;
import org.pixelcnn4j.engine.global.pixelcnn;

/**
 * Devices: the CPU, and CUDA devices where this engine and machine have them. On a machine
 * without a usable GPU (this build's machines: the CPU jar, or the -gpu jar with no driver) it
 * checks that asking for one says why; with a GPU, that a model computes there and moves between
 * CPU and GPU through a checkpoint with the same likelihoods.
 */
class DeviceTest {
    @TempDir
    Path dir;

    @Test
    void cpuDevicesAndParsing() {
        assertEquals("cpu", Device.cpu().toString());
        assertEquals(Device.cpu(3), Device.parse("cpu:3"));
        assertEquals(Device.cpu(), Device.parse(" cpu "));
        assertFalse(Device.cpu().isCuda());
        assertEquals(-1, Device.cpu(2).cudaIndex());
        for (String bad : new String[] {"", "tpu", "cuda:x", "cpu:-1", "cuda:", "cpu:2000"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse(bad), bad);
            assertTrue(e.getMessage().contains("expected"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
    }

    @Test
    void cudaSaysWhyItCannotBeHad() {
        List<Device.CudaDevice> devices = Device.cudaDevices();
        String reason = Device.cudaUnavailableReason();
        if (!devices.isEmpty()) {
            assertEquals("", reason);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Device.cuda(devices.size()));
            assertTrue(e.getMessage().contains("no such device"), e.getMessage());
            return;
        }
        if (pixelcnn.cuda_built()) {
            assertTrue(reason.contains("driver") || reason.contains("no GPU"), reason);
        } else {
            assertTrue(reason.contains("built without the CUDA backend") && reason.contains("linux-x86_64-gpu"),
                    reason);
            assertFalse(EngineInfo.version().contains("cuda"), EngineInfo.version());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Device.cuda(0));
        assertEquals("cuda:0: " + reason, e.getMessage());
        // The CPU is unaffected.
        try (PixelCnn model = PixelCnn.create(tiny(), Device.cpu(1))) {
            assertEquals("cpu(1 threads)", model.device().toString());
        }
    }

    @Test
    void modelsMoveBetweenCpuAndGpuThroughCheckpoints() throws Exception {
        if (Device.cudaDevices().isEmpty()) {
            return;  // covered by cudaSaysWhyItCannotBeHad; the GPU itself by native/tests/test_cuda.cpp
        }
        Images images = Images.of(TestImages.bars(8, 8, 3), 8, 1, 8, 8);
        Path file = dir.resolve("m.safetensors");
        double[] onCpu;
        try (PixelCnn cpu = PixelCnn.create(tiny(), Device.cpu(1))) {
            cpu.save(file);
            onCpu = cpu.logLikelihood(images).natsArray();
        }
        try (PixelCnn gpu = PixelCnn.load(file, Device.cuda(0))) {
            assertEquals("cuda:0", gpu.device().toString());
            double[] onGpu = gpu.logLikelihood(images).natsArray();
            for (int i = 0; i < onCpu.length; i++) {
                assertEquals(onCpu[i], onGpu[i], 1e-5 * Math.abs(onCpu[i]));
            }
            gpu.save(file);
        }
        try (PixelCnn back = PixelCnn.load(file)) {
            assertArrayEquals(onCpu, back.logLikelihood(images).natsArray(), 0.0);
        }
    }

    private static PixelCnnConfig tiny() {
        return PixelCnnConfig.builder().setImageShape(1, 8, 8).optHiddenChannels(4).optResidualChannels(2)
                .optHeadChannels(4).optBlocks(1).optInputKernel(3).build();
    }
}
