package org.pixelcnn4j.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark standalone cluster on loopback, in processes of its own: one master and N workers
 * started from the Spark jars of this class path (a SPARK_HOME whose jars/ links to them, which
 * is what a worker builds its executors' class path from). The executors the workers start are
 * separate JVMs; they get pixelcnn4j (Java and native jars) only through the driver's
 * spark.jars, as on a real cluster with nothing installed.
 */
final class StandaloneCluster implements AutoCloseable {
    private static final String[] OURS = {"pixelcnn4j", "javacpp", "openblas"};

    private final Path work;
    private final Path home;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();
    private final String url;
    private final int masterUi;

    private StandaloneCluster(Path work, int workerCount, int coresPerWorker, String workerMemory)
            throws IOException, InterruptedException {
        this.work = work;
        this.home = sparkHome(work.resolve("spark-home"));
        int port = freePort();
        masterUi = freePort();
        url = "spark://127.0.0.1:" + port;
        master = launch("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--webui-port", Integer.toString(masterUi)));
        for (int w = 0; w < workerCount; w++) {
            Path dir = Files.createDirectories(work.resolve("worker-" + w));
            workers.add(launch("worker-" + w, List.of("org.apache.spark.deploy.worker.Worker", url,
                    "--host", "127.0.0.1", "--cores", Integer.toString(coresPerWorker), "--memory", workerMemory,
                    "--work-dir", dir.toString(), "--webui-port", Integer.toString(freePort()))));
        }
        awaitWorkers(workerCount);
    }

    /**
     * Starts a master and {@code workers} workers and waits until all have registered.
     *
     * @param work a folder for the logs, SPARK_HOME and the workers' folders
     */
    static StandaloneCluster start(Path work, int workers, int coresPerWorker, String workerMemory)
            throws IOException, InterruptedException {
        Files.createDirectories(work);
        deleteTree(work.resolve("executor-javacpp-cache"));
        return new StandaloneCluster(work, workers, coresPerWorker, workerMemory);
    }

    String url() {
        return url;
    }

    /**
     * A session on this cluster: {@code executors} executors of one core each, pixelcnn4j in
     * spark.jars (the module's jar from {@code moduleJar} or the system property failsafe sets).
     */
    SparkSession.Builder session(int executors, String executorMemory) {
        return session(executors, 1, executorMemory);
    }

    /**
     * A session of {@code executors} executors with {@code coresPerExecutor} cores each, every
     * task given all of them (spark.task.cpus: the engine threads of its model).
     */
    SparkSession.Builder session(int executors, int coresPerExecutor, String executorMemory) {
        List<String> jars = new ArrayList<>();
        String moduleJar = System.getProperty("pixelcnn4j.spark.moduleJar");
        if (moduleJar == null || !Files.isRegularFile(Path.of(moduleJar))) {
            throw new IllegalStateException("the pixelcnn4j-spark jar (system property pixelcnn4j.spark.moduleJar = "
                    + moduleJar + ") is missing: run this after `mvn package`");
        }
        jars.add(moduleJar);
        for (String entry : classPath()) {
            if (isOurs(entry) && entry.endsWith(".jar")) {
                jars.add(entry);
            }
        }
        String javaOptions = System.getProperty("pixelcnn4j.spark.javaOptions", "");
        return SparkTesting.session(url)
                .config("spark.jars", String.join(",", jars))
                .config("spark.executor.cores", Integer.toString(coresPerExecutor))
                .config("spark.task.cpus", Integer.toString(coresPerExecutor))
                .config("spark.cores.max", Integer.toString(executors * coresPerExecutor))
                .config("spark.executor.memory", executorMemory)
                // A JavaCPP cache of the executors' own, empty at the start: the native libraries
                // found there afterwards came out of the jars the driver shipped.
                .config("spark.executor.extraJavaOptions", "--enable-native-access=ALL-UNNAMED "
                        + "-Dorg.bytedeco.javacpp.cachedir=" + executorCache() + " " + javaOptions)
                .config("spark.task.maxFailures", "4");
    }

    /** The executors' JavaCPP cache, where they extract the native libraries from the jars. */
    Path executorCache() {
        return work.resolve("executor-javacpp-cache");
    }

    /** The executor JVMs running now (children of the workers). */
    List<ProcessHandle> executors() {
        List<ProcessHandle> found = new ArrayList<>();
        for (Process worker : workers) {
            worker.descendants().filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                    .forEach(found::add);
        }
        return found;
    }

    @Override
    public void close() {
        for (Process worker : workers) {
            worker.descendants().forEach(ProcessHandle::destroyForcibly);
            worker.destroyForcibly();
        }
        master.destroyForcibly();
        for (Process p : workers) {
            waitFor(p);
        }
        waitFor(master);
    }

    private static void waitFor(Process p) {
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Process launch(String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        for (String option : System.getProperty("pixelcnn4j.spark.javaOptions", "").split(" ")) {
            if (!option.isBlank()) {
                command.add(option);
            }
        }
        command.add("-cp");
        command.add(home.resolve("jars") + File.separator + "*");
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile());
        builder.environment().put("SPARK_HOME", home.toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.13");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return builder.start();
    }

    private void awaitWorkers(int count) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Pattern alive = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!master.isAlive()) {
                throw new IOException("the Spark master exited: see " + work.resolve("master.log"));
            }
            try {
                String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUi + "/json/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = alive.matcher(json);
                if (m.find() && Integer.parseInt(m.group(1)) >= count) {
                    return;
                }
            } catch (IOException notYet) {
                // the master's UI is not up yet
            }
            Thread.sleep(250);
        }
        throw new IOException("the Spark workers did not register within 90 s: see the logs in " + work);
    }

    /** A SPARK_HOME whose jars/ holds (links to) every jar of this class path but pixelcnn4j's own. */
    private static Path sparkHome(Path home) throws IOException {
        Path jars = Files.createDirectories(home.resolve("jars"));
        for (String entry : classPath()) {
            Path jar = Path.of(entry);
            if (!entry.endsWith(".jar") || isOurs(entry) || !Files.isRegularFile(jar)) {
                continue;
            }
            Path link = jars.resolve(jar.getFileName());
            if (!Files.exists(link)) {
                Files.createSymbolicLink(link, jar.toAbsolutePath());
            }
        }
        return home;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static boolean isOurs(String entry) {
        String name = Path.of(entry).getFileName().toString();
        for (String prefix : OURS) {
            if (name.startsWith(prefix + "-")) {
                return true;
            }
        }
        return false;
    }

    /** The test class path: surefire's and failsafe's property (java.class.path is their booter jar). */
    private static List<String> classPath() {
        String path = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return List.of(path.split(File.pathSeparator));
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
