package org.pixelcnn4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Turns {@link Results} into the JSON report and the Markdown tables (also printed). */
final class Report {

    private final Results results;
    private final Map<String, Object> json;
    private final int threads;
    private final int naiveRows;
    private final int likelihoodBatch;
    private final StringBuilder tables = new StringBuilder();

    Report(Results results, Map<String, Object> json, int threads, int naiveRows, int likelihoodBatch) {
        this.results = results;
        this.json = json;
        this.threads = threads;
        this.naiveRows = naiveRows;
        this.likelihoodBatch = likelihoodBatch;
    }

    // ------------------------------------------------------------------ sections

    void training(List<String> models, Function<String, int[]> batches) {
        List<Object> rows = new ArrayList<>();
        tables.append("\n### Training (images/s; Adam, float32)\n\n")
                .append("| model | batch | engine | LibTorch default | engine / default | LibTorch tuned | engine / tuned |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (String m : models) {
            for (int b : batches.apply(m)) {
                rows.add(versus("training/" + m + "/b" + b, m, b));
            }
        }
        json.put("training", rows);
    }

    void likelihood(List<String> models) {
        List<Object> rows = new ArrayList<>();
        tables.append("\n### Likelihood (images/s; per-image NLL, batch ").append(likelihoodBatch).append(")\n\n")
                .append("| model | batch | engine | LibTorch default | engine / default | LibTorch tuned | engine / tuned |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (String m : models) {
            rows.add(versus("likelihood/" + m + "/b" + likelihoodBatch, m, likelihoodBatch));
        }
        json.put("likelihood", rows);
    }

    void onnx(List<String> models, int[] batches) {
        List<Object> rows = new ArrayList<>();
        tables.append("\n### Scoring against ONNX Runtime (images/s; per-image NLL; graph optimisation ALL)\n\n")
                .append("| model | batch | engine | ONNX Runtime | engine / ONNX Runtime |\n")
                .append("| --- | ---: | ---: | ---: | ---: |\n");
        for (String m : models) {
            for (int b : batches) {
                String key = "onnx/" + m + "/b" + b;
                Results.Entry e = results.get(key, "engine");
                Results.Entry o = results.get(key, "onnxruntime");
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", m);
                row.put("batch", b);
                put(row, "engine", e);
                put(row, "onnxruntime", o);
                row.put("engine_over_onnxruntime", ratio(e, o));
                rows.add(row);
                tables.append("| ").append(m).append(" | ").append(b).append(" | ").append(rate(e)).append(" | ")
                        .append(rate(o)).append(" | ").append(x(ratio(e, o))).append(" |\n");
            }
        }
        json.put("onnx", rows);
    }

    /** One row engine vs LibTorch default and tuned; returns its JSON. */
    private Map<String, Object> versus(String key, String model, int batch) {
        Results.Entry e = results.get(key, "engine");
        Results.Entry t = results.get(key, "libtorch");
        Results.Entry te = results.get(key, "tuned:engine");
        Results.Entry tt = results.get(key, "tuned:libtorch");
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("model", model);
        row.put("batch", batch);
        put(row, "engine", e);
        put(row, "libtorch_default", t);
        row.put("engine_over_libtorch_default", ratio(e, t));
        put(row, "libtorch_tuned", tt);
        put(row, "engine_in_tuned_process", te);
        row.put("engine_over_libtorch_tuned", ratio(te, tt));
        tables.append("| ").append(model).append(" | ").append(batch).append(" | ").append(rate(e)).append(" | ")
                .append(rate(t)).append(" | ").append(x(ratio(e, t))).append(" | ").append(rate(tt)).append(" | ")
                .append(x(ratio(te, tt))).append(" |\n");
        return row;
    }

