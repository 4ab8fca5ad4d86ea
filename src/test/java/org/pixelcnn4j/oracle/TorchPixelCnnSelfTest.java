package org.pixelcnn4j.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Checks {@link TorchPixelCnn} on its own (no engine involved): masks by hand, causality by
 * perturbation, the forward pass against a plain double-precision Java implementation of the
 * spec, losses against closed forms and a Java log-sum-exp, gradients against finite
 * differences, the exact Adam update, training progress and bounded native memory.
 */
class TorchPixelCnnSelfTest {

    /** One thread: the tests then do not depend on how busy the (2-core) machine is. */
    private static final int THREADS = 1;

    // ------------------------------------------------------------------ (a) masks

    @Test
    void maskCountsSingleChannel() {
        assertEquals(24, live(TorchPixelCnn.buildMask(1, 1, 7, true, 1)));
        assertEquals(25, live(TorchPixelCnn.buildMask(1, 1, 7, false, 1)));
        assertEquals(5, live(TorchPixelCnn.buildMask(1, 1, 3, false, 1)));
        assertEquals(4, live(TorchPixelCnn.buildMask(1, 1, 3, true, 1)));
        assertEquals(0, live(TorchPixelCnn.buildMask(1, 1, 1, true, 1)));
        assertEquals(1, live(TorchPixelCnn.buildMask(1, 1, 1, false, 1)));
        // 3x3 type B, C=1, written out: rows 0 and the first two of row 1.
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 0, 0, 0, 0},
                TorchPixelCnn.buildMask(1, 1, 3, false, 1));
        // Every (o,q) slice of a C=1 7x7 type A mask has 24 live taps.
        float[] m = TorchPixelCnn.buildMask(4, 1, 7, true, 1);
        for (int o = 0; o < 4; o++) {
            int n = 0;
            for (int t = 0; t < 49; t++) {
                n += (int) m[o * 49 + t];
            }
            assertEquals(24, n);
        }
    }

    @Test
    void maskCentrePatternThreeChannels() {
        // Type A, 1x1, C=3, in=3 (image channels R,G,B), out=6 (groups of 2):
        // o=0,1 (R) see nothing; o=2,3 (G) see R; o=4,5 (B) see R,G.
        float[] a = TorchPixelCnn.buildMask(6, 3, 1, true, 3);
        assertArrayEquals(new float[] {
            0, 0, 0,
            0, 0, 0,
            1, 0, 0,
            1, 0, 0,
            1, 1, 0,
            1, 1, 0}, a);
        // Type B, 1x1, in=6 (groups of 2), out=3: output c sees input groups <= c.
        float[] b = TorchPixelCnn.buildMask(3, 6, 1, false, 3);
        assertArrayEquals(new float[] {
            1, 1, 0, 0, 0, 0,
            1, 1, 1, 1, 0, 0,
            1, 1, 1, 1, 1, 1}, b);
        // Type B, 3x3, in=3, out=3: taps before the centre all live, after it all dead,
        // centre lower triangular (with diagonal).
        float[] k3 = TorchPixelCnn.buildMask(3, 3, 3, false, 3);
        for (int o = 0; o < 3; o++) {
            for (int q = 0; q < 3; q++) {
                float[] expect = {1, 1, 1, 1, q <= o ? 1 : 0, 0, 0, 0, 0};
                for (int t = 0; t < 9; t++) {
                    assertEquals(expect[t], k3[(o * 3 + q) * 9 + t], "o=" + o + " q=" + q + " t=" + t);
                }
            }
        }
        // Categorical output layer, C=3, L=4: out=12, output o belongs to image channel o/4.
        float[] head = TorchPixelCnn.buildMask(12, 6, 1, false, 3);
        for (int o = 0; o < 12; o++) {
            for (int q = 0; q < 6; q++) {
                assertEquals(q / 2 <= o / 4 ? 1f : 0f, head[o * 6 + q]);
            }
        }
    }

    @Test
    void modelMasksAndNames() {
        TorchConfig cfg = TorchConfig.categorical(3, 4, 5, 4, 6, 3, 9, 2, 5, 3);
        try (TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS)) {
            assertEquals(List.of("input.weight", "input.bias",
                    "blocks.0.conv1.weight", "blocks.0.conv1.bias",
                    "blocks.0.conv2.weight", "blocks.0.conv2.bias",
                    "blocks.0.conv3.weight", "blocks.0.conv3.bias",
                    "blocks.1.conv1.weight", "blocks.1.conv1.bias",
                    "blocks.1.conv2.weight", "blocks.1.conv2.bias",
                    "blocks.1.conv3.weight", "blocks.1.conv3.bias",
                    "head.conv1.weight", "head.conv1.bias",
                    "head.conv2.weight", "head.conv2.bias"), m.tensorNames());
            assertArrayEquals(new long[] {6, 3, 5, 5}, m.shape("input.weight"));
            assertArrayEquals(new long[] {3, 6, 1, 1}, m.shape("blocks.1.conv1.weight"));
            assertArrayEquals(new long[] {3, 3, 3, 3}, m.shape("blocks.0.conv2.weight"));
            assertArrayEquals(new long[] {6, 3, 1, 1}, m.shape("blocks.0.conv3.weight"));
            assertArrayEquals(new long[] {9, 6, 1, 1}, m.shape("head.conv1.weight"));
            assertArrayEquals(new long[] {12, 9, 1, 1}, m.shape("head.conv2.weight"));
            assertArrayEquals(new long[] {12}, m.shape("head.conv2.bias"));
            assertArrayEquals(TorchPixelCnn.buildMask(6, 3, 5, true, 3), m.mask("input.weight"));
            assertArrayEquals(TorchPixelCnn.buildMask(3, 3, 3, false, 3), m.mask("blocks.0.conv2.weight"));
            assertArrayEquals(TorchPixelCnn.buildMask(12, 9, 1, false, 3), m.mask("head.conv2.weight"));
            for (float v : m.mask("head.conv2.bias")) {
                assertEquals(1f, v);
            }
            // set/get round trip
            float[] w = random(new SplittableRandom(3), m.numel("blocks.1.conv2.weight"), 1f);
            m.setTensor("blocks.1.conv2.weight", w);
            assertArrayEquals(w, m.getTensor("blocks.1.conv2.weight"));
            assertThrows(IllegalArgumentException.class, () -> m.setTensor("input.bias", new float[5]));
            assertThrows(IllegalArgumentException.class, () -> m.getTensor("nope"));
        }
    }

    // ------------------------------------------------------------------ (b) causality

    @Test
    void causalitySingleChannelCategorical() {
        TorchConfig cfg = TorchConfig.categorical(1, 5, 6, 4, 8, 4, 8, 2, 5, 3);
        checkCausality(cfg, 11, false);
        checkCausality(cfg, 11, true);
    }

    @Test
    void causalityThreeChannelsCategorical() {
        TorchConfig cfg = TorchConfig.categorical(3, 5, 5, 4, 9, 6, 9, 2, 5, 3);
        checkCausality(cfg, 12, false);
        checkCausality(cfg, 12, true);
    }

    @Test
    void causalityThreeChannelsBernoulli() {
        TorchConfig cfg = TorchConfig.bernoulli(3, 5, 5, 6, 6, 6, 1, 3, 3);
        checkCausality(cfg, 13, false);
        checkCausality(cfg, 13, true);
    }

    /**
     * For every position p and channel c, one batch holds: the base image; the base with every
     * (position, channel) at or after (p, c) changed; the base with only (p, c-1) changed; with
     * only the left neighbour's last channel changed; with only the upper neighbour's last channel
     * changed. The logits of (p, c) must ignore the first change and react to the others.
     *
     * <p>With weights of random sign a ReLU can hide a real dependency, so there only most past
     * changes must show. With {@code positive} weights and biases every pre-activation is positive
     * (inputs are >= 0), the network is linear with positive coefficients on every live path, and
     * every past change must show.
     */
    private static void checkCausality(TorchConfig cfg, long seed, boolean positive) {
        int c = cfg.channels();
        int h = cfg.height();
        int w = cfg.width();
        int l = cfg.levels();
        int d = cfg.dimsPerImage();
        int perOut = cfg.bernoulli() ? 1 : l;
        int out = cfg.outChannels();
        SplittableRandom rnd = new SplittableRandom(seed);
        try (TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS, seed)) {
            if (positive) {
                for (String name : m.tensorNames()) {
                    float[] t = m.getTensor(name);
                    for (int i = 0; i < t.length; i++) {
                        t[i] = Math.abs(t[i]) + 0.01f;
                    }
                    m.setTensor(name, t);
                }
            } else {
                scaleAll(m, 2f);
            }
            byte[] base = randomImages(rnd, 1, cfg);
            int variants = 5;
            int cases = h * w * c;
            byte[] batch = new byte[cases * variants * d];
            for (int p = 0; p < h * w; p++) {
                for (int ch = 0; ch < c; ch++) {
                    int off = ((p * c + ch) * variants) * d;
                    for (int v = 0; v < variants; v++) {
                        System.arraycopy(base, 0, batch, off + v * d, d);
                    }
                    for (int pp = 0; pp < h * w; pp++) {
                        for (int cc = 0; cc < c; cc++) {
                            if (pp > p || (pp == p && cc >= ch)) {
                                change(batch, off + d + cc * h * w + pp, l, rnd);
                            }
                        }
                    }
                    if (ch > 0) {
                        change(batch, off + 2 * d + (ch - 1) * h * w + p, l, rnd);
                    }
                    if (p % w > 0) {
                        change(batch, off + 3 * d + (c - 1) * h * w + p - 1, l, rnd);
                    }
                    if (p >= w) {
                        change(batch, off + 4 * d + (c - 1) * h * w + p - w, l, rnd);
                    }
                }
            }
            float[] lg = m.logits(batch, cases * variants);
            int outPerImage = out * h * w;
            double maxFuture = 0;
            double minPast = Double.MAX_VALUE;
            int pastChecks = 0;
            int pastSeen = 0;
            for (int p = 0; p < h * w; p++) {
                for (int ch = 0; ch < c; ch++) {
                    int img = (p * c + ch) * variants;
                    double[] diff = new double[variants];
                    for (int v = 1; v < variants; v++) {
                        for (int k = 0; k < perOut; k++) {
                            int idx = (ch * perOut + k) * h * w + p;
                            double dlt = Math.abs(lg[(img + v) * outPerImage + idx] - lg[img * outPerImage + idx]);
                            diff[v] = Math.max(diff[v], dlt);
                        }
                    }
                    maxFuture = Math.max(maxFuture, diff[1]);
                    assertTrue(diff[1] <= 1e-6, "logits of (p=" + p + ", c=" + ch
                            + ") depend on the present/future: " + diff[1]);
                    boolean[] applies = {false, false, ch > 0, p % w > 0, p >= w};
                    for (int v = 2; v < variants; v++) {
                        if (applies[v]) {
                            pastChecks++;
                            minPast = Math.min(minPast, diff[v]);
                            if (diff[v] > 1e-5) {
                                pastSeen++;
                            } else {
                                assertTrue(!positive, "logits of (p=" + p + ", c=" + ch
                                        + ") ignore a past input (variant " + v + "): " + diff[v]);
                            }
                        }
                    }
                }
            }
            assertTrue(pastChecks > h * w);
            assertTrue(pastSeen >= 0.5 * pastChecks, "only " + pastSeen + " of " + pastChecks
                    + " past changes reach the logits");
            System.out.printf("causality %s positive=%b: max |change| from future %.3g, "
                    + "past changes seen %d/%d (min %.3g)%n",
                    cfg, positive, maxFuture, pastSeen, pastChecks, minPast);
        }
    }

    // ------------------------------------------------------------------ forward vs plain Java

    @Test
    void forwardMatchesPlainJavaReference() {
        for (TorchConfig cfg : new TorchConfig[] {
            TorchConfig.categorical(3, 5, 6, 5, 6, 3, 9, 2, 5, 3),
            TorchConfig.bernoulli(1, 6, 5, 4, 2, 6, 1, 7, 5),
            TorchConfig.categorical(1, 4, 4, 3, 5, 5, 4, 0, 3, 3)}) {
            try (TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS, 21)) {
                scaleAll(m, 1.5f);
                byte[] imgs = randomImages(new SplittableRandom(22), 3, cfg);
                float[] got = m.logits(imgs, 3);
                double[] want = referenceLogits(m, imgs, 3);
                double maxErr = 0;
                double maxAbs = 0;
                for (int i = 0; i < want.length; i++) {
                    maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
                    maxAbs = Math.max(maxAbs, Math.abs(want[i]));
                }
                assertTrue(maxAbs > 0.05, "degenerate test: logits all near zero");
                assertTrue(maxErr <= 1e-5 * Math.max(1, maxAbs), cfg + ": max |torch - java| = " + maxErr);
            }
        }
    }

    /** The spec, spelled out in double precision with plain loops. */
    private static double[] referenceLogits(TorchPixelCnn m, byte[] imgs, int n) {
        TorchConfig cfg = m.config();
        int c = cfg.channels();
        int h = cfg.height();
        int w = cfg.width();
        int d = cfg.dimsPerImage();
        double[] all = new double[n * cfg.outChannels() * h * w];
        for (int b = 0; b < n; b++) {
            double[] x = new double[d];
            for (int i = 0; i < d; i++) {
                int v = imgs[b * d + i] & 0xff;
                x[i] = cfg.bernoulli() ? v : (double) v / (cfg.levels() - 1);
            }
            double[] hs = refConv(m, "input", x, c, h, w);
            for (int i = 0; i < cfg.blocks(); i++) {
                String p = "blocks." + i + ".";
                double[] t = relu(refConv(m, p + "conv1", relu(hs), cfg.hidden(), h, w));
                t = relu(refConv(m, p + "conv2", t, cfg.residual(), h, w));
                t = refConv(m, p + "conv3", t, cfg.residual(), h, w);
                for (int j = 0; j < hs.length; j++) {
                    hs[j] += t[j];
                }
            }
            double[] t = relu(refConv(m, "head.conv1", relu(hs), cfg.hidden(), h, w));
            t = refConv(m, "head.conv2", t, cfg.head(), h, w);
            System.arraycopy(t, 0, all, b * t.length, t.length);
        }
        return all;
    }

    private static double[] refConv(TorchPixelCnn m, String prefix, double[] x, int in, int h, int w) {
        long[] s = m.shape(prefix + ".weight");
        int out = (int) s[0];
        int k = (int) s[2];
        assertEquals(in, s[1]);
        float[] wt = m.getTensor(prefix + ".weight");
        float[] mask = m.mask(prefix + ".weight");
        float[] bias = m.getTensor(prefix + ".bias");
        int pad = k / 2;
        double[] y = new double[out * h * w];
        for (int o = 0; o < out; o++) {
            for (int r = 0; r < h; r++) {
                for (int col = 0; col < w; col++) {
                    double acc = bias[o];
                    for (int q = 0; q < in; q++) {
                        for (int i = 0; i < k; i++) {
                            int rr = r + i - pad;
                            if (rr < 0 || rr >= h) {
                                continue;
                            }
                            for (int j = 0; j < k; j++) {
                                int cc = col + j - pad;
                                if (cc < 0 || cc >= w) {
                                    continue;
                                }
                                int wi = ((o * in + q) * k + i) * k + j;
                                acc += (double) wt[wi] * mask[wi] * x[(q * h + rr) * w + cc];
                            }
                        }
                    }
                    y[(o * h + r) * w + col] = acc;
                }
            }
        }
        return y;
    }

    private static double[] relu(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Math.max(0, a[i]);
        }
        return r;
    }

    // ------------------------------------------------------------------ (c) losses

    @Test
    void zeroWeightsGiveUniformLoss() {
        checkZeroModel(TorchConfig.bernoulli(1, 4, 5, 4, 2, 4, 1, 3, 3), Math.log(2));
        checkZeroModel(TorchConfig.bernoulli(3, 4, 4, 6, 3, 6, 1, 3, 3), Math.log(2));
        checkZeroModel(TorchConfig.categorical(3, 3, 4, 7, 6, 3, 6, 1, 3, 3), Math.log(7));
        checkZeroModel(TorchConfig.categorical(1, 3, 3, 256, 4, 4, 4, 1, 3, 3), Math.log(256));
    }

    private static void checkZeroModel(TorchConfig cfg, double perDim) {
        try (TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS, 5)) {
            for (String name : m.tensorNames()) {
                m.setTensor(name, new float[m.numel(name)]);
            }
            byte[] imgs = randomImages(new SplittableRandom(6), 4, cfg);
            for (float v : m.logits(imgs, 4)) {
                assertEquals(0f, v);
            }
            double expect = cfg.dimsPerImage() * perDim;
            for (double nll : m.perImageNll(imgs, 4)) {
                assertEquals(expect, nll, 1e-5 * expect, cfg.toString());
            }
            assertEquals(expect, m.forwardBackward(imgs, 4), 1e-5 * expect, cfg.toString());
        }
    }

    /** Losses against log-sum-exp / softplus in double over the oracle's own logits. */
    @Test
    void lossMatchesJavaFromLogits() {
        for (TorchConfig cfg : new TorchConfig[] {
            TorchConfig.categorical(3, 4, 5, 6, 6, 3, 6, 1, 3, 3),
            TorchConfig.categorical(1, 5, 4, 3, 4, 4, 4, 1, 3, 3),
            TorchConfig.bernoulli(3, 4, 4, 6, 3, 6, 1, 3, 3),
            TorchConfig.bernoulli(1, 5, 5, 4, 4, 4, 1, 5, 3)}) {
            try (TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS, 31)) {
                scaleAll(m, 3f);
                int n = 3;
                byte[] imgs = randomImages(new SplittableRandom(32), n, cfg);
                float[] lg = m.logits(imgs, n);
                double[] got = m.perImageNll(imgs, n);
                int c = cfg.channels();
                int hw = cfg.height() * cfg.width();
                int l = cfg.levels();
                int d = cfg.dimsPerImage();
                int outPerImage = cfg.outChannels() * hw;
                double mean = 0;
                for (int b = 0; b < n; b++) {
                    double want = 0;
                    for (int ch = 0; ch < c; ch++) {
                        for (int p = 0; p < hw; p++) {
                            int v = imgs[b * d + ch * hw + p] & 0xff;
                            if (cfg.bernoulli()) {
                                double z = lg[b * outPerImage + ch * hw + p];
                                want += Math.max(z, 0) - z * v + Math.log1p(Math.exp(-Math.abs(z)));
                            } else {
                                double mx = Double.NEGATIVE_INFINITY;
                                for (int k = 0; k < l; k++) {
                                    mx = Math.max(mx, lg[b * outPerImage + (ch * l + k) * hw + p]);
                                }
                                double s = 0;
                                for (int k = 0; k < l; k++) {
                                    s += Math.exp(lg[b * outPerImage + (ch * l + k) * hw + p] - mx);
                                }
                                want += mx + Math.log(s) - lg[b * outPerImage + (ch * l + v) * hw + p];
                            }
                        }
                    }
                    assertEquals(want, got[b], 1e-5 * want, cfg + " image " + b);
                    mean += want / n;
                }
                assertTrue(Math.abs(mean - cfg.dimsPerImage() * Math.log(l)) > 0.1, "degenerate test");
                assertEquals(mean, m.forwardBackward(imgs, n), 1e-5 * mean, cfg.toString());
            }
        }
    }

    // ------------------------------------------------------------------ (d) gradients

    @Test
    void gradientsMatchFiniteDifferences() {
        checkGradients(TorchConfig.categorical(3, 4, 4, 3, 6, 3, 6, 1, 3, 3), 41, true);
        checkGradients(TorchConfig.bernoulli(1, 4, 5, 4, 4, 4, 1, 3, 3), 42, true);
        checkGradients(TorchConfig.categorical(3, 4, 4, 3, 6, 3, 6, 1, 3, 3), 43, false);
        checkGradients(TorchConfig.bernoulli(1, 4, 5, 4, 4, 4, 1, 3, 3), 44, false);
    }

    /**
     * Autograd against central differences of the mean per-dimension loss (per-image NLLs summed
     * in double, divided by n*C*H*W), one or more live entries per tensor; dead taps must have
     * exactly zero gradient.
     *
     * <p>{@code positive}: weights and biases made positive, so every ReLU input is positive and
     * the loss is smooth in each weight; the entry with the largest |grad| of every tensor must
     * match at a step of 1e-2 within 0.5 %. Otherwise (random signs) the loss is only piecewise
     * smooth: entries are tried in order of |grad|, an entry whose differences at steps 2e-3 and
     * 1e-3 disagree has a ReLU kink nearby and is skipped, and the first smooth one must match
     * within 1 %. At least one entry per tensor must be checked.
     */
    private static void checkGradients(TorchConfig cfg, long seed, boolean positive) {
        int n = 3;
        try (TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS, seed)) {
            for (String name : m.tensorNames()) {
                float[] t = m.getTensor(name);
                for (int i = 0; i < t.length; i++) {
                    t[i] = positive ? Math.abs(t[i]) + 0.01f : 2 * t[i];
                }
                m.setTensor(name, t);
            }
            byte[] imgs = randomImages(new SplittableRandom(seed + 1), n, cfg);
            m.forwardBackward(imgs, n);
            double worst = 0;
            int skipped = 0;
            for (String name : m.tensorNames()) {
                float[] g = m.grad(name);
                float[] mask = m.mask(name);
                List<Integer> live = new java.util.ArrayList<>();
                for (int i = 0; i < g.length; i++) {
                    if (mask[i] == 0f) {
                        assertTrue(g[i] == 0f, name + "[" + i + "] is a dead tap: " + g[i]); // +0 or -0
                    } else {
                        live.add(i);
                    }
                }
                live.sort((x, y) -> Float.compare(Math.abs(g[y]), Math.abs(g[x])));
                boolean checked = false;
                for (int r = 0; r < Math.min(6, live.size()) && !checked; r++) {
                    int i = live.get(r);
                    if (Math.abs(g[i]) < 1e-3) {
                        break;
                    }
                    double fd;
                    double tol;
                    if (positive) {
                        fd = centralDifference(m, name, i, imgs, n, 1e-2);
                        tol = 5e-3 * Math.abs(g[i]) + 1e-5;
                    } else {
                        double fd2 = centralDifference(m, name, i, imgs, n, 2e-3);
                        fd = centralDifference(m, name, i, imgs, n, 1e-3);
                        if (Math.abs(fd2 - fd) > 2e-3 * Math.abs(fd) + 2e-5) {
                            skipped++;
                            continue; // a ReLU switches within the step: not a smooth point
                        }
                        tol = 1e-2 * Math.abs(g[i]) + 2e-5;
                    }
                    double err = Math.abs(fd - g[i]);
                    assertTrue(err <= tol, name + "[" + i + "]: autograd " + g[i] + " vs finite difference " + fd);
                    worst = Math.max(worst, err / Math.abs(g[i]));
                    checked = true;
                }
                assertTrue(checked, name + ": no entry could be checked");
            }
            System.out.printf("gradients %s positive=%b: worst relative error %.3g, kinks skipped %d%n",
                    cfg, positive, worst, skipped);
        }
    }

    private static double centralDifference(TorchPixelCnn m, String name, int i, byte[] imgs, int n,
                                            double step) {
        double denom = (double) n * m.config().dimsPerImage();
        float[] w = m.getTensor(name);
        float w0 = w[i];
        w[i] = (float) (w0 + step);
        double up = w[i];
        m.setTensor(name, w);
        double lossUp = sum(m.perImageNll(imgs, n)) / denom;
        w[i] = (float) (w0 - step);
        double down = w[i];
        m.setTensor(name, w);
        double lossDown = sum(m.perImageNll(imgs, n)) / denom;
        w[i] = w0;
        m.setTensor(name, w);
        return (lossUp - lossDown) / (up - down);
    }

    // ------------------------------------------------------------------ (e) Adam and training

    @Test
    void adamStepsFollowTheLibTorchFormula() {
        TorchConfig cfg = TorchConfig.categorical(3, 4, 4, 4, 6, 3, 6, 1, 3, 3);
        try (TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS, 51)) {
            SplittableRandom rnd = new SplittableRandom(52);
            byte[] a = randomImages(rnd, 4, cfg);
            byte[] b = randomImages(rnd, 4, cfg);
            String name = "blocks.0.conv2.weight";
            float lr1 = 1e-2f;
            float lr2 = 3e-3f;
            float[] w0 = m.getTensor(name);
            m.forwardBackward(a, 4);
            float[] g1 = m.grad(name);
            m.adamStep(lr1);
            float[] w1 = m.getTensor(name);
            float[] m1 = m.adamState(name, false);
            float[] v1 = m.adamState(name, true);
            m.forwardBackward(b, 4);
            float[] g2 = m.grad(name);
            m.adamStep(lr2);
            float[] w2 = m.getTensor(name);
            float[] m2 = m.adamState(name, false);
            float[] v2 = m.adamState(name, true);
            double b1 = TorchPixelCnn.ADAM_BETA1;
            double b2 = TorchPixelCnn.ADAM_BETA2;
            double eps = TorchPixelCnn.ADAM_EPS;
            int moved = 0;
            for (int i = 0; i < w0.length; i++) {
                double em1 = (1 - b1) * g1[i];
                double ev1 = (1 - b2) * g1[i] * g1[i];
                assertEquals(em1, m1[i], 1e-6 * Math.abs(em1) + 1e-12);
                assertEquals(ev1, v1[i], 1e-5 * ev1 + 1e-15);
                double ew1 = w0[i] - lr1 / (1 - b1) * em1 / (Math.sqrt(ev1) / Math.sqrt(1 - b2) + eps);
                assertEquals(ew1, w1[i], 1e-6);
                double em2 = b1 * em1 + (1 - b1) * g2[i];
                double ev2 = b2 * ev1 + (1 - b2) * g2[i] * g2[i];
                assertEquals(em2, m2[i], 1e-5 * Math.abs(em2) + 1e-12);
                assertEquals(ev2, v2[i], 1e-5 * ev2 + 1e-15);
                double ew2 = w1[i] - lr2 / (1 - b1 * b1) * em2
                        / (Math.sqrt(ev2) / Math.sqrt(1 - b2 * b2) + eps);
                assertEquals(ew2, w2[i], 1e-6);
                if (m.mask(name)[i] == 0f) {
                    assertEquals(w0[i], w2[i], "dead tap moved");
                } else if (w2[i] != w0[i]) {
                    moved++;
                }
            }
            assertTrue(moved > w0.length / 4, "too few weights moved: " + moved);
        }
    }

    @Test
    void trainingOnAFixedBatchReducesTheLoss() {
        // Diagonal stripes with a random phase per image: predictable from the upper-left context.
        TorchConfig cfg = TorchConfig.bernoulli(1, 8, 8, 8, 4, 8, 1, 5, 3);
        int n = 8;
        byte[] imgs = new byte[n * 64];
        SplittableRandom rnd = new SplittableRandom(61);
        for (int b = 0; b < n; b++) {
            int phase = rnd.nextInt(3);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    imgs[b * 64 + y * 8 + x] = (byte) ((x + y + phase) % 3 == 0 ? 1 : 0);
                }
            }
        }
        try (TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS, 62)) {
            float[] deadBefore = deadEntries(m, "input.weight");
            float first = m.trainStep(imgs, n, 1e-2f);
            float last = first;
            for (int i = 0; i < 40; i++) {
                last = m.trainStep(imgs, n, 1e-2f);
            }
            double after = sum(m.perImageNll(imgs, n)) / n;
            System.out.printf("training: loss per image %.4f -> %.4f (eval after %.4f)%n", first, last, after);
            assertTrue(last < 0.7 * first, "loss " + first + " -> " + last);
            assertTrue(after <= last);
            assertArrayEquals(deadBefore, deadEntries(m, "input.weight"), "dead taps must not move");
        }
    }

    private static float[] deadEntries(TorchPixelCnn m, String name) {
        float[] w = m.getTensor(name);
        float[] mask = m.mask(name);
        float[] dead = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            dead[i] = mask[i] == 0f ? w[i] : Float.NaN;
        }
        return dead;
    }

    // ------------------------------------------------------------------ (f) native memory

    /**
     * Native memory stays bounded over hundreds of calls. Two measures: the process RSS (with
     * generous slack: it also holds the Java heap and the allocators' caches), and the number of
     * live JavaCPP pointers with a deallocator ({@link org.bytedeco.javacpp.Pointer#totalCount()}),
     * which returns to the same value after every call when each call's PointerScope frees its
     * temporaries, but grows by dozens per call when they are left to the garbage collector.
     */
    @Test
    @EnabledOnOs(value = OS.LINUX, disabledReason = "reads the resident set from /proc/self/status")
    void repeatedCallsDoNotGrowNativeMemory() throws IOException {
        TorchConfig cfg = TorchConfig.categorical(3, 8, 8, 8, 12, 6, 12, 2, 5, 3);
        int n = 32;
        int calls = 300;
        try (TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS, 71)) {
            byte[] imgs = randomImages(new SplittableRandom(72), n, cfg);
            for (int i = 0; i < 30; i++) {
                m.trainStep(imgs, n, 1e-3f);
                m.logits(imgs, n);
                m.perImageNll(imgs, n);
            }
            long rss0 = rssKiB();
            long count0 = org.bytedeco.javacpp.Pointer.totalCount();
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                m.forwardBackward(imgs, n);
                if (i % 4 == 0) {
                    m.adamStep(1e-3f);
                    m.grad("input.weight");
                    m.perImageNll(imgs, n);
                    m.logits(imgs, n);
                }
            }
            long rss1 = rssKiB();
            long count1 = org.bytedeco.javacpp.Pointer.totalCount();
            System.out.printf("after %d forwardBackward calls: RSS %d -> %d KiB (%+d), live pointers %d -> %d"
                    + " (%.1f ms/call)%n", calls, rss0, rss1, rss1 - rss0, count0, count1,
                    (System.nanoTime() - t0) / 1e6 / calls);
            assertTrue(count1 - count0 <= 20, "live pointers grew from " + count0 + " to " + count1);
            // Measured on the 2-core machine: +20 to +40 MB with the scopes (Java heap and allocator
            // warm-up), +70 to +100 MB without them.
            assertTrue(rss1 - rss0 < 64 * 1024, "RSS grew by " + (rss1 - rss0) + " KiB");
        }
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    /** A caller's own PointerScope around construction and training must not free the model. */
    @Test
    @SuppressWarnings("try")
    void survivesTheCallersPointerScope() {
        TorchConfig cfg = TorchConfig.categorical(1, 4, 4, 4, 4, 4, 4, 1, 3, 3);
        byte[] imgs = randomImages(new SplittableRandom(81), 2, cfg);
        TorchPixelCnn m;
        float[] before;
        try (org.bytedeco.javacpp.PointerScope outer = new org.bytedeco.javacpp.PointerScope()) {
            m = new TorchPixelCnn(cfg, THREADS, 82);
            m.trainStep(imgs, 2, 1e-2f);
            before = m.logits(imgs, 2);
        }
        try {
            assertArrayEquals(before, m.logits(imgs, 2));
            m.trainStep(imgs, 2, 1e-2f);
            assertEquals(m.numel("input.weight"), m.adamState("input.weight", true).length);
        } finally {
            m.close();
        }
    }

    @Test
    void closedModelRefusesCalls() {
        TorchConfig cfg = TorchConfig.bernoulli(1, 3, 3, 2, 2, 2, 0, 3, 3);
        TorchPixelCnn m = new TorchPixelCnn(cfg, THREADS);
        m.close();
        m.close();
        assertThrows(IllegalStateException.class, () -> m.getTensor("input.weight"));
        assertThrows(IllegalStateException.class, () -> m.logits(new byte[9], 1));
    }

    // ------------------------------------------------------------------ helpers

    private static int live(float[] mask) {
        int n = 0;
        for (float v : mask) {
            n += v != 0f ? 1 : 0;
        }
        return n;
    }

    private static double sum(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s;
    }

    private static float[] random(SplittableRandom rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    private static byte[] randomImages(SplittableRandom rnd, int n, TorchConfig cfg) {
        byte[] b = new byte[n * cfg.dimsPerImage()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) rnd.nextInt(cfg.levels());
        }
        return b;
    }

    /** Changes one pixel value to a different one. */
    private static void change(byte[] imgs, int idx, int levels, SplittableRandom rnd) {
        int v = imgs[idx] & 0xff;
        imgs[idx] = (byte) ((v + 1 + rnd.nextInt(levels - 1)) % levels);
    }

    private static void scaleAll(TorchPixelCnn m, float factor) {
        for (String name : m.tensorNames()) {
            float[] w = m.getTensor(name);
            for (int i = 0; i < w.length; i++) {
                w[i] *= factor;
            }
            m.setTensor(name, w);
        }
    }
}
