package org.pixelcnn4j.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C (SIGINT) during training into a clean stop: a shutdown hook interrupts the
 * training thread, but only while it is inside {@code PixelCnn.train} (which then stops after the
 * current step), and waits until the command has saved its checkpoint and called
 * {@link #close()}. Saving is never interrupted: an interrupt would close the file channel it
 * writes to. An interrupt of the training thread from inside the JVM counts as a stop request too.
 *
 * <pre>{@code
 * try (InterruptGuard guard = InterruptGuard.install()) {
 *     guard.enterTraining();
 *     try { model.train(...); } finally { guard.leaveTraining(); }
 *     if (guard.stopRequested()) { save(); }
 * }
 * }</pre>
 */
final class InterruptGuard implements AutoCloseable {
    /** How long the hook waits for the checkpoint before letting the JVM exit anyway. */
    private static final long WAIT_SECONDS = 600;

    private final Thread worker = Thread.currentThread();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook = new Thread(this::onSignal, "pixelcnn4j-sigint");
    private boolean signalled;
    private boolean interruptedFromInside;
    private boolean training;

    private InterruptGuard() {
    }

    /** @return a guard for the calling thread, with its shutdown hook registered */
    static InterruptGuard install() {
        InterruptGuard guard = new InterruptGuard();
        Runtime.getRuntime().addShutdownHook(guard.hook);
        return guard;
    }

    private void onSignal() {
        synchronized (this) {
            signalled = true;
            if (training) {
                worker.interrupt();
            }
        }
        try {
            finished.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Marks the start of a {@code train} call; stops it at once if a stop was requested already. */
    synchronized void enterTraining() {
        training = true;
        if (signalled) {
            worker.interrupt();
        }
    }

    /** Marks the end of a {@code train} call and clears the interrupt it may have received. */
    synchronized void leaveTraining() {
        training = false;
        if (Thread.interrupted() && !signalled) {
            interruptedFromInside = true;
        }
    }

    /** @return whether SIGINT arrived or the training thread was interrupted */
    synchronized boolean stopRequested() {
        return signalled || interruptedFromInside;
    }

    /** @return whether the stop came from SIGINT (the JVM is shutting down) */
    synchronized boolean signalled() {
        return signalled;
    }

    /** Lets a waiting hook finish and removes the hook if the JVM is not shutting down. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is shutting down: the hook is running and returns now that we are done.
        }
    }
}