    void sampling(List<String> models, int[] batches) {
        List<Object> rows = new ArrayList<>();
        tables.append("\n### Sampling (images/s)\n\n")
                .append("| model | batch | engine cached | engine naive* | LibTorch naive* | LibTorch naive tuned* ")
                .append("| cached / LibTorch naive | cached / LibTorch tuned | engine naive / LibTorch naive ")
                .append("| engine cached, one batch | one engine forward | limit ratio |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (String m : models) {
            for (int b : batches) {
                String key = "sampling/" + m + "/b" + b;
                Results.Entry cached = results.get(key, "engine_cached");
                Results.Entry naive = results.get(key, "engine_naive");
                Results.Entry torch = results.get(key, "libtorch_naive");
                Results.Entry fwd = results.get(key, "engine_forward");
                Results.Entry tCached = results.get(key, "tuned:engine_cached");
                Results.Entry tTorch = results.get(key, "tuned:libtorch_naive");
                double limit = cached == null || fwd == null ? Double.NaN
                        : cached.stats().median() / fwd.stats().median();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", m);
                row.put("batch", b);
                put(row, "engine_cached", cached);
                put(row, "engine_naive", naive);
                put(row, "libtorch_naive_default", torch);
                put(row, "libtorch_naive_tuned", tTorch);
                put(row, "engine_cached_in_tuned_process", tCached);
                put(row, "engine_forward", fwd);
                row.put("cached_over_libtorch_naive_default", ratio(cached, torch));
                row.put("cached_over_libtorch_naive_tuned", ratio(tCached, tTorch));
                row.put("engine_naive_over_libtorch_naive_default", ratio(naive, torch));
                row.put("cached_over_engine_naive", ratio(cached, naive));
                row.put("limit_ratio", limit);
                rows.add(row);
                tables.append("| ").append(m).append(" | ").append(b).append(" | ").append(rate(cached))
                        .append(" | ").append(rate(naive)).append(" | ").append(rate(torch)).append(" | ")
                        .append(rate(tTorch)).append(" | ").append(x(ratio(cached, torch))).append(" | ")
                        .append(x(ratio(tCached, tTorch))).append(" | ").append(x(ratio(naive, torch)))
                        .append(" | ").append(cached == null ? "n/a" : Benchmark.fmt(cached.stats().median()) + " s")
                        .append(" | ").append(fwd == null ? "n/a" : Benchmark.fmt(fwd.stats().median()) + " s")
                        .append(" | ").append(Double.isFinite(limit) ? String.format("%.2f", limit) : "n/a")
                        .append(" |\n");
            }
        }
        tables.append("\n\\* Naive sampling (one full forward pass per pixel and channel) is timed on the first ")
                .append(naiveRows).append(naiveRows == 1 ? " row" : " rows")
                .append(" of each image and scaled to the whole image: every row costs the same W x C full ")
                .append("forward passes. Limit ratio: engine cached sampling time / one engine forward pass ")
                .append("(logLikelihood) of the same batch; 1.0 is the floor. Engine cached, one batch: the ")
                .append("time to sample the whole batch, at batch 1 the latency of one image.\n");
        json.put("sampling", rows);
        json.put("sampling_note", "naive sampling timed on the first " + naiveRows
                + " row(s) and scaled to the image (every row costs the same)");
    }

