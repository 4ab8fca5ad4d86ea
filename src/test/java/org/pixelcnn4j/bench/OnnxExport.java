package org.pixelcnn4j.bench;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.io.Safetensors;

/**
 * A model's weights as an ONNX graph of the same PixelCNN that outputs each image's negative
 * log-likelihood in nats, for ONNX Runtime, the benchmark's scoring peer. Written straight from
 * the engine's {@code state_dict} as protobuf (opset 13), the graph a PyTorch export of the module
 * of docs/interop.md gives: {@code Conv} with the masked weights (masked taps are stored as zeros),
 * {@code Relu}, {@code Add} for the residuals, then the head's loss. No Python is needed, and the
 * peer computes exactly what {@link PixelCnn#logLikelihood} computes.
 *
 * <p>Input {@code images}: float32 (N, C, H, W) of level values; output {@code nll}: float32 (N).
 */
final class OnnxExport {

    private static final int FLOAT = 1;      // TensorProto.DataType
    private static final int INT64 = 7;
    private static final int ATTR_INT = 2;   // AttributeProto.AttributeType
    private static final int ATTR_INTS = 7;

    private OnnxExport() {
    }

    /** The ONNX model of {@code model}'s network and per-image NLL. */
    static byte[] nllModel(PixelCnn model) {
        PixelCnnConfig c = model.config();
        Map<String, Safetensors.Tensor> weights = new HashMap<>();
        for (Safetensors.Tensor t : model.stateDict()) {
            weights.put(t.name(), t);
        }
        Graph g = new Graph();
        for (Safetensors.Tensor t : weights.values()) {
            g.initializer(t.name(), t.shape(), t.data());
        }
        boolean bernoulli = c.head() == PixelCnnConfig.Head.BERNOULLI;
        g.initializer("input_scale", new long[0], new float[] {bernoulli ? 1.0f : 1.0f / (c.levels() - 1)});
        g.node("Mul", List.of("images", "input_scale"), "x");
        String h = g.conv("x", "input", weights.get("input.weight"));
        for (int b = 0; b < c.blocks(); b++) {
            String p = "blocks." + b;
            String r1 = g.relu(h);
            String a = g.relu(g.conv(r1, p + ".conv1", weights.get(p + ".conv1.weight")));
            String m = g.relu(g.conv(a, p + ".conv2", weights.get(p + ".conv2.weight")));
            String d = g.conv(m, p + ".conv3", weights.get(p + ".conv3.weight"));
            h = g.node("Add", List.of(h, d), p + ".out");
        }
        String e = g.relu(g.conv(g.relu(h), "head.conv1", weights.get("head.conv1.weight")));
        String logits = g.conv(e, "head.conv2", weights.get("head.conv2.weight"));
        if (bernoulli) {
            // -log p(t) = softplus(l) - t l
            String per = g.node("Sub", List.of(g.node("Softplus", List.of(logits), "softplus"),
                    g.node("Mul", List.of("images", logits), "tl")), "per_value");
            g.initializer("axes", new long[] {3}, new long[] {1, 2, 3});
            g.reduceSum(per, "axes", "nll");
        } else {
            int cc = c.channels();
            g.initializer("shape5", new long[] {5}, new long[] {0, cc, c.levels(), c.height(), c.width()});
            String l5 = g.node("Reshape", List.of(logits, "shape5"), "logits5");
            String lp = g.node("LogSoftmax", List.of(l5), "logp", Attr.i("axis", 2));
            String ti = g.node("Cast", List.of("images"), "targets", Attr.i("to", INT64));
            g.initializer("axis2", new long[] {1}, new long[] {2});
            String t5 = g.node("Unsqueeze", List.of(ti, "axis2"), "targets5");
            String picked = g.node("GatherElements", List.of(lp, t5), "picked", Attr.i("axis", 2));
            String neg = g.node("Neg", List.of(picked), "per_value");
            g.initializer("axes", new long[] {4}, new long[] {1, 2, 3, 4});
            g.reduceSum(neg, "axes", "nll");
        }
        return g.model(c);
    }

