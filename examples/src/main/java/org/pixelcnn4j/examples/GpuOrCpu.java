package org.pixelcnn4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import org.pixelcnn4j.*;
import org.pixelcnn4j.data.FashionMnist;

public class GpuOrCpu {
    public static void main(String[] args) throws IOException {
        // The first GPU when this engine (the linux-x86_64-gpu jar) and machine have one, else the CPU.
        System.out.println("CUDA devices: " + Device.cudaDevices());   // e.g. [cuda:0 (NVIDIA H200, ...)]
        Device device = Device.cudaDevices().isEmpty() ? Device.cpu() : Device.cuda(0);
        if (!device.isCuda()) System.out.println("on the CPU: " + Device.cudaUnavailableReason());

        Images train = FashionMnist.train(2_000).binarize(127);
        PixelCnnConfig config = PixelCnnConfig.builder().setImageShape(1, 28, 28).optBernoulli()
                .optHiddenChannels(32).optBlocks(2).build();
        try (PixelCnn model = PixelCnn.create(config, device)) {
            model.train(train, TrainingConfig.builder().setSteps(20).optBatchSize(32).build());
            model.save(Path.of("model.safetensors"));   // the same file on either device
        }
        // A checkpoint moves a model between devices: written on one, loaded on the other.
        try (PixelCnn onCpu = PixelCnn.load(Path.of("model.safetensors"), Device.cpu())) {
            System.out.println(onCpu.logLikelihood(train).meanNats() + " nats/image on the CPU");
        }
    }
}
