package org.pixelcnn4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;

/** Facts about the machine and the software versions, for the report. */
final class MachineInfo {

    private MachineInfo() {
    }

    static Map<String, Object> collect(int threads) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")));
        m.put("cpu", cpuModel());
        m.put("cores", physicalCores());
        m.put("logical_cpus", Runtime.getRuntime().availableProcessors());
        m.put("threads", threads);
        m.put("memory_gib", memoryGib());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("engine", org.pixelcnn4j.engine.global.pixelcnn.version());
        m.put("git", git());
        m.put("javacpp", jarVersion("javacpp"));
        m.put("openblas", openblasVersion());
        m.put("pytorch_presets", jarVersion("pytorch"));
        m.put("libtorch", libtorchVersion());
        return m;
    }

    static String cpuModel() {
        for (String line : lines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return System.getProperty("os.arch");
    }

    /** The CPU's feature flags (first "flags" line of /proc/cpuinfo), space-separated. */
    static String cpuFlags() {
        for (String line : lines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("flags")) {
                return " " + line.substring(line.indexOf(':') + 1).trim() + " ";
            }
        }
        return "";
    }

    /** Distinct (physical id, core id) pairs of /proc/cpuinfo; logical CPUs if not listed. */
    static int physicalCores() {
        Set<String> cores = new HashSet<>();
        String physical = "0";
        for (String line : lines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("physical id")) {
                physical = line.substring(line.indexOf(':') + 1).trim();
            } else if (line.startsWith("core id")) {
                cores.add(physical + "/" + line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return cores.isEmpty() ? Runtime.getRuntime().availableProcessors() : cores.size();
    }

    private static double memoryGib() {
        for (String line : lines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                return Math.round(kb / 1048576.0 * 10) / 10.0;
            }
        }
        return Double.NaN;
    }

    private static String openblasVersion() {
        try {
            Loader.load(openblas_nolapack.class);
            return openblas_nolapack.OPENBLAS_VERSION.trim().replaceFirst("^OpenBLAS ", "") + " (presets " + jarVersion("openblas") + ")";
        } catch (Throwable t) {
            return jarVersion("openblas");
        }
    }

    private static String libtorchVersion() {
        try {
            String config = torch.show_config().getString();
            Matcher v = Pattern.compile("TORCH_VERSION=([^,\\s]+)").matcher(config);
            String version = v.find() ? v.group(1) : jarVersion("pytorch");
            Matcher dnn = Pattern.compile("oneDNN v?([0-9.]+)").matcher(config);
            return version + (dnn.find() ? ", oneDNN " + dnn.group(1) : "");
        } catch (Throwable t) {
            return jarVersion("pytorch");
        }
    }

    /** The version of a Maven artifact on the class path, from its jar name. */
    static String jarVersion(String artifact) {
        Pattern p = Pattern.compile("/" + Pattern.quote(artifact) + "-([0-9][^/]*?)\\.jar$");
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Matcher m = p.matcher(entry);
            if (m.find()) {
                return m.group(1);
            }
        }
        return "unknown";
    }

    private static String git() {
        try {
            Process p = new ProcessBuilder("git", "describe", "--always", "--dirty").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /**
     * The 1-minute load average and the CPU time stolen by the hypervisor so far (seconds, all
     * CPUs), to tell a noisy run from a quiet one.
     */
    static double[] load() {
        double avg = Double.NaN;
        double steal = Double.NaN;
        List<String> l = lines(Path.of("/proc/loadavg"));
        if (!l.isEmpty()) {
            avg = Double.parseDouble(l.get(0).split(" ")[0]);
        }
        for (String line : lines(Path.of("/proc/stat"))) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 8) {
                    steal = Long.parseLong(f[8]) / 100.0; // USER_HZ is 100 on Linux
                }
                break;
            }
        }
        return new double[] {avg, steal};
    }

    /** Peak and current resident memory of this process in MiB, from /proc/self/status. */
    static double[] residentMib() {
        double hwm = Double.NaN;
        double rss = Double.NaN;
        for (String line : lines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                hwm = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            } else if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return new double[] {hwm, rss};
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
    }
}
