package org.pixelcnn4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.PixelCnn;

/**
 * The native models of one executor JVM: a task borrows one (opened lazily from the source's
 * checkpoint bytes, with as many engine threads as the task has cores, spark.task.cpus) and gives
 * it back when it ends, so there are never more models than tasks running at once, and the next
 * task of the same source reuses one instead of parsing the checkpoint again. Models idle for
 * {@link #IDLE_NANOS} are closed at the next borrow or return, the rest when the JVM exits; a
 * model still in use then is left to the process's end (closing it under a running task would
 * free memory the task uses).
 */
final class ExecutorModels {
    static final long IDLE_NANOS = 120_000_000_000L;

    private record Idle(PixelCnn model, long since) {
    }

    private static final Map<String, ArrayDeque<Idle>> IDLE = new HashMap<>();
    private static final Map<String, Path> FILES = new HashMap<>();
    private static int open;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "pixelcnn4j-models-shutdown"));
    }

    private ExecutorModels() {
    }

    /**
     * A model of {@code source} for the running task, given back when the task completes (or,
     * outside a task, by the caller with {@link #giveBack}).
     */
    static PixelCnn borrowForTask(ModelSource source) {
        TaskContext task = TaskContext.get();
        int threads = task == null ? 1 : Math.max(1, task.cpus());
        PixelCnn model = borrow(source, threads);
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) context -> giveBack(source, model));
        }
        return model;
    }

    static PixelCnn borrow(ModelSource source, int threads) {
        synchronized (ExecutorModels.class) {
            closeIdleLongerThan(IDLE_NANOS);
            ArrayDeque<Idle> idle = IDLE.get(source.key());
            while (idle != null && !idle.isEmpty()) {
                PixelCnn model = idle.pop().model();
                if (model.device().threads() == threads) {
                    return model;
                }
                close(model);
            }
        }
        // Opened outside the lock: parsing a checkpoint must not hold up other task threads.
        PixelCnn model;
        try {
            model = PixelCnn.load(fileOf(source), Device.cpu(threads));
        } catch (IOException e) {
            throw new UncheckedIOException("executor: could not open the model (" + source.shape() + "): "
                    + e.getMessage(), e);
        }
        synchronized (ExecutorModels.class) {
            open++;
        }
        return model;
    }

    static void giveBack(ModelSource source, PixelCnn model) {
        synchronized (ExecutorModels.class) {
            if (model.isClosed()) {
                open--;
                return;
            }
            IDLE.computeIfAbsent(source.key(), k -> new ArrayDeque<>()).push(new Idle(model, System.nanoTime()));
            closeIdleLongerThan(IDLE_NANOS);
        }
    }

    /** Native models open in this JVM, in use or idle (for tests). */
    static synchronized int openModels() {
        return open;
    }

    /** Closes every idle model now (for tests, and the JVM's exit). */
    static synchronized void closeIdle() {
        closeIdleLongerThan(-1);
    }

    private static void closeIdleLongerThan(long nanos) {
        long now = System.nanoTime();
        for (Iterator<Map.Entry<String, ArrayDeque<Idle>>> it = IDLE.entrySet().iterator(); it.hasNext(); ) {
            ArrayDeque<Idle> idle = it.next().getValue();
            // The stack's bottom is the longest idle.
            while (!idle.isEmpty() && now - idle.peekLast().since() > nanos) {
                close(idle.pollLast().model());
            }
            if (idle.isEmpty()) {
                it.remove();
            }
        }
    }

    private static void close(PixelCnn model) {
        try {
            model.close();
            open--;
        } catch (IllegalStateException inUse) {
            // A task is running it: the process's end frees it.
        }
    }

    private static void closeAll() {
        List<Path> files;
        synchronized (ExecutorModels.class) {
            closeIdleLongerThan(-1);
            files = new ArrayList<>(FILES.values());
            FILES.clear();
        }
        for (Path file : files) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the temp folder's cleanup takes it
            }
        }
    }

    /** The source's checkpoint as a file of this JVM (written once per source: the loader reads files). */
    private static synchronized Path fileOf(ModelSource source) throws IOException {
        Path file = FILES.get(source.key());
        if (file == null || !Files.exists(file)) {
            byte[] bytes = source.bytes();
            // In the application's own folder (SparkFiles' root, which Spark deletes when the
            // application ends, even after an executor is killed), not the system's temp folder.
            Path temp = Files.createTempFile(Path.of(SparkFiles.getRootDirectory()), "pixelcnn4j-executor-",
                    ".safetensors");
            Files.write(temp, bytes);
            file = temp;
            FILES.put(source.key(), file);
        }
        return file;
    }
}