    @SuppressWarnings("unchecked")
    void efficiency(List<String> models, Function<String, int[]> batches) {
        Results.Entry gemm = results.get("efficiency/sgemm", "engine");
        if (gemm == null) {
            return;
        }
        Results.Entry gemmX = results.get("efficiency/sgemm", "skylakex:engine");
        Map<String, Object> blas = (Map<String, Object>) json.getOrDefault("openblas", Map.of());
        Object core = blas.getOrDefault("openblas_core", "unknown");
        double peak = gemm.rate();
        Map<String, Object> eff = new LinkedHashMap<>();
        eff.put("sgemm", "OpenBLAS cblas_sgemm 2048x2048x2048, " + threads + " threads");
        eff.put("openblas_core", core);
        eff.put("sgemm_gflops", Results.medianMinMax(peak / 1e9, gemm.rateMin() / 1e9, gemm.rateMax() / 1e9));
        if (gemmX != null) {
            eff.put("sgemm_gflops_with_OPENBLAS_CORETYPE_SkylakeX",
                    Results.medianMinMax(gemmX.rate() / 1e9, gemmX.rateMin() / 1e9, gemmX.rateMax() / 1e9));
        }
        List<Object> rows = new ArrayList<>();
        tables.append("\n### Efficiency (engine GFLOP/s on live taps / OpenBLAS sgemm GFLOP/s, same run)\n\n")
                .append(String.format("OpenBLAS sgemm 2048^3, %d threads, with the kernels OpenBLAS uses here (%s%s): "
                                + "%s GFLOP/s (%s to %s).", threads, core,
                        blas.get("openblas_coretype_env") == null ? ", autodetected"
                                : ", set by `OPENBLAS_CORETYPE=" + blas.get("openblas_coretype_env") + "` in the environment",
                        Benchmark.fmt(peak / 1e9),
                        Benchmark.fmt(gemm.rateMin() / 1e9), Benchmark.fmt(gemm.rateMax() / 1e9)));
        if (gemmX != null) {
            tables.append(String.format(" In a JVM started with `OPENBLAS_CORETYPE=SkylakeX` (AVX-512 kernels): "
                            + "%s GFLOP/s (%s to %s); the engine's figures there are in the last columns.",
                    Benchmark.fmt(gemmX.rate() / 1e9), Benchmark.fmt(gemmX.rateMin() / 1e9),
                    Benchmark.fmt(gemmX.rateMax() / 1e9)));
        }
        tables.append("\n\n| work | batch | engine images/s | GFLOP/s (live taps) | of sgemm |")
                .append(gemmX != null ? " SkylakeX: engine images/s | SkylakeX: of its sgemm |\n" : "\n")
                .append("| --- | ---: | ---: | ---: | ---: |").append(gemmX != null ? " ---: | ---: |\n" : "\n");
        List<String[]> work = new ArrayList<>();
        for (String m : models) {
            for (int b : batches.apply(m)) {
                work.add(new String[] {"training " + m, Integer.toString(b), "efficiency/training/" + m + "/b" + b});
            }
        }
        work.add(new String[] {"likelihood " + Models.FM_BINARY, Integer.toString(likelihoodBatch),
            "efficiency/likelihood/" + Models.FM_BINARY + "/b" + likelihoodBatch});
        for (String[] w : work) {
            Results.Entry e = results.get(w[2], "engine");
            if (e == null) {
                continue;
            }
            Results.Entry ex = results.get(w[2], "skylakex:engine");
            int b = Integer.parseInt(w[1]);
            double imagesPerSecond = b / e.stats().median();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("work", w[0]);
            row.put("batch", b);
            row.put("flops_per_image", e.units() / b);
            row.put("images_per_s", Results.medianMinMax(imagesPerSecond, b / e.stats().max(), b / e.stats().min()));
            row.put("gflops", e.rate() / 1e9);
            row.put("fraction_of_sgemm", e.rate() / peak);
            tables.append("| ").append(w[0]).append(" | ").append(b).append(" | ")
                    .append(cell(imagesPerSecond, b / e.stats().max(), b / e.stats().min())).append(" | ")
                    .append(Benchmark.fmt(e.rate() / 1e9)).append(" | ")
                    .append(String.format("%.0f%%", 100 * e.rate() / peak)).append(" |");
            if (gemmX != null) {
                if (ex != null) {
                    double ix = b / ex.stats().median();
                    row.put("skylakex_images_per_s", Results.medianMinMax(ix, b / ex.stats().max(), b / ex.stats().min()));
                    row.put("skylakex_gflops", ex.rate() / 1e9);
                    row.put("skylakex_fraction_of_its_sgemm", ex.rate() / gemmX.rate());
                    tables.append(' ').append(cell(ix, b / ex.stats().max(), b / ex.stats().min())).append(" | ")
                            .append(String.format("%.0f%%", 100 * ex.rate() / gemmX.rate())).append(" |");
                } else {
                    tables.append(" n/a | n/a |");
                }
            }
            tables.append('\n');
            rows.add(row);
        }
        eff.put("rows", rows);
        json.put("efficiency", eff);
    }

    @SuppressWarnings("unchecked")
    void memory() {
        Map<String, Object> m = (Map<String, Object>) json.get("memory");
        if (m == null) {
            return;
        }
        tables.append("\n### Peak resident memory (VmHWM of a JVM of its own, fm-binary training, batch 32)\n\n")
                .append("| process | peak RSS | RSS before training | s/step |\n| --- | ---: | ---: | ---: |\n");
        String[][] rows = {{"jvm_only", "JVM only (data loaded, nothing else)"}, {"engine", "engine only"},
            {"libtorch_default", "LibTorch default"}, {"libtorch_tuned", "LibTorch tuned"}};
        for (String[] r : rows) {
            Map<String, Object> p = (Map<String, Object>) m.get(r[0]);
            if (p == null) {
                continue;
            }
            tables.append("| ").append(r[1]).append(" | ").append(mib(p.get("peak_mib"))).append(" | ")
                    .append(mib(p.get("before_mib"))).append(" | ")
                    .append(r[0].equals("jvm_only") ? "" : Benchmark.fmt((Double) p.get("seconds_per_step")))
                    .append(" |\n");
        }
    }

    @SuppressWarnings("unchecked")
    void scaling() {
        Map<String, Object> s = (Map<String, Object>) json.get("scaling");
        if (s == null) {
            return;
        }
        Map<String, Object> batch = (Map<String, Object>) s.get("training_vs_batch");
        Map<String, Object> pixels = (Map<String, Object>) s.get("training_vs_pixels");
        Map<String, Object> hidden = (Map<String, Object>) s.get("training_vs_hidden");
        Map<String, Object> sampling = (Map<String, Object>) s.get("sampling_vs_pixels");
        tables.append("\n### How cost grows (log-log slopes; charts: scaling_*.png beside this file)\n\n")
                .append("| curve | slope |\n| --- | ---: |\n")
                .append("| engine training time per step vs batch size (fm-binary) | ")
                .append(slope(batch.get("engine_slope"))).append(" |\n");
        if (batch.containsKey("libtorch_slope")) {
            tables.append("| LibTorch default training time per step vs batch size | ")
                    .append(slope(batch.get("libtorch_slope"))).append(" |\n");
        }
        tables.append("| engine training time per step vs pixels (16x16 to 64x64) | ")
                .append(slope(pixels.get("engine_slope"))).append(" |\n")
                .append("| engine training time per step vs hidden channels | ")
                .append(slope(hidden.get("engine_slope"))).append(" |\n")
                .append("| engine cached sampling time per image vs pixels | ")
                .append(slope(sampling.get("cached_slope"))).append(" |\n")
                .append("| engine naive sampling time per image vs pixels | ")
                .append(slope(sampling.get("naive_slope"))).append(" |\n");
    }

