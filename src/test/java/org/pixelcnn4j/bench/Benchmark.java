package org.pixelcnn4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.pixelcnn4j.Cancellation;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.EngineInfo;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.SamplingConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.oracle.TorchPixelCnn;

/**
 * The pixelcnn4j benchmark (see docs/BENCHMARKS.md): the engine against the same model in
 * LibTorch, side by side in one run, same threads, same data, same initial weights; each figure
 * the median of several repetitions after a warm-up, engine and LibTorch interleaved (A B A B),
 * with min and max. The tuned LibTorch baseline (allocator environment variables, which act at
 * process start) runs in a child JVM started with them; the peak memory figures come from child
 * JVMs of their own ({@link MemoryProbe}).
 *
 * <p>Run it with {@code bench/run.sh} (which builds, runs this and draws the charts). A main
 * class in the test sources, never run by {@code mvn install}.
 *
 * <pre>
 * Benchmark [--quick] [--only training,likelihood,sampling,efficiency,memory,scaling]
 *           [--threads N] [--reps N] [--naive-rows N] [--out DIR]
 * </pre>
 */
public final class Benchmark {

    static final List<String> SECTIONS =
            List.of("training", "likelihood", "onnx", "sampling", "efficiency", "memory", "scaling");
    /** Sections whose LibTorch part is repeated in the tuned child process. */
    static final List<String> TUNED_SECTIONS = List.of("training", "likelihood", "sampling");
    /** The tuned allocator settings of BENCHMARKS.md, for the child process's environment. */
    static final Map<String, String> TUNED_ENV = new java.util.TreeMap<>(Map.of(
            "MALLOC_MMAP_THRESHOLD_", "33554432",
            "MALLOC_TRIM_THRESHOLD_", "17179869184",
            "THP_MEM_ALLOC_ENABLE", "1"));
    private static final float LR = 1e-3f;
    private static final int GEMM_N = 2048;
    private static final long GEMM_SETTLE_MS = Long.getLong("bench.gemmSettleMs", 400);

    // ------------------------------------------------------------------ options

    private boolean quick;
    private final Set<String> sections = new LinkedHashSet<>();
    private int threads = Runtime.getRuntime().availableProcessors();
    /** Reference models to run (--models); null: all of each section's. */
    private List<String> models;
    private int reps = -1;
    private int naiveRows = 1;
    private Path out;
    /**
     * Set in a child process, "default" or "tuned" (its LibTorch's environment): print results as
     * {@code @@R} lines for the parent, no report. Null in the parent.
     */
    private String libtorchChild;
    /** The tuned child only: its engine's naive sampling would repeat the default child's. */
    private boolean tunedChild;
    private boolean blasChild;
    private String blasSetup;

    // ------------------------------------------------------------------ state

    private Results results;
    private final Map<String, Object> report = new LinkedHashMap<>();
    private final Map<String, Object> weightChecks = new LinkedHashMap<>();
    private final Map<String, Double> sectionSeconds = new LinkedHashMap<>();
    private final Map<String, Object> sectionLoad = new LinkedHashMap<>();

