package org.pixelcnn4j.oracle;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Reference PixelCNN in LibTorch (JavaCPP PyTorch presets), used only by tests and benchmarks to
 * check the pixelcnn4j engine number for number: the plain PixelCNN, or, with
 * {@link TorchConfig#gated()}, Gated PixelCNN with optional class conditioning, written as a
 * PyTorch user would (vertical stack as an uncentred convolution cropped to the rows above,
 * horizontal stack as a 1 x (k/2+1) convolution cropped to the pixels on the left, gates over
 * {@code view(N, C, 2, F/C, H, W)}, class biases by {@code index_select} from an embedding table).
 *
 * <p>Parameters are plain leaf tensors (float32, requires_grad) in PyTorch layout, kept alive
 * outside any {@link PointerScope}. Masked convolutions are {@code conv2d(x, weight * mask, bias)},
 * so the full weight tensors are the parameters and dead taps get exactly zero gradient. Every
 * public call runs inside its own {@link PointerScope}, so temporaries are freed when it returns.
 *
 * <p>Not thread safe. {@link torch#set_num_threads(int)} is process global: the last constructed
 * instance decides it.
 */
@SuppressWarnings("try") // the PointerScopes are used for their effect only
public final class TorchPixelCnn implements AutoCloseable {

    /** Adam hyper-parameters (LibTorch defaults), stated for the engine to copy. */
    public static final double ADAM_BETA1 = 0.9;
    public static final double ADAM_BETA2 = 0.999;
    public static final double ADAM_EPS = 1e-8;

    private static final int REDUCTION_NONE = torch.Reduction.None.value;
    private static final int REDUCTION_MEAN = torch.Reduction.Mean.value;

    /** One parameter tensor (a weight or a bias) and, for weights, its mask. */
    private static final class Param {
        final String name;
        final long[] shape;
        final int numel;
        final int fanIn;
        final float[] maskHost; // all ones for biases
        Tensor value;           // leaf, requires_grad
        Tensor mask;            // null for biases

        Param(String name, long[] shape, int fanIn, float[] maskHost) {
            this.name = name;
            this.shape = shape;
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            this.numel = Math.toIntExact(n);
            this.fanIn = fanIn;
            this.maskHost = maskHost;
        }
    }

    /**
     * A masked convolution: names of its weight and bias, and its padding (top, left); the output
     * is cropped to the image from its top-left corner, so an uncentred kernel reads the rows
     * above (padding top kh) or the columns to the left (padding left kw - 1).
     */
    private record Conv(String prefix, long padTop, long padLeft) {
    }

    /** One gated layer's convolutions; null where the engine builds none. */
    private record GatedLayer(Conv vConv, String vClass, Conv hConv, Conv vToH, String hClass, Conv hOut,
                              Conv skip, boolean vertical) {
    }

    private final TorchConfig cfg;
    private final LinkedHashMap<String, Param> params = new LinkedHashMap<>();
    private final Conv inputConv;
    private final List<Conv[]> blockConvs = new ArrayList<>();
    private final List<GatedLayer> gatedLayers = new ArrayList<>();
    private final Conv head1;
    private final Conv head2;
    private Adam adam;
    private double adamLr = Double.NaN;
    private boolean closed;

    /** Builds the model with weights initialised by {@link #initUniform(long)} with seed 0. */
    public TorchPixelCnn(TorchConfig cfg, int threads) {
        this(cfg, threads, 0L);
    }

    /** Builds the model with weights initialised by {@link #initUniform(long)} with {@code seed}. */
    public TorchPixelCnn(TorchConfig cfg, int threads, long seed) {
        this.cfg = cfg;
        torch.set_num_threads(threads);
        int c = cfg.channels();
        inputConv = cfg.gated() ? null : addConv("input", c, cfg.hidden(), cfg.inputKernel(), true);
        for (int l = 0; cfg.gated() && l < cfg.blocks(); l++) {
            String p = "layers." + l + ".";
            int f = cfg.hidden();
            int k = l == 0 ? cfg.inputKernel() : cfg.blockKernel();
            int in = l == 0 ? c : f;
            boolean last = l == cfg.blocks() - 1;
            int kh = k / 2 + 1;
            // Vertical: kh x k over the kh rows above (layer 0) or the kh - 1 above and the own
            // row of the vertical maps (later layers); unmasked.
            Conv vConv = addConv(p + "v_conv", in, 2 * f, kh, k, l == 0 ? kh : kh - 1, k / 2,
                    ones(2 * f * in * kh * k));
            String vClass = cfg.classes() > 0 ? addTable(p + "v_class", 2 * f) : null;
            Conv hConv = addConv(p + "h_conv", in, 2 * f, 1, kh, 0, k / 2,
                    horizontalMask(2 * f, in, kh, l == 0, c));
            Conv vToH = addConv(p + "v_to_h", 2 * f, 2 * f, 1, 1, 0, 0, ones(4 * f * f));
            String hClass = cfg.classes() > 0 ? addTable(p + "h_class", 2 * f) : null;
            Conv hOut = last && cfg.skip() ? null : addConv(p + "h_out", f, f, 1, false);
            Conv skip = cfg.skip() ? addConv(p + "skip", f, f, 1, false) : null;
            gatedLayers.add(new GatedLayer(vConv, vClass, hConv, vToH, hClass, hOut, skip, !last));
        }
        for (int i = 0; !cfg.gated() && i < cfg.blocks(); i++) {
            String p = "blocks." + i + ".";
            blockConvs.add(new Conv[] {
                addConv(p + "conv1", cfg.hidden(), cfg.residual(), 1, false),
                addConv(p + "conv2", cfg.residual(), cfg.residual(), cfg.blockKernel(), false),
                addConv(p + "conv3", cfg.residual(), cfg.hidden(), 1, false)});
        }
        head1 = addConv("head.conv1", cfg.hidden(), cfg.head(), 1, false);
        // (for a gated model the head reads the F skip or last-layer channels: also hidden())
        head2 = addConv("head.conv2", cfg.head(), cfg.outChannels(), 1, false);
        for (Param p : params.values()) {
            float[] zeros = new float[p.numel];
            p.value = persistentTensor(zeros, p.shape);
            p.value.requires_grad_(true);
            if (p.shape.length == 4) {
                p.mask = persistentTensor(p.maskHost, p.shape);
            }
        }
        initUniform(seed);
    }

    private Conv addConv(String prefix, int in, int out, int k, boolean typeA) {
        return addConv(prefix, in, out, k, k, k / 2, k / 2, buildMask(out, in, k, typeA, cfg.channels()));
    }

    private Conv addConv(String prefix, int in, int out, int kh, int kw, int padTop, int padLeft, float[] mask) {
        long[] wShape = {out, in, kh, kw};
        params.put(prefix + ".weight", new Param(prefix + ".weight", wShape, in * kh * kw, mask));
        params.put(prefix + ".bias", new Param(prefix + ".bias", new long[] {out}, in * kh * kw, ones(out)));
        return new Conv(prefix, padTop, padLeft);
    }

    /** An embedding table (classes, width), PyTorch's nn.Embedding weight; returns its name. */
    private String addTable(String prefix, int width) {
        String name = prefix + ".weight";
        params.put(name, new Param(name, new long[] {cfg.classes(), width}, 1, ones(cfg.classes() * width)));
        return name;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /**
     * The {0,1} mask of a horizontal-stack convolution [out][in][1][kw]: the kw - 1 taps left of
     * the pixel live, the last one (the pixel itself) with the channel-group mask of type A or B.
     */
    public static float[] horizontalMask(int out, int in, int kw, boolean typeA, int imageChannels) {
        int outPer = out / imageChannels;
        int inPer = in / imageChannels;
        float[] m = new float[out * in * kw];
        for (int o = 0; o < out; o++) {
            for (int q = 0; q < in; q++) {
                for (int j = 0; j < kw; j++) {
                    boolean live = j < kw - 1 || (typeA ? q / inPer < o / outPer : q / inPer <= o / outPer);
                    m[(o * in + q) * kw + j] = live ? 1f : 0f;
                }
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ masks

    /**
     * The {0,1} mask of a masked convolution in PyTorch layout [out][in][k][k].
     * Taps before the centre in raster order are live, taps after it dead; at the centre, with
     * channels split into {@code imageChannels} contiguous groups ({@code group(ch, total) = ch /
     * (total / imageChannels)}), input q feeds output o iff group(q) &lt; group(o) (type A) or
     * group(q) &lt;= group(o) (type B).
     */
    public static float[] buildMask(int out, int in, int k, boolean typeA, int imageChannels) {
        if (out % imageChannels != 0 || in % imageChannels != 0) {
            throw new IllegalArgumentException("channels not divisible by " + imageChannels);
        }
        int c = k / 2;
        int outPer = out / imageChannels;
        int inPer = in / imageChannels;
        float[] m = new float[out * in * k * k];
        for (int o = 0; o < out; o++) {
            for (int q = 0; q < in; q++) {
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) {
                        boolean live;
                        if (i < c || (i == c && j < c)) {
                            live = true;
                        } else if (i == c && j == c) {
                            int go = o / outPer;
                            int gq = q / inPer;
                            live = typeA ? gq < go : gq <= go;
                        } else {
                            live = false;
                        }
                        m[((o * in + q) * k + i) * k + j] = live ? 1f : 0f;
                    }
                }
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ parameters

    public TorchConfig config() {
        return cfg;
    }

    /** state_dict names in order: input, blocks.{i}.conv1..3, head.conv1..2 (weight then bias). */
    public List<String> tensorNames() {
        return Collections.unmodifiableList(new ArrayList<>(params.keySet()));
    }

    /** PyTorch shape of a tensor: (out, in, kh, kw) for weights, (out) for biases. */
    public long[] shape(String name) {
        return param(name).shape.clone();
    }

    /** Number of elements of a tensor. */
    public int numel(String name) {
        return param(name).numel;
    }

    /** The mask of a tensor, same layout as the tensor; all ones for biases. */
    public float[] mask(String name) {
        return param(name).maskHost.clone();
    }

    /**
     * Re-initialises every tensor, deterministically from {@code seed} (java.util.SplittableRandom,
     * independent of LibTorch's generator): weights and biases uniform in
     * [-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = in*k*k (the distribution of PyTorch's default
     * Conv2d initialisation). Dead taps get values too; the mask hides them.
     */
    public void initUniform(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Param p : params.values()) {
            double bound = 1.0 / Math.sqrt(p.fanIn);
            float[] v = new float[p.numel];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            }
            setTensor(p.name, v);
        }
    }

    /** Overwrites a tensor with row-major data in PyTorch layout. */
    public void setTensor(String name, float[] data) {
        checkOpen();
        Param p = param(name);
        if (data.length != p.numel) {
            throw new IllegalArgumentException(name + ": expected " + p.numel + " values, got " + data.length);
        }
        boolean grad = GradMode.is_enabled();
        try (PointerScope scope = new PointerScope()) {
            GradMode.set_enabled(false);
            Tensor src = torch.from_blob(new FloatPointer(data), p.shape);
            p.value.copy_(src);
        } finally {
            GradMode.set_enabled(grad);
        }
    }

    /** A copy of a tensor, row-major in PyTorch layout. */
    public float[] getTensor(String name) {
        checkOpen();
        Param p = param(name);
        try (PointerScope scope = new PointerScope()) {
            return toFloats(p.value.detach(), p.numel);
        }
    }

    /** All tensors by name, in state_dict order. */
    public Map<String, float[]> stateDict() {
        LinkedHashMap<String, float[]> m = new LinkedHashMap<>();
        for (String n : params.keySet()) {
            m.put(n, getTensor(n));
        }
        return m;
    }

    /** The gradient of a tensor from the last {@link #forwardBackward}; zeros before any. */
    public float[] grad(String name) {
        checkOpen();
        Param p = param(name);
        try (PointerScope scope = new PointerScope()) {
            Tensor g = p.value.grad();
            if (g == null || g.isNull() || !g.defined()) {
                return new float[p.numel];
            }
            return toFloats(g, p.numel);
        }
    }

    // ------------------------------------------------------------------ forward and loss

    /** Logits for n images (uint8, N x C x H x W), flat N x out x H x W; no autograd. */
    public float[] logits(byte[] images, int n) {
        return logits(images, null, n);
    }

    /** The same for a conditional model: labels[n] (null for an unconditional one). */
    public float[] logits(byte[] images, int[] labels, int n) {
        checkOpen();
        boolean grad = GradMode.is_enabled();
        try (PointerScope scope = new PointerScope()) {
            GradMode.set_enabled(false);
            Tensor out = forward(inputTensor(images, n), labels);
            return toFloats(out, n * cfg.outChannels() * cfg.height() * cfg.width());
        } finally {
            GradMode.set_enabled(grad);
        }
    }

    /**
     * One full forward pass without autograd, then only the logits at row {@code y}, column
     * {@code x}: flat N x K (K = {@link TorchConfig#outChannels()}). What naive sampling needs per
     * pixel, without copying the whole N x K x H x W output to Java.
     */
    public float[] logitsAt(byte[] images, int n, int y, int x) {
        return logitsAt(images, null, n, y, x);
    }

    /** The same for a conditional model. */
    public float[] logitsAt(byte[] images, int[] labels, int n, int y, int x) {
        checkOpen();
        if (y < 0 || y >= cfg.height() || x < 0 || x >= cfg.width()) {
            throw new IllegalArgumentException("position (" + y + ", " + x + ") outside the image");
        }
        boolean grad = GradMode.is_enabled();
        try (PointerScope scope = new PointerScope()) {
            GradMode.set_enabled(false);
            Tensor out = forward(inputTensor(images, n), labels);
            return toFloats(out.select(3, x).select(2, y), n * cfg.outChannels());
        } finally {
            GradMode.set_enabled(grad);
        }
    }

    /**
     * Per-image negative log-likelihood in nats: the per-dimension losses (reduction none, as
     * float32 from LibTorch) summed per image in double.
     */
    public double[] perImageNll(byte[] images, int n) {
        return perImageNll(images, null, n);
    }

    /** The same for a conditional model: -log p(x_i | labels[i]). */
    public double[] perImageNll(byte[] images, int[] labels, int n) {
        checkOpen();
        boolean grad = GradMode.is_enabled();
        try (PointerScope scope = new PointerScope()) {
            GradMode.set_enabled(false);
            Tensor x = inputTensor(images, n);
            Tensor perDim = loss(forward(x, labels), x, images, n, REDUCTION_NONE);
            int d = cfg.dimsPerImage();
            float[] l = toFloats(perDim, n * d);
            double[] nll = new double[n];
            for (int b = 0; b < n; b++) {
                double s = 0;
                for (int i = 0; i < d; i++) {
                    s += l[b * d + i];
                }
                nll[b] = s;
            }
            return nll;
        } finally {
            GradMode.set_enabled(grad);
        }
    }

    /**
     * Zeroes the gradients, runs forward, takes the mean per-dimension loss (LibTorch's mean
     * reduction) and back-propagates it. Gradients are those of that mean per-dimension loss.
     * Returns mean loss * C*H*W, i.e. the mean NLL per image in nats.
     */
    public float forwardBackward(byte[] images, int n) {
        return forwardBackward(images, null, n);
    }

    /** The same for a conditional model. */
    public float forwardBackward(byte[] images, int[] labels, int n) {
        checkOpen();
        boolean grad = GradMode.is_enabled();
        try (PointerScope scope = new PointerScope()) {
            GradMode.set_enabled(true);
            zeroGradInScope();
            Tensor x = inputTensor(images, n);
            Tensor mean = loss(forward(x, labels), x, images, n, REDUCTION_MEAN);
            mean.backward();
            return (float) (mean.item_double() * cfg.dimsPerImage());
        } finally {
            GradMode.set_enabled(grad);
        }
    }

    /** Sets all defined gradients to zero. */
    public void zeroGrad() {
        checkOpen();
        try (PointerScope scope = new PointerScope()) {
            zeroGradInScope();
        }
    }

    private void zeroGradInScope() {
        for (Param p : params.values()) {
            Tensor g = p.value.grad();
            if (g != null && !g.isNull() && g.defined()) {
                g.zero_();
            }
        }
    }

    // ------------------------------------------------------------------ optimiser

    /**
     * One torch::optim::Adam step (betas (0.9, 0.999), eps 1e-8, no weight decay, no amsgrad) on
     * the current gradients. The optimiser is created at the first call; a different lr in a later
     * call changes the group's learning rate and keeps the moments.
     */
    public void adamStep(float lr) {
        adamStep(lr, 0.0);
    }

    /**
     * {@link #adamStep(float)} with torch.optim.Adam's L2 weight decay (set when the optimiser is
     * created, at the first call).
     */
    public void adamStep(float lr, double weightDecay) {
        checkOpen();
        try (PointerScope scope = new PointerScope()) {
            if (adam == null) {
                TensorVector tv = new TensorVector();
                for (Param p : params.values()) {
                    tv.push_back(p.value);
                }
                // LibTorch's defaults are the ones wanted: betas (0.9, 0.999), eps 1e-8, no
                // weight decay, no amsgrad. Do not write betas() through its DoublePointer:
                // std::tuple<double,double> keeps beta2 at index 0 and beta1 at index 1.
                AdamOptions opts = new AdamOptions(lr);
                opts.weight_decay().put(weightDecay);
                adam = new Adam(tv, opts);
                adam.retainReference(); // survives this scope; freed in close()
                adamLr = lr;
            } else if (adamLr != lr) {
                adam.param_groups().get(0).options().set_lr(lr);
                adamLr = lr;
            }
            adam.step();
        }
    }

    /** forwardBackward then adamStep; returns the loss before the step (mean NLL per image). */
    public float trainStep(byte[] images, int n, float lr) {
        return trainStep(images, null, n, lr);
    }

    /** The same for a conditional model. */
    public float trainStep(byte[] images, int[] labels, int n, float lr) {
        float l = forwardBackward(images, labels, n);
        adamStep(lr);
        return l;
    }

    /**
     * Adam's first ({@code exp_avg}) or second ({@code exp_avg_sq}) moment of a tensor, read back
     * through the optimiser's serialisation (LibTorch's Java presets do not expose
     * Optimizer::state()). Zeros before the first step. Slow; for tests only.
     */
    public float[] adamState(String name, boolean secondMoment) {
        checkOpen();
        Param p = param(name);
        if (adam == null) {
            return new float[p.numel];
        }
        File f = null;
        try (PointerScope scope = new PointerScope()) {
            f = File.createTempFile("torch-adam", ".pt");
            OutputArchive out = new OutputArchive();
            adam.save(out);
            out.save_to(f.getAbsolutePath());
            InputArchive in = new InputArchive();
            in.load_from(f.getAbsolutePath());
            InputArchive state = new InputArchive();
            in.read("state", state);
            String key = Long.toUnsignedString(p.value.unsafeGetTensorImpl().address());
            StringVector keys = state.keys();
            boolean found = false;
            for (long i = 0; i < keys.size(); i++) {
                if (keys.get(i).getString().equals(key)) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                // A parameter whose gradient was never defined has no state yet.
                return new float[p.numel];
            }
            InputArchive ps = new InputArchive();
            state.read(key, ps);
            Tensor t = new Tensor();
            ps.read(secondMoment ? "exp_avg_sq" : "exp_avg", t);
            return toFloats(t, p.numel);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } finally {
            if (f != null) {
                try {
                    Files.deleteIfExists(f.toPath());
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    // ------------------------------------------------------------------ internals

    private Tensor forward(Tensor x, int[] labels) {
        if (cfg.gated()) {
            return gatedForward(x, labels);
        }
        Tensor h = conv(x, inputConv);
        for (Conv[] b : blockConvs) {
            Tensor t = torch.relu(conv(torch.relu(h), b[0]));
            t = torch.relu(conv(t, b[1]));
            t = conv(t, b[2]);
            h = h.add(t);
        }
        Tensor t = torch.relu(conv(torch.relu(h), head1));
        return conv(t, head2);
    }

    private Tensor gatedForward(Tensor x, int[] labels) {
        if ((cfg.classes() > 0) != (labels != null)) {
            throw new IllegalArgumentException("labels must be given exactly for a conditional model");
        }
        Tensor labelIndex = null;
        if (labels != null) {
            long[] l = new long[labels.length];
            for (int i = 0; i < l.length; i++) {
                l[i] = labels[i];
            }
            labelIndex = torch.from_blob(new org.bytedeco.javacpp.LongPointer(l), new long[] {l.length},
                    new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Long)).clone();
        }
        Tensor v = x;
        Tensor h = x;
        Tensor skip = null;
        for (int l = 0; l < gatedLayers.size(); l++) {
            GatedLayer layer = gatedLayers.get(l);
            Tensor vPre = addClassBias(conv(v, layer.vConv()), layer.vClass(), labelIndex);
            Tensor hPre = addClassBias(conv(h, layer.hConv()).add(conv(vPre, layer.vToH())), layer.hClass(), labelIndex);
            Tensor g = gate(hPre);
            if (layer.skip() != null) {
                Tensor s = conv(g, layer.skip());
                skip = skip == null ? s : skip.add(s);
            }
            if (layer.hOut() != null) {
                Tensor out = conv(g, layer.hOut());
                h = l == 0 ? out : h.add(out);
            }
            if (layer.vertical()) {
                v = gate(vPre);
            }
        }
        Tensor t = torch.relu(conv(torch.relu(cfg.skip() ? skip : h), head1));
        return conv(t, head2);
    }

    /** tanh(a) * sigmoid(b), a and b the halves of each of the C channel groups. */
    private Tensor gate(Tensor pre) {
        long n = pre.size(0);
        int c = cfg.channels();
        int f = cfg.hidden();
        Tensor grouped = pre.view(n, c, 2, f / c, cfg.height(), cfg.width());
        Tensor a = grouped.select(2, 0);
        Tensor b = grouped.select(2, 1);
        return torch.tanh(a).mul(torch.sigmoid(b)).reshape(n, f, cfg.height(), cfg.width());
    }

    private Tensor addClassBias(Tensor pre, String table, Tensor labelIndex) {
        if (table == null) {
            return pre;
        }
        Tensor rows = params.get(table).value.index_select(0, labelIndex);
        return pre.add(rows.view(rows.size(0), rows.size(1), 1, 1));
    }

    private Tensor conv(Tensor x, Conv c) {
        Param w = params.get(c.prefix() + ".weight");
        Param b = params.get(c.prefix() + ".bias");
        long[] one = {1, 1};
        Tensor out = torch.conv2d(x, w.value.mul(w.mask), new TensorOptional(b.value), one,
                new long[] {c.padTop(), c.padLeft()}, one, 1);
        return out.narrow(2, 0, cfg.height()).narrow(3, 0, cfg.width());
    }

    /** Per-dimension (REDUCTION_NONE, shape N x C x H x W) or mean (REDUCTION_MEAN) loss. */
    private Tensor loss(Tensor logits, Tensor x, byte[] images, int n, int reduction) {
        if (cfg.bernoulli()) {
            return torch.binary_cross_entropy_with_logits(logits, x, new TensorOptional(),
                    new TensorOptional(), reduction);
        }
        int c = cfg.channels();
        int l = cfg.levels();
        int h = cfg.height();
        int w = cfg.width();
        Tensor input = logits.view(n, c, l, h, w).permute(0, 2, 1, 3, 4);
        Tensor target = targetTensor(images, n);
        return torch.cross_entropy_loss(input, target, new TensorOptional(), reduction, -100, 0.0);
    }

    /** Encoded input N x C x H x W: x = v (Bernoulli) or x = (float) v / (float) (L-1). */
    private Tensor inputTensor(byte[] images, int n) {
        int d = cfg.dimsPerImage();
        if (n < 1 || images.length < (long) n * d) {
            throw new IllegalArgumentException("need " + n + " images of " + d + " bytes");
        }
        int levels = cfg.levels();
        float denom = levels - 1;
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            int v = images[i] & 0xff;
            if (v >= levels) {
                throw new IllegalArgumentException("pixel value " + v + " >= levels " + levels);
            }
            x[i] = cfg.bernoulli() ? v : v / denom;
        }
        return torch.from_blob(new FloatPointer(x), n, cfg.channels(), cfg.height(), cfg.width()).clone();
    }

    /** Integer targets N x C x H x W (int64). */
    private Tensor targetTensor(byte[] images, int n) {
        int d = cfg.dimsPerImage();
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = images[i] & 0xff;
        }
        return torch.from_blob(new FloatPointer(v), n, cfg.channels(), cfg.height(), cfg.width())
                .to(torch.ScalarType.Long);
    }

    private static float[] toFloats(Tensor t, int expected) {
        Tensor c = t.contiguous();
        if (c.numel() != expected) {
            throw new IllegalStateException("expected " + expected + " elements, tensor has " + c.numel());
        }
        float[] out = new float[expected];
        c.data_ptr_float().get(out);
        return out;
    }

    /**
     * A float tensor that owns a copy of {@code data} and outlives every PointerScope: it is made
     * in a scope of its own and retained once more, so closing that scope leaves it alive (and
     * a caller's scope never sees it). Freed by {@link #close()}.
     */
    private static Tensor persistentTensor(float[] data, long[] shape) {
        try (PointerScope scope = new PointerScope()) {
            Tensor t = torch.from_blob(new FloatPointer(data), shape).clone();
            // Not scope.detach(t): detach() also releases the reference and so frees t at once.
            t.retainReference();
            return t;
        }
    }

    private Param param(String name) {
        Param p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no tensor named " + name + "; have " + params.keySet());
        }
        return p;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
    }

    /** Releases the optimiser and all parameter and mask tensors. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (adam != null) {
            adam.deallocate();
            adam = null;
        }
        for (Param p : params.values()) {
            closeQuietly(p.value);
            closeQuietly(p.mask);
            p.value = null;
            p.mask = null;
        }
    }

    private static void closeQuietly(Pointer p) {
        if (p != null && !p.isNull()) {
            p.deallocate();
        }
    }
}
