package org.pixelcnn4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.pixelcnn4j.engine.global.pixelcnn;

/**
 * Where a model computes: the CPU (on a number of threads) or an NVIDIA GPU through CUDA.
 *
 * <pre>{@code
 * PixelCnn model = PixelCnn.create(config, Device.cpu(4));
 * if (!Device.cudaDevices().isEmpty()) {
 *     PixelCnn onGpu = PixelCnn.create(config, Device.cuda(0));
 * }
 * }</pre>
 *
 * <p>The GPU needs the engine built with CUDA, the {@code linux-x86_64-gpu} classifier jar (it
 * links the CUDA runtime statically: an NVIDIA driver is all the machine needs), and an NVIDIA
 * driver for CUDA 13.0 or newer. That jar runs on the CPU as usual on a machine without either;
 * only {@link #cuda(int)} says why it cannot be had. A model moves between devices through a
 * checkpoint: {@code PixelCnn.load(file, Device.cuda(0))} of a file a CPU model saved, or back.
 */
public final class Device {
    /** One CUDA device: its index (as in {@code cuda:0}), name, memory and compute capability. */
    public record CudaDevice(int index, String name, long memoryBytes, int computeCapabilityMajor,
            int computeCapabilityMinor) {
        @Override
        public String toString() {
            return String.format("cuda:%d (%s, %.1f GiB, compute capability %d.%d)", index, name,
                    memoryBytes / (double) (1L << 30), computeCapabilityMajor, computeCapabilityMinor);
        }
    }

    private final int threads;
    private final int cudaIndex;  // -1: the CPU

    private Device(int threads, int cudaIndex) {
        this.threads = threads;
        this.cudaIndex = cudaIndex;
    }

    /** @return the CPU with all hardware threads */
    public static Device cpu() {
        return new Device(0, -1);
    }

    /**
     * @param threads worker threads, positive (0 = all hardware threads)
     * @return the CPU with that many threads
     * @throws IllegalArgumentException if threads is negative or above 1024
     */
    public static Device cpu(int threads) {
        if (threads < 0 || threads > 1024) {
            throw new IllegalArgumentException(
                    "threads: expected 0 (all hardware threads) or 1..1024, got " + threads);
        }
        return new Device(threads, -1);
    }

    /**
     * @param index the device's index, as {@link #cudaDevices()} lists them
     * @return CUDA device {@code index}
     * @throws IllegalStateException when no CUDA device can be used: this engine was built without
     *     CUDA (the plain classifier jar), there is no NVIDIA driver (or one too old), or no GPU;
     *     the message says which
     * @throws IllegalArgumentException when index is negative or names no device of this machine
     */
    public static Device cuda(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("cuda: expected a device index >= 0, got " + index);
        }
        NativeLoader.load();
        int count = pixelcnn.cuda_device_count();
        if (count == 0) {
            throw new IllegalStateException("cuda:" + index + ": " + pixelcnn.cuda_unavailable_reason());
        }
        if (index >= count) {
            throw new IllegalArgumentException("cuda:" + index + ": no such device; this machine has " + count
                    + (count == 1 ? " CUDA device (cuda:0)" : " CUDA devices (cuda:0 .. cuda:" + (count - 1) + ")"));
        }
        return new Device(0, index);
    }

    /**
     * Parses "cpu", "cpu:N" (N threads) or "cuda:N", as the command-line tool's {@code --device} takes.
     *
     * @param spec the device
     * @return that device
     * @throws IllegalArgumentException for anything else (and as {@link #cuda(int)} throws)
     */
    public static Device parse(String spec) {
        String s = spec == null ? "" : spec.trim();
        try {
            if (s.equals("cpu")) {
                return cpu();
            }
            if (s.startsWith("cpu:")) {
                return cpu(Integer.parseInt(s.substring(4)));
            }
            if (s.equals("cuda") || s.equals("gpu")) {
                return cuda(0);
            }
            if (s.startsWith("cuda:")) {
                return cuda(Integer.parseInt(s.substring(5)));
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("device: expected cpu, cpu:THREADS or cuda:INDEX, got \"" + spec + "\"");
    }

    /**
     * @return the CUDA devices this engine can compute on; empty without the CUDA backend, a
     *     driver or a GPU ({@link #cudaUnavailableReason()} says which)
     */
    public static List<CudaDevice> cudaDevices() {
        NativeLoader.load();
        List<CudaDevice> devices = new ArrayList<>();
        int count = pixelcnn.cuda_device_count();
        for (int i = 0; i < count; i++) {
            int capability = pixelcnn.cuda_device_capability(i);
            devices.add(new CudaDevice(i, pixelcnn.cuda_device_name(i), pixelcnn.cuda_device_memory(i),
                    capability / 10, capability % 10));
        }
        return Collections.unmodifiableList(devices);
    }

    /** @return why no CUDA device can be used, or "" when one can */
    public static String cudaUnavailableReason() {
        NativeLoader.load();
        return pixelcnn.cuda_unavailable_reason();
    }

    /** @return worker threads on the CPU; 0 means all hardware threads (0 for a GPU too) */
    public int threads() {
        return threads;
    }

    /** @return whether this is a CUDA device */
    public boolean isCuda() {
        return cudaIndex >= 0;
    }

    /** @return the CUDA device's index, or -1 for the CPU */
    public int cudaIndex() {
        return cudaIndex;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.threads == threads && d.cudaIndex == cudaIndex;
    }

    @Override
    public int hashCode() {
        return 31 * threads + cudaIndex;
    }

    @Override
    public String toString() {
        if (cudaIndex >= 0) {
            return "cuda:" + cudaIndex;
        }
        return threads == 0 ? "cpu" : "cpu(" + threads + " threads)";
    }
}