    private Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Benchmark b = new Benchmark();
        b.parse(args);
        b.run();
        System.exit(0); // LibTorch's and OpenBLAS's threads must not keep the JVM alive
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only" -> {
                    for (String s : args[++i].split(",")) {
                        if (!SECTIONS.contains(s)) {
                            throw new IllegalArgumentException("--only: one of " + SECTIONS + ", got " + s);
                        }
                        sections.add(s);
                    }
                }
                case "--models" -> models = List.of(args[++i].split(","));
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--naive-rows" -> naiveRows = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--child" -> {
                    libtorchChild = args[++i];
                    if (!libtorchChild.equals("default") && !libtorchChild.equals("tuned")) {
                        throw new IllegalArgumentException("--child: default or tuned, got " + libtorchChild);
                    }
                    tunedChild = libtorchChild.equals("tuned");
                }
                case "--blas-child" -> blasChild = true;
                case "-h", "--help" -> {
                    System.out.println("Benchmark [--quick] [--only " + String.join(",", SECTIONS)
                            + "] [--threads N] [--reps N] [--naive-rows N] [--out DIR]");
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be positive");
        }
        if (reps < 0) {
            reps = quick ? 3 : 5;
        }
        if (reps < 1 || naiveRows < 1) {
            throw new IllegalArgumentException("--reps and --naive-rows must be positive");
        }
        if (sections.isEmpty()) {
            sections.addAll(SECTIONS);
        }
        if (out == null) {
            boolean partial = quick || sections.size() < SECTIONS.size();
            out = Path.of(partial ? "bench/results/partial" : "bench/results");
        }
    }

    // ------------------------------------------------------------------ sizes

    private List<String> trainingModels() {
        return selected(Models.FM_BINARY, Models.FM_256, Models.RGB_32, Models.FM_GATED);
    }

    /** The models the ONNX export covers: the plain network's. */
    private List<String> onnxModels() {
        return selected(Models.FM_BINARY, Models.FM_256, Models.RGB_32);
    }

    private List<String> samplingModels() {
        return selected(Models.FM_BINARY, Models.FM_256, Models.FM_GATED);
    }

    private List<String> selected(String... names) {
        return java.util.Arrays.stream(names).filter(n -> models == null || models.contains(n)).toList();
    }

    private int[] trainingBatches(String model) {
        if (quick || model.equals(Models.RGB_32)) {
            return new int[] {32};
        }
        return new int[] {32, 128};
    }

    private int likelihoodBatch() {
        return quick ? 64 : 256;
    }

    private int[] samplingBatches() {
        return quick ? new int[] {1, 16} : new int[] {1, 16, 64};
    }

    /** Seconds a timed repetition should last at least (short work is repeated within one). */
    private double minRepSeconds() {
        return quick ? 0.2 : 0.4;
    }

    /**
     * Untimed interleaved rounds before the timed ones, beyond the calibrating run. LibTorch tuned
     * (no heap trimming, transparent huge pages) grows its heap over its first steps: after one
     * calibrating run its batch-32 steps took 0.91, 0.64 and 0.56 s in one run, and timed from
     * there the tuned baseline looked slower than the default one, which pays its page faults
     * every step alike (0.44, 0.42, 0.43 s).
     */
    private int warmupRounds() {
        return quick ? 1 : 3;
    }

    // ------------------------------------------------------------------ driver

    private void run() throws Exception {
        results = new Results(libtorchChild != null || blasChild);
        // The engine first, as in an application: it may choose OpenBLAS's kernels before OpenBLAS
        // loads (EngineInfo.blasSetup), which the OpenBLAS presets or LibTorch loading first would
        // prevent.
        blasSetup = EngineInfo.blasSetup();
        Loader.load(openblas_nolapack.class);
        if (libtorchChild != null || blasChild) {
            for (String s : sections) {
                runSection(s);
            }
            return;
        }
        Map<String, Object> machine = MachineInfo.collect(threads);
        machine.put("engine_blas", EngineInfo.blas());
        machine.put("engine_blas_setup", blasSetup);
        report.put("machine", machine);
        System.out.println("pixelcnn4j benchmark: " + machine.get("cpu") + ", " + machine.get("cores")
                + " cores, " + threads + " threads, " + machine.get("date"));
        System.out.println("  engine " + machine.get("engine") + " [" + machine.get("engine_blas") + "; "
                + blasSetup + "], LibTorch " + machine.get("libtorch")
                + ", OpenBLAS " + machine.get("openblas") + ", " + machine.get("java"));
        System.out.println("  sections " + sections + ", " + reps + " repetitions after a warm-up"
                + (quick ? " (--quick)" : "") + "; results to " + out);
        long start = System.nanoTime();
        // The sections with a LibTorch baseline run in two child JVMs started alike, one with the
        // tuned allocator environment and one without it, so that nothing but the environment
        // differs between "default" and "tuned" (a long-lived parent JVM that has loaded and run
        // other models is not a fair stand-in for a fresh one). Everything else runs here.
        List<String> withBaseline = new ArrayList<>();
        for (String s : sections) {
            if (TUNED_SECTIONS.contains(s)) {
                withBaseline.add(s);
            } else {
                runSection(s);
            }
        }
        if (!withBaseline.isEmpty()) {
            for (String child : List.of("default", "tuned")) {
                long t0 = System.nanoTime();
                runLibtorchChild(child, withBaseline);
                sectionSeconds.put(child + " LibTorch (child process)", (System.nanoTime() - t0) / 1e9);
            }
        }
        double total = (System.nanoTime() - start) / 1e9;
        writeReport(total);
    }

    private void runSection(String s) throws Exception {
        System.out.println();
        System.out.println("== " + s + (libtorchChild != null ? " (" + libtorchChild + " LibTorch process)" : "")
                + (blasChild ? " (OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE") + ")" : ""));
        long t0 = System.nanoTime();
        double[] before = MachineInfo.load();
        switch (s) {
            case "training" -> training();
            case "likelihood" -> likelihood();
            case "onnx" -> onnx();
            case "sampling" -> sampling();
            case "efficiency" -> efficiency();
            case "memory" -> memory();
            case "scaling" -> scaling();
            default -> throw new IllegalStateException(s);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double[] after = MachineInfo.load();
        sectionSeconds.put(s, secs);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("seconds", secs);
        info.put("load_average_1min_before", before[0]);
        info.put("load_average_1min_after", after[0]);
        info.put("cpu_steal_seconds", after[1] - before[1]);
        sectionLoad.put(s, info);
        System.out.printf("   (%s took %.0f s; 1-minute load average %.2f before, %.2f after; CPU steal %.1f s)%n",
                s, secs, before[0], after[0], after[1] - before[1]);
    }

    // ------------------------------------------------------------------ sections

    private void training() throws Exception {
        for (String name : trainingModels()) {
            PixelCnnConfig c = Models.config(name);
            for (int b : trainingBatches(name)) {
                Images data = Models.data(c, Math.max(4 * b, 512));
                byte[] all = data.toArray();
                try (PixelCnn engine = PixelCnn.create(c, Device.cpu(threads));
                     TorchPixelCnn torch = Models.torchTwin(engine, threads)) {
                    checkWeights(name, engine, torch, data);
                    Stats[] s = trainPair(engine, torch, data, all, b, true);
                    String key = "training/" + name + "/b" + b;
                    results.put(key, "engine", s[0], b);
                    results.put(key, "libtorch", s[1], b);
                    progress("training " + name + " batch " + b, "s/step", s[0], s[1]);
                }
            }
        }
    }

    /** Engine and LibTorch training steps, calibrated and interleaved; seconds per step. */
    private Stats[] trainPair(PixelCnn engine, TorchPixelCnn torch, Images data, byte[] all, int b,
                              boolean withTorch) throws Exception {
        TrainingConfig step = TrainingConfig.builder().setSteps(1).optBatchSize(b).optLearningRate(LR).build();
        Timing.Rep e = Timing.calibrated(minRepSeconds(), 20, () -> engine.train(data, step, null));
        if (!withTorch) {
            return Timing.interleaved(0, reps, e);
        }
        int d = engine.config().dimensions();
        byte[] batch = new byte[b * d];
        int[] cursor = {0};
        int count = data.count();
        Timing.Rep t = Timing.calibrated(minRepSeconds(), 20, () -> {
            int first = cursor[0];
            cursor[0] = (first + b) % (count - b + 1);
            System.arraycopy(all, first * d, batch, 0, b * d);
            torch.trainStep(batch, b, LR);
        });
        return Timing.interleaved(warmupRounds(), reps, e, t);
    }

    /** Batches of the ONNX Runtime comparison: one image, a small batch, a large one. */
    private int[] onnxBatches() {
        return quick ? new int[] {1, 16, 64} : new int[] {1, 16, 256};
    }

    /**
     * Scoring against ONNX Runtime, the other way to score a trained model from Java: the same
     * weights exported to ONNX ({@link OnnxExport}), run by its Java API in this JVM with graph
     * optimisation level ALL and as many intra-op threads as the engine has, interleaved with the
     * engine; the NLLs must agree first.
     */
    private void onnx() throws Exception {
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        for (String name : onnxModels()) {
            PixelCnnConfig c = Models.config(name);
            try (PixelCnn engine = PixelCnn.create(c, Device.cpu(threads));
                 ai.onnxruntime.OrtSession.SessionOptions options = new ai.onnxruntime.OrtSession.SessionOptions()) {
                options.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.setIntraOpNumThreads(threads);
                options.setInterOpNumThreads(1);
                try (ai.onnxruntime.OrtSession session = env.createSession(OnnxExport.nllModel(engine), options)) {
                    for (int b : onnxBatches()) {
                        Images batch = Models.data(c, b);
                        byte[] bytes = batch.toArray();
                        float[] values = new float[bytes.length];
                        for (int i = 0; i < bytes.length; i++) {
                            values[i] = bytes[i] & 0xFF;
                        }
                        long[] shape = {b, c.channels(), c.height(), c.width()};
                        java.util.function.Supplier<float[]> ort = () -> {
                            try (ai.onnxruntime.OnnxTensor in = ai.onnxruntime.OnnxTensor.createTensor(env,
                                    java.nio.FloatBuffer.wrap(values), shape);
                                 ai.onnxruntime.OrtSession.Result r = session.run(Map.of("images", in))) {
                                return (float[]) r.get(0).getValue();
                            } catch (ai.onnxruntime.OrtException e) {
                                throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
                            }
                        };
                        checkOnnx(name, b, engine.logLikelihood(batch), ort.get());
                        Timing.Rep e = Timing.calibrated(minRepSeconds(), 50, () -> engine.logLikelihood(batch));
                        Timing.Rep t = Timing.calibrated(minRepSeconds(), 50, ort::get);
                        Stats[] s = Timing.interleaved(warmupRounds(), reps, e, t);
                        String key = "onnx/" + name + "/b" + b;
                        results.put(key, "engine", s[0], b);
                        results.put(key, "onnxruntime", s[1], b);
                        progress("scoring " + name + " batch " + b, "s/batch", s[0], "ONNX Runtime", s[1]);
                    }
                }
            }
        }
    }

    /** The peer must compute the same NLLs: ONNX Runtime sums them in float, the engine in double. */
    private void checkOnnx(String name, int b, Likelihood engine, float[] ort) {
        double worst = 0;
        for (int i = 0; i < b; i++) {
            worst = Math.max(worst, Math.abs(engine.nats(i) - ort[i]) / Math.max(1.0, Math.abs(engine.nats(i))));
        }
        weightChecks.put("onnx/" + name + "/b" + b, worst);
        if (!(worst < 1e-4)) {
            throw new IllegalStateException("ONNX Runtime's NLLs differ from the engine's by " + worst
                    + " (relative) for " + name + " at batch " + b + ": the export is wrong");
        }
    }

    private void likelihood() throws Exception {
        int b = likelihoodBatch();
        for (String name : trainingModels()) {
            PixelCnnConfig c = Models.config(name);
            Images batch = Models.data(c, b);
            byte[] bytes = batch.toArray();
            try (PixelCnn engine = PixelCnn.create(c, Device.cpu(threads));
                 TorchPixelCnn torch = Models.torchTwin(engine, threads)) {
                checkWeights(name, engine, torch, batch);
                Timing.Rep e = Timing.calibrated(minRepSeconds(), 20, () -> engine.logLikelihood(batch));
                Timing.Rep t = Timing.calibrated(minRepSeconds(), 20, () -> torch.perImageNll(bytes, b));
                Stats[] s = Timing.interleaved(warmupRounds(), reps, e, t);
                String key = "likelihood/" + name + "/b" + b;
                results.put(key, "engine", s[0], b);
                results.put(key, "libtorch", s[1], b);
                progress("likelihood " + name + " batch " + b, "s/batch", s[0], s[1]);
            }
        }
    }

    private void sampling() throws Exception {
        for (String name : samplingModels()) {
            PixelCnnConfig c = Models.config(name);
            int h = c.height();
            for (int b : samplingBatches()) {
                Images batch = Models.data(c, b);
                try (PixelCnn engine = PixelCnn.create(c, Device.cpu(threads));
                     TorchPixelCnn torch = Models.torchTwin(engine, threads)) {
                    SamplingConfig cached = SamplingConfig.builder().optSeed(7).optBatchSize(b).build();
                    Timing.Rep cachedRep = Timing.calibrated(minRepSeconds(), 50, () -> engine.sample(b, cached));
                    Timing.Rep forwardRep = Timing.calibrated(minRepSeconds(), 50, () -> engine.logLikelihood(batch));
                    // naive: time naiveRows rows and scale to the image (every row costs W*C full passes)
                    double scale = (double) h / naiveRows;
                    Timing.Rep engineNaive = () -> engineNaiveRows(engine, b, naiveRows) * scale;
                    byte[] work = new byte[b * c.dimensions()];
                    Timing.Rep torchNaive = () -> Timing.time(() -> {
                        Arrays.fill(work, (byte) 0);
                        TorchNaiveSampler.sampleRows(torch, work, b, 0, naiveRows, 7);
                    }) * scale;
                    torch.logitsAt(work, b, 0, 0); // warm-up of the LibTorch forward at this batch
                    String key = "sampling/" + name + "/b" + b;
                    Stats[] s;
                    if (tunedChild) { // engine naive is not repeated in the tuned process
                        s = Timing.interleaved(0, reps, cachedRep, torchNaive, forwardRep);
                        results.put(key, "engine_cached", s[0], b);
                        results.put(key, "libtorch_naive", s[1], b);
                        results.put(key, "engine_forward", s[2], b);
                    } else {
                        s = Timing.interleaved(0, reps, cachedRep, engineNaive, torchNaive, forwardRep);
                        results.put(key, "engine_cached", s[0], b);
                        results.put(key, "engine_naive", s[1], b);
                        results.put(key, "libtorch_naive", s[2], b);
                        results.put(key, "engine_forward", s[3], b);
                    }
                    System.out.printf("   sampling %s batch %d: engine cached %s s, %s; one forward %s s; limit ratio %.2f%n",
                            name, b, fmtSecs(s[0]), tunedChild ? "LibTorch naive " + fmtSecs(s[1]) + " s (scaled)"
                                    : "engine naive " + fmtSecs(s[1]) + " s, LibTorch naive " + fmtSecs(s[2])
                                    + " s (scaled from " + naiveRows + " row(s))",
                            fmtSecs(s[s.length - 1]), s[0].median() / s[s.length - 1].median());
                }
            }
        }
    }

    /** Seconds for the engine's naive sampler to draw the first {@code rows} rows of {@code n} images. */
    private static double engineNaiveRows(PixelCnn engine, int n, int rows) {
        Cancellation stop = new Cancellation();
        SamplingConfig naive = SamplingConfig.builder().optSeed(7).optBatchSize(n).optNaive()
                .optCancellation(stop)
                .optListener(p -> {
                    if (p.rowsDone() >= rows) {
                        stop.cancel();
                    }
                })
                .build();
        long t0 = System.nanoTime();
        try {
            engine.sample(n, naive);
        } catch (CancellationException expected) {
            // stopped after `rows` rows, as intended
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private void efficiency() throws Exception {
        long n = GEMM_N;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] values = new float[(int) (n * n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rnd.nextDouble() - 0.5);
        }
        FloatPointer a = new FloatPointer(values);
        FloatPointer bm = new FloatPointer(values);
        FloatPointer cm = new FloatPointer(n * n);
        // OpenBLAS's thread count is process-global, and the engine sets it (to 1: it runs its own
        // threads around single-threaded BLAS calls) when a model is created; left at `threads`,
        // engine training runs about 45% slower. So: set it for the sgemm only, then put back the
        // engine's count (read from EngineInfo.blas(): the presets' getter answers -1 here).
        int[] engineBlasThreads = {1};
        Timing.Work gemm = () -> {
            openblas_nolapack.blas_set_num_threads(threads);
            try {
                openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                        openblas_nolapack.CblasNoTrans, GEMM_N, GEMM_N, GEMM_N, 1f, a, GEMM_N, bm, GEMM_N,
                        0f, cm, GEMM_N);
            } finally {
                openblas_nolapack.blas_set_num_threads(engineBlasThreads[0]);
            }
        };
        List<Timing.Rep> work = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<Double> units = new ArrayList<>();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            // OpenBLAS's own worker threads keep spinning for a while after a call: let them go
            // idle before the next (engine) repetition starts, outside the timed part.
            Timing.Rep gemmRep = Timing.calibrated(minRepSeconds(), 20, gemm);
            work.add(() -> {
                double sec = gemmRep.seconds();
                Thread.sleep(GEMM_SETTLE_MS);
                return sec;
            });
            keys.add("efficiency/sgemm");
            units.add(2.0 * n * n * n);
            for (String name : trainingModels()) {
                PixelCnnConfig c = Models.config(name);
                for (int b : trainingBatches(name)) {
                    Images data = Models.data(c, Math.max(4 * b, 512));
                    PixelCnn engine = PixelCnn.create(c, Device.cpu(threads));
                    open.add(engine);
                    TrainingConfig step = TrainingConfig.builder().setSteps(1).optBatchSize(b).build();
                    work.add(Timing.calibrated(minRepSeconds(), 20, () -> engine.train(data, step, null)));
                    keys.add("efficiency/training/" + name + "/b" + b);
                    units.add(engine.trainingFlopsPerImage() * b);
                }
            }
            int lb = likelihoodBatch();
            PixelCnnConfig c = Models.config(Models.FM_BINARY);
            Images batch = Models.data(c, lb);
            PixelCnn engine = PixelCnn.create(c, Device.cpu(threads));
            open.add(engine);
            work.add(Timing.calibrated(minRepSeconds(), 20, () -> engine.logLikelihood(batch)));
            keys.add("efficiency/likelihood/" + Models.FM_BINARY + "/b" + lb);
            units.add(engine.forwardFlopsPerImage() * lb);
            java.util.regex.Matcher bt = java.util.regex.Pattern.compile("(\\d+) threads?\\)?$").matcher(EngineInfo.blas());
            engineBlasThreads[0] = bt.find() ? Integer.parseInt(bt.group(1)) : 1;
            openblas_nolapack.blas_set_num_threads(engineBlasThreads[0]); // undo the calibration runs' setting
            Stats[] s = Timing.interleaved(0, reps, work.toArray(new Timing.Rep[0]));
            for (int i = 0; i < s.length; i++) {
                results.put(keys.get(i), "engine", s[i], units.get(i));
            }
            if (!blasChild) {
                blasCoreCheck();
            }
            double peak = units.get(0) / s[0].median();
            System.out.printf("   OpenBLAS sgemm %d^3: %.1f GFLOP/s (%.1f to %.1f)%n", GEMM_N, peak / 1e9,
                    units.get(0) / s[0].max() / 1e9, units.get(0) / s[0].min() / 1e9);
            for (int i = 1; i < s.length; i++) {
                double g = units.get(i) / s[i].median();
                System.out.printf("   %s: %.1f GFLOP/s on live taps, %.0f%% of sgemm%n", keys.get(i), g / 1e9,
                        100 * g / peak);
            }
        } finally {
            for (AutoCloseable c : open) {
                c.close();
            }
            a.close();
            bm.close();
            cm.close();
        }
    }

    /**
     * Which OpenBLAS kernels this process got ({@link EngineInfo#blas()}), and, when the CPU has
     * AVX-512 but OpenBLAS runs other kernels (not recognised, or OPENBLAS_CORETYPE set so), the
     * efficiency figures again in a child JVM started with OPENBLAS_CORETYPE=SkylakeX (OpenBLAS
     * reads it when it loads), so that both denominators are known.
     */
    private void blasCoreCheck() throws Exception {
        Map<String, Object> info = new LinkedHashMap<>();
        String[] core = {"unknown"};
        java.util.regex.Matcher cm = java.util.regex.Pattern.compile("OpenBLAS (\\w+)").matcher(EngineInfo.blas());
        if (cm.find()) {
            core[0] = cm.group(1);
        }
        info.put("openblas_core", core[0]);
        info.put("openblas_coretype_env", System.getenv("OPENBLAS_CORETYPE"));
        info.put("engine_blas", EngineInfo.blas());
        info.put("engine_blas_setup", blasSetup);
        boolean avx512 = MachineInfo.cpuFlags().contains(" avx512f ");
        boolean avx512Core = core[0].matches("(?i)SkylakeX|Cooperlake|SapphireRapids");
        info.put("cpu_has_avx512f", avx512);
        report.put("openblas", info);
        if (!avx512 || avx512Core) {
            return;
        }
        String why = System.getenv("OPENBLAS_CORETYPE") == null ? "OpenBLAS chose"
                : "OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE") + " in the environment selects";
        System.out.println("   " + why + " its " + core[0] + " kernels on a CPU with AVX-512: measuring again in a"
                + " child JVM with OPENBLAS_CORETYPE=SkylakeX");
        List<String> cmd = javaCommand(Benchmark.class.getName());
        cmd.addAll(List.of("--blas-child", "--only", "efficiency", "--threads", Integer.toString(threads), "--reps",
                Integer.toString(reps)));
        if (quick) {
            cmd.add("--quick");
        }
        runChild(cmd, Map.of("OPENBLAS_CORETYPE", "SkylakeX"), "[SkylakeX] ", line -> {
            if (line.startsWith("@@R ")) {
                results.putLine(line, "skylakex:");
            }
        });
    }

    private void memory() throws Exception {
        int steps = quick ? 4 : 10;
        int batch = 32;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("what", "peak resident memory (VmHWM) of a JVM of its own training fm-binary at batch "
                + batch + " for " + steps + " steps, " + threads + " threads");
        m.put("jvm_only", probe("jvm", steps, batch, false));
        m.put("engine", probe("engine", steps, batch, false));
        m.put("libtorch_default", probe("torch", steps, batch, false));
        m.put("libtorch_tuned", probe("torch", steps, batch, true));
        report.put("memory", m);
    }

    private Map<String, Object> probe(String mode, int steps, int batch, boolean tuned) throws Exception {
        List<String> cmd = javaCommand(MemoryProbe.class.getName());
        cmd.addAll(List.of(mode, Integer.toString(threads), Integer.toString(steps), Integer.toString(batch)));
        Map<String, Object> m = new LinkedHashMap<>();
        runChild(cmd, tuned, "[memory " + mode + (tuned ? " tuned" : "") + "] ", line -> {
            if (line.startsWith("@@MEM ")) {
                String[] f = line.split(" ");
                m.put(f[1], Double.parseDouble(f[2]));
            }
        });
        System.out.printf("   %s%s: peak RSS %.0f MiB (%.0f MiB before training)%s%n", mode,
                tuned ? " (tuned env)" : "", m.getOrDefault("peak_mib", Double.NaN),
                m.getOrDefault("before_mib", Double.NaN), mode.equals("jvm") ? ""
                        : String.format(", %.3f s/step", (Double) m.getOrDefault("seconds_per_step", Double.NaN)));
        return m;
    }

    // ------------------------------------------------------------------ scaling

    private void scaling() throws Exception {
        Files.createDirectories(out);
        Map<String, Object> m = new LinkedHashMap<>();
        int[] batches = quick ? new int[] {8, 32, 128} : new int[] {8, 16, 32, 64, 128, 256};
        int[] sizes = quick ? new int[] {16, 28} : new int[] {16, 28, 64};
        int[] hidden = quick ? new int[] {32, 128} : new int[] {32, 64, 128, 256};
        int[] sampleSizes = quick ? new int[] {8, 16, 28} : new int[] {8, 16, 28, 48, 64};
        int sampleBatch = 8;
        boolean withTorch = !quick;

        // training time per step against batch size, engine and (full runs) LibTorch default
        StringBuilder csv = new StringBuilder("# batch,engine_s,engine_min,engine_max,libtorch_s,libtorch_min,libtorch_max\n");
        PixelCnnConfig fm = Models.config(Models.FM_BINARY);
        double[] xb = new double[batches.length];
        double[] ye = new double[batches.length];
        double[] yt = new double[batches.length];
        List<Object> batchPoints = new ArrayList<>();
        for (int i = 0; i < batches.length; i++) {
            int b = batches[i];
            Images data = Models.data(fm, Math.max(4 * b, 512));
            try (PixelCnn engine = PixelCnn.create(fm, Device.cpu(threads));
                 TorchPixelCnn torch = withTorch ? Models.torchTwin(engine, threads) : null) {
                Stats[] s = trainPair(engine, torch, data, data.toArray(), b, withTorch);
                xb[i] = b;
                ye[i] = s[0].median();
                yt[i] = withTorch ? s[1].median() : Double.NaN;
                csv.append(b).append(',').append(triple(s[0])).append(',')
                        .append(withTorch ? triple(s[1]) : "NaN,NaN,NaN").append('\n');
                batchPoints.add(point("batch", b, "engine_seconds_per_step", s[0], "libtorch_seconds_per_step",
                        withTorch ? s[1] : null));
                results.put("scaling/batch/b" + b, "engine", s[0], b);
                if (withTorch) {
                    results.put("scaling/batch/b" + b, "libtorch", s[1], b);
                }
                progress("scaling: fm-binary training batch " + b, "s/step", s[0], withTorch ? s[1] : null);
            }
        }
        Files.writeString(out.resolve("scaling_batch.csv"), csv.toString());
        Map<String, Object> batchJson = new LinkedHashMap<>();
        batchJson.put("engine_slope", slope(xb, ye));
        if (withTorch) {
            batchJson.put("libtorch_slope", slope(xb, yt));
        }
        batchJson.put("points", batchPoints);
        m.put("training_vs_batch", batchJson);

        // training time per step against image size (batch 32)
        csv = new StringBuilder("# size,pixels,engine_s,engine_min,engine_max,gflops\n");
        double[] xs = new double[sizes.length];
        double[] ys = new double[sizes.length];
        List<Object> imagePoints = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            int size = sizes[i];
            PixelCnnConfig c = Models.binaryVariant(size, 128);
            Stats s = engineTrainStats(c, 32);
            double flops = flops(c, true) * 32;
            xs[i] = size * size;
            ys[i] = s.median();
            csv.append(size).append(',').append(size * size).append(',').append(triple(s)).append(',')
                    .append(fmt(flops / s.median() / 1e9)).append('\n');
            results.put("scaling/image/" + size, "engine", s, 32);
            Map<String, Object> ip = point("size", size, "engine_seconds_per_step", s, null, null);
            ip.put("gflops_live_taps", flops / s.median() / 1e9);
            imagePoints.add(ip);
            progress("scaling: training " + size + "x" + size + " batch 32", "s/step", s, null);
        }
        Files.writeString(out.resolve("scaling_image.csv"), csv.toString());
        Map<String, Object> pixelsJson = new LinkedHashMap<>();
        pixelsJson.put("batch", 32);
        pixelsJson.put("engine_slope", slope(xs, ys));
        pixelsJson.put("points", imagePoints);
        m.put("training_vs_pixels", pixelsJson);

        // training time per step against hidden channels (residual = hidden/2, head = hidden)
        csv = new StringBuilder("# hidden,engine_s,engine_min,engine_max,gflops\n");
        double[] xh = new double[hidden.length];
        double[] yh = new double[hidden.length];
        List<Object> hiddenPoints = new ArrayList<>();
        for (int i = 0; i < hidden.length; i++) {
            PixelCnnConfig c = Models.binaryVariant(28, hidden[i]);
            Stats s = engineTrainStats(c, 32);
            double flops = flops(c, true) * 32;
            xh[i] = hidden[i];
            yh[i] = s.median();
            csv.append(hidden[i]).append(',').append(triple(s)).append(',')
                    .append(fmt(flops / s.median() / 1e9)).append('\n');
            results.put("scaling/hidden/" + hidden[i], "engine", s, 32);
            Map<String, Object> hp = point("hidden", hidden[i], "engine_seconds_per_step", s, null, null);
            hp.put("gflops_live_taps", flops / s.median() / 1e9);
            hiddenPoints.add(hp);
            progress("scaling: training hidden " + hidden[i] + " batch 32", "s/step", s, null);
        }
        Files.writeString(out.resolve("scaling_channels.csv"), csv.toString());
        Map<String, Object> hiddenJson = new LinkedHashMap<>();
        hiddenJson.put("batch", 32);
        hiddenJson.put("engine_slope", slope(xh, yh));
        hiddenJson.put("points", hiddenPoints);
        m.put("training_vs_hidden", hiddenJson);

        // sampling time per image against image size, cached and naive (naive from rows, scaled)
        csv = new StringBuilder("# size,pixels,cached_s_per_image,cached_min,cached_max,naive_s_per_image,naive_min,naive_max\n");
        double[] xp = new double[sampleSizes.length];
        double[] yc = new double[sampleSizes.length];
        double[] yn = new double[sampleSizes.length];
        List<Object> samplePoints = new ArrayList<>();
        for (int i = 0; i < sampleSizes.length; i++) {
            int size = sampleSizes[i];
            PixelCnnConfig c = Models.binaryVariant(size, 128);
            try (PixelCnn engine = PixelCnn.create(c, Device.cpu(threads))) {
                SamplingConfig cached = SamplingConfig.builder().optSeed(7).optBatchSize(sampleBatch).build();
                Timing.Rep cachedRep = Timing.calibrated(minRepSeconds(), 50, () -> engine.sample(sampleBatch, cached));
                engine.logLikelihood(Models.data(c, sampleBatch)); // warm-up of the forward at this batch
                double scale = (double) size / naiveRows;
                Timing.Rep naive = () -> engineNaiveRows(engine, sampleBatch, naiveRows) * scale;
                Stats[] s = Timing.interleaved(0, reps, cachedRep, naive);
                Stats sc = s[0].scaled(1.0 / sampleBatch);
                Stats sn = s[1].scaled(1.0 / sampleBatch);
                xp[i] = size * size;
                yc[i] = sc.median();
                yn[i] = sn.median();
                csv.append(size).append(',').append(size * size).append(',').append(triple(sc)).append(',')
                        .append(triple(sn)).append('\n');
                samplePoints.add(point("size", size, "cached_seconds_per_image", sc, "naive_seconds_per_image", sn));
                results.put("scaling/sampling/" + size, "engine_cached", s[0], sampleBatch);
                results.put("scaling/sampling/" + size, "engine_naive", s[1], sampleBatch);
                System.out.printf("   scaling: sampling %dx%d batch %d: cached %.4g s/image, naive %.4g s/image (from %d row(s))%n",
                        size, size, sampleBatch, sc.median(), sn.median(), naiveRows);
            }
        }
        Files.writeString(out.resolve("scaling_sampling.csv"), csv.toString());
        Map<String, Object> sj = new LinkedHashMap<>();
        sj.put("batch", sampleBatch);
        sj.put("cached_slope", slope(xp, yc));
        sj.put("naive_slope", slope(xp, yn));
        sj.put("naive_rows", naiveRows);
        sj.put("points", samplePoints);
        m.put("sampling_vs_pixels", sj);

        // slopes for the chart titles (bench/run.sh loads this file into gnuplot)
        StringBuilder gp = new StringBuilder();
        gp.append(String.format("threads = %d%n", threads));
        gp.append(String.format("has_torch = %d%n", withTorch ? 1 : 0));
        gp.append(String.format("slope_batch_engine = %.2f%n", slope(xb, ye)));
        gp.append(String.format("slope_batch_torch = %.2f%n", withTorch ? slope(xb, yt) : Double.NaN));
        gp.append(String.format("slope_pixels_engine = %.2f%n", slope(xs, ys)));
        gp.append(String.format("slope_hidden_engine = %.2f%n", slope(xh, yh)));
        gp.append(String.format("slope_sampling_cached = %.2f%n", slope(xp, yc)));
        gp.append(String.format("slope_sampling_naive = %.2f%n", slope(xp, yn)));
        gp.append(String.format("sampling_batch = %d%n", sampleBatch));
        gp.append(String.format("naive_rows = %d%n", naiveRows));
        Files.writeString(out.resolve("scaling_slopes.gp"), gp.toString());
        System.out.print("   log-log slopes: " + gp.toString().replace('\n', ';').replace(" = ", "="));
        System.out.println();
        report.put("scaling", m);
    }

    private static Map<String, Object> point(String xName, int x, String aName, Stats a, String bName, Stats b) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(xName, x);
        p.put(aName, Results.medianMinMax(a.median(), a.min(), a.max()));
        if (b != null) {
            p.put(bName, Results.medianMinMax(b.median(), b.min(), b.max()));
        }
        return p;
    }

    private Stats engineTrainStats(PixelCnnConfig c, int b) throws Exception {
        Images data = Models.data(c, Math.max(4 * b, 256));
        try (PixelCnn engine = PixelCnn.create(c, Device.cpu(threads))) {
            return trainPair(engine, null, data, null, b, false)[0];
        }
    }

    private double flops(PixelCnnConfig c, boolean training) {
        try (PixelCnn engine = PixelCnn.create(c, Device.cpu(1))) {
            return training ? engine.trainingFlopsPerImage() : engine.forwardFlopsPerImage();
        }
    }

    /** Least-squares slope of log(y) against log(x). */
    static double slope(double[] x, double[] y) {
        int n = x.length;
        double sx = 0;
        double sy = 0;
        for (int i = 0; i < n; i++) {
            sx += Math.log(x[i]);
            sy += Math.log(y[i]);
        }
        double mx = sx / n;
        double my = sy / n;
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += (Math.log(x[i]) - mx) * (Math.log(y[i]) - my);
            den += (Math.log(x[i]) - mx) * (Math.log(x[i]) - mx);
        }
        return den == 0 ? Double.NaN : num / den;
    }

    // ------------------------------------------------------------------ checks and children

    /** Checks once per model that the engine and LibTorch compute the same likelihoods. */
    private void checkWeights(String name, PixelCnn engine, TorchPixelCnn torch, Images data) {
        if (weightChecks.containsKey(name)) {
            return;
        }
        Images few = data.slice(0, Math.min(4, data.count()));
        double[] e = engine.logLikelihood(few).natsArray();
        double[] t = torch.perImageNll(few.toArray(), few.count());
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(e[i] - t[i]) / Math.abs(t[i]));
        }
        weightChecks.put(name, worst);
        if (libtorchChild != null) {
            System.out.printf(Locale.ROOT, "@@W %s:%s %.6e%n", libtorchChild, name, worst);
        }
        System.out.printf("   %s: same initial weights in both (per-image NLL relative difference %.1e)%n", name, worst);
        if (!(worst < 1e-3)) {
            throw new IllegalStateException(name + ": engine and LibTorch disagree (" + worst + ")");
        }
    }

    private List<String> javaCommand(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return cmd;
    }

    private interface LineSink {
        void accept(String line) throws Exception;
    }

    private static void runChild(List<String> cmd, boolean tuned, String prefix, LineSink sink) throws Exception {
        runChild(cmd, tuned ? TUNED_ENV : Map.of(), prefix, sink);
    }

    /** Runs a child JVM with {@code env} added (and the tuned variables removed unless given). */
    private static void runChild(List<String> cmd, Map<String, String> env, String prefix, LineSink sink)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        for (String k : TUNED_ENV.keySet()) {
            pb.environment().remove(k);
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.startsWith("@@")) {
                    System.out.println("   " + prefix + line);
                }
                sink.accept(line);
            }
        }
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IllegalStateException(prefix + "child process failed with exit status " + rc);
        }
    }

    /** Runs the baseline sections in a child JVM, "default" (results unprefixed) or "tuned" ("tuned:"). */
    private void runLibtorchChild(String child, List<String> withBaseline) throws Exception {
        boolean tuned = child.equals("tuned");
        System.out.println();
        System.out.println("== " + child + " LibTorch: a child JVM started " + (tuned ? "with " + TUNED_ENV
                : "without the tuned variables"));
        List<String> cmd = javaCommand(Benchmark.class.getName());
        cmd.addAll(List.of("--child", child, "--only", String.join(",", withBaseline), "--threads",
                Integer.toString(threads), "--reps", Integer.toString(reps), "--naive-rows",
                Integer.toString(naiveRows)));
        if (quick) {
            cmd.add("--quick");
        }
        if (models != null) {
            cmd.addAll(List.of("--models", String.join(",", models)));
        }
        runChild(cmd, tuned, "[" + child + "] ", line -> {
            if (line.startsWith("@@R ")) {
                results.putLine(line, tuned ? "tuned:" : "");
            } else if (line.startsWith("@@W ")) {
                String[] f = line.split(" ");
                weightChecks.put(f[1], Double.parseDouble(f[2]));
            }
        });
    }

    // ------------------------------------------------------------------ report

    private void writeReport(double totalSeconds) throws IOException {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("threads", threads);
        settings.put("repetitions", reps);
        settings.put("warm_up", "one untimed run of each piece of work (which also calibrates how many runs"
                + " make one repetition: at least " + minRepSeconds() + " s), then " + warmupRounds()
                + " untimed interleaved round(s) of training and likelihood before the timed ones");
        settings.put("order", "engine and LibTorch interleaved, A B A B");
        settings.put("quick", quick);
        settings.put("sections", new ArrayList<>(sections));
        settings.put("naive_rows", naiveRows);
        settings.put("tuned_env", new LinkedHashMap<>(TUNED_ENV));
        settings.put("seconds", totalSeconds);
        settings.put("section_seconds", new LinkedHashMap<>(sectionSeconds));
        settings.put("sections_load", sectionLoad);
        report.put("settings", settings);
        report.put("weight_check_max_relative_nll_difference", weightChecks);

        Report r = new Report(results, report, threads, naiveRows, likelihoodBatch());
        if (sections.contains("training")) {
            r.training(trainingModels(), this::trainingBatches);
        }
        if (sections.contains("likelihood")) {
            r.likelihood(trainingModels());
        }
        if (sections.contains("onnx")) {
            r.onnx(onnxModels(), onnxBatches());
        }
        if (sections.contains("sampling")) {
            r.sampling(samplingModels(), samplingBatches());
        }
        if (sections.contains("efficiency")) {
            r.efficiency(trainingModels(), this::trainingBatches);
        }
        if (sections.contains("memory")) {
            r.memory();
        }
        if (sections.contains("scaling")) {
            r.scaling();
        }
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (String k : List.of("machine", "settings", "weight_check_max_relative_nll_difference", "training",
                "likelihood", "sampling", "sampling_note", "efficiency", "openblas", "memory", "scaling")) {
            if (report.containsKey(k)) {
                ordered.put(k, report.get(k));
            }
        }
        String md = r.markdown(quick);
        System.out.println();
        System.out.println(md);
        Files.createDirectories(out);
        Files.writeString(out.resolve("latest.md"), md);
        Files.writeString(out.resolve("latest.json"), Json.write(ordered));
        System.out.printf("wrote %s and %s (%.0f s in all)%n", out.resolve("latest.md"), out.resolve("latest.json"),
                totalSeconds);
    }

    // ------------------------------------------------------------------ formatting

    private static void progress(String what, String unit, Stats engine, Stats torch) {
        progress(what, unit, engine, "LibTorch", torch);
    }

    private static void progress(String what, String unit, Stats engine, String peer, Stats other) {
        if (other == null) {
            System.out.printf("   %s: engine %s %s (%s to %s)%n", what, fmtSecs(engine), unit, fmt(engine.min()),
                    fmt(engine.max()));
        } else {
            System.out.printf("   %s: engine %s %s (%s to %s), %s %s (%s to %s): %.2fx%n", what,
                    fmtSecs(engine), unit, fmt(engine.min()), fmt(engine.max()), peer, fmtSecs(other), fmt(other.min()),
                    fmt(other.max()), other.median() / engine.median());
        }
    }

    private static String fmtSecs(Stats s) {
        return fmt(s.median());
    }

    /** Three significant digits, no exponent for ordinary magnitudes. */
    static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format("%.0f", v);
        } else if (a >= 10) {
            return String.format("%.1f", v);
        } else if (a >= 1) {
            return String.format("%.2f", v);
        } else if (a >= 0.001) {
            return String.format("%.3g", v);
        }
        return String.format("%.2e", v);
    }

    private static String triple(Stats s) {
        return String.format("%.6g,%.6g,%.6g", s.median(), s.min(), s.max());
    }
}