    /** An attribute: an int or ints. */
    private record Attr(String name, long[] ints, boolean list) {
        static Attr i(String name, long v) {
            return new Attr(name, new long[] {v}, false);
        }

        static Attr ints(String name, long... v) {
            return new Attr(name, v, true);
        }

        byte[] encode() {
            Proto a = new Proto().string(1, name).varint(20, list ? ATTR_INTS : ATTR_INT);
            if (list) {
                for (long v : ints) {
                    a.varint(8, v);
                }
            } else {
                a.varint(3, ints[0]);
            }
            return a.bytes();
        }
    }

    /** GraphProto under construction. */
    private static final class Graph {
        private final Proto nodes = new Proto();
        private final Proto initializers = new Proto();
        private int counter;

        void initializer(String name, long[] dims, float[] data) {
            ByteBuffer raw = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(data);
            tensor(name, dims, FLOAT, raw.array());
        }

        void initializer(String name, long[] dims, long[] data) {
            ByteBuffer raw = ByteBuffer.allocate(8 * data.length).order(ByteOrder.LITTLE_ENDIAN);
            raw.asLongBuffer().put(data);
            tensor(name, dims, INT64, raw.array());
        }

        private void tensor(String name, long[] dims, int type, byte[] raw) {
            Proto t = new Proto();
            for (long d : dims) {
                t.varint(1, d);
            }
            t.varint(2, type).string(8, name).bytesField(9, raw);
            initializers.bytesField(5, t.bytes());
        }

        String node(String op, List<String> inputs, String output, Attr... attrs) {
            Proto n = new Proto();
            for (String in : inputs) {
                n.string(1, in);
            }
            n.string(2, output).string(3, output + "/" + op + (counter++)).string(4, op);
            for (Attr a : attrs) {
                n.bytesField(5, a.encode());
            }
            nodes.bytesField(1, n.bytes());
            return output;
        }

        String relu(String in) {
            return node("Relu", List.of(in), "relu" + (counter++));
        }

        String conv(String in, String name, Safetensors.Tensor w) {
            long kh = w.shape()[2];
            long kw = w.shape()[3];
            return node("Conv", List.of(in, name + ".weight", name + ".bias"), name + ".out",
                    Attr.ints("kernel_shape", kh, kw), Attr.ints("pads", kh / 2, kw / 2, kh / 2, kw / 2));
        }

        void reduceSum(String in, String axes, String out) {
            node("ReduceSum", List.of(in, axes), out, Attr.i("keepdims", 0));
        }

        byte[] model(PixelCnnConfig c) {
            Proto graph = new Proto().append(nodes).string(2, "pixelcnn4j").append(initializers);
            graph.bytesField(11, valueInfo("images", FLOAT, "N", c.channels(), c.height(), c.width()));
            graph.bytesField(12, valueInfo("nll", FLOAT, "N"));
            Proto opset = new Proto().string(1, "").varint(2, 13);
            return new Proto().varint(1, 7).string(2, "pixelcnn4j benchmark").bytesField(7, graph.bytes())
                    .bytesField(8, opset.bytes()).bytes();
        }

        /** ValueInfoProto of a float tensor whose first dimension is named {@code batch}. */
        private static byte[] valueInfo(String name, int type, String batch, long... dims) {
            Proto shape = new Proto().bytesField(1, new Proto().string(2, batch).bytes());
            for (long d : dims) {
                shape.bytesField(1, new Proto().varint(1, d).bytes());
            }
            Proto tensorType = new Proto().varint(1, type).bytesField(2, shape.bytes());
            Proto typeProto = new Proto().bytesField(1, tensorType.bytes());
            return new Proto().string(1, name).bytesField(2, typeProto.bytes()).bytes();
        }
    }

    /** The protobuf wire format, the little of it ONNX needs: varints and length-delimited fields. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            raw((long) field << 3);
            raw(value);
            return this;
        }

        Proto string(int field, String s) {
            return bytesField(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto bytesField(int field, byte[] bytes) {
            raw(((long) field << 3) | 2);
            raw(bytes.length);
            out.writeBytes(bytes);
            return this;
        }

        /** Appends another message's fields (repeated fields of this one). */
        Proto append(Proto other) {
            out.writeBytes(other.bytes());
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
