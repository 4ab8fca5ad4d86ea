package org.pixelcnn4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIf;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;

/**
 * The benchmark's ONNX export computes the engine's NLLs: ONNX Runtime runs it on random images of
 * a Bernoulli and a categorical colour model (channel-group masks) and must agree per image.
 */
@DisabledIf(value = "intelMac", disabledReason = "ONNX Runtime ships no osx-x64 natives")
class OnnxExportTest {
    static boolean intelMac() {
        return System.getProperty("os.name").startsWith("Mac") && !System.getProperty("os.arch").equals("aarch64");
    }

    @Test
    void onnxRuntimeComputesTheEnginesNll() throws Exception {
        PixelCnnConfig binary = PixelCnnConfig.builder().setImageShape(1, 7, 6).optHiddenChannels(8)
                .optResidualChannels(4).optHeadChannels(8).optBlocks(2).optInputKernel(5).optSeed(3).build();
        PixelCnnConfig colour = PixelCnnConfig.builder().setImageShape(3, 5, 4).optCategorical(7)
                .optHiddenChannels(12).optResidualChannels(6).optHeadChannels(9).optBlocks(1).optSeed(4).build();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (PixelCnnConfig c : new PixelCnnConfig[] {binary, colour}) {
            Images images = Models.data(c, 5);
            try (PixelCnn model = PixelCnn.create(c, Device.cpu(1));
                 OrtSession session = env.createSession(OnnxExport.nllModel(model), new OrtSession.SessionOptions())) {
                Likelihood nll = model.logLikelihood(images);
                byte[] bytes = images.toArray();
                float[] values = new float[bytes.length];
                for (int i = 0; i < bytes.length; i++) {
                    values[i] = bytes[i] & 0xFF;
                }
                long[] shape = {images.count(), c.channels(), c.height(), c.width()};
                try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
                     OrtSession.Result r = session.run(Map.of("images", in))) {
                    float[] ort = (float[]) r.get(0).getValue();
                    assertEquals(images.count(), ort.length);
                    for (int i = 0; i < ort.length; i++) {
                        // ONNX Runtime sums in float, the engine in double: 1e-5 relative is ample.
                        assertTrue(Math.abs(ort[i] - nll.nats(i)) <= 1e-5 * Math.abs(nll.nats(i)),
                                c + " image " + i + ": ONNX Runtime " + ort[i] + ", engine " + nll.nats(i));
                    }
                }
            }
        }
    }
}