    // ------------------------------------------------------------------ output

    @SuppressWarnings("unchecked")
    String markdown(boolean quick) {
        Map<String, Object> m = (Map<String, Object>) json.get("machine");
        Map<String, Object> settings = (Map<String, Object>) json.get("settings");
        StringBuilder sb = new StringBuilder("## pixelcnn4j benchmark").append(quick ? " (--quick)" : "").append("\n\n");
        sb.append(String.format("Machine: %s, %s cores (%s logical CPUs), %s GiB; %d threads for the engine, "
                        + "LibTorch and OpenBLAS; %s.%n%n", m.get("cpu"), m.get("cores"), m.get("logical_cpus"),
                m.get("memory_gib"), threads, m.get("date")));
        sb.append(String.format("Versions: engine %s (git %s; %s; %s); LibTorch %s (JavaCPP presets %s); OpenBLAS %s; "
                        + "JavaCPP %s; %s; %s.%n%n", m.get("engine"), m.get("git"), m.get("engine_blas"),
                m.get("engine_blas_setup"), m.get("libtorch"),
                m.get("pytorch_presets"), m.get("openblas"), m.get("javacpp"), m.get("java"), m.get("os")));
        sb.append(String.format("Method: each figure is the median of %s repetitions after a warm-up, with (min to "
                        + "max); engine and LibTorch run interleaved (A B A B) in one process, from the same "
                        + "initial weights and data. Ratios are engine / LibTorch throughput at the medians. "
                        + "Training, likelihood and sampling run in two child JVMs started alike: *LibTorch "
                        + "default* in one without the allocator variables, *LibTorch tuned* in one with %s; "
                        + "each ratio uses the engine measured interleaved in the same process. ONNX Runtime "
                        + "(graph optimisation ALL, the same intra-op threads) runs interleaved with the engine "
                        + "in the parent JVM.%n", settings.get("repetitions"),
                envString((Map<String, String>) settings.get("tuned_env"))));
        Map<String, Object> load = (Map<String, Object>) settings.get("sections_load");
        if (load != null && !load.isEmpty()) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            double steal = 0;
            for (Object o : load.values()) {
                Map<String, Object> l = (Map<String, Object>) o;
                for (String k : new String[] {"load_average_1min_before", "load_average_1min_after"}) {
                    double v = (Double) l.get(k);
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                double st = (Double) l.get("cpu_steal_seconds");
                steal += Double.isFinite(st) ? st : 0;
            }
            sb.append(String.format("%nMachine load during the run: 1-minute load average between %.2f and %.2f "
                    + "(this process included, %s logical CPUs), %.1f s of CPU time stolen by the hypervisor; "
                    + "a wide min-to-max says the machine was noisy.%n", lo, hi, m.get("logical_cpus"), steal));
        }
        sb.append(tables);
        return sb.toString();
    }

    private static String envString(Map<String, String> env) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(env).entrySet()) {
            sb.append(sb.length() == 0 ? "" : " ").append('`').append(e.getKey()).append('=').append(e.getValue())
                    .append('`');
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ cells

    private static void put(Map<String, Object> row, String name, Results.Entry e) {
        if (e != null) {
            row.put(name, e.toJson("images_per_s"));
        }
    }

    private static double ratio(Results.Entry a, Results.Entry b) {
        return a == null || b == null ? Double.NaN : a.rate() / b.rate();
    }

    private static String rate(Results.Entry e) {
        return e == null ? "n/a" : cell(e.rate(), e.rateMin(), e.rateMax());
    }

    private static String cell(double median, double min, double max) {
        return Benchmark.fmt(median) + " (" + Benchmark.fmt(min) + " to " + Benchmark.fmt(max) + ")";
    }

    private static String x(double r) {
        return Double.isFinite(r) ? Benchmark.fmt(r) + "x" : "n/a";
    }

    private static String mib(Object v) {
        return v instanceof Double d && Double.isFinite(d) ? String.format("%.0f MiB", d) : "n/a";
    }

    private static String slope(Object v) {
        return v instanceof Double d && Double.isFinite(d) ? String.format("%.2f", d) : "n/a";
    }
}
