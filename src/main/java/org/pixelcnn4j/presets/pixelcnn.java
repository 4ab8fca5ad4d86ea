package org.pixelcnn4j.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;
import org.bytedeco.openblas.presets.openblas_nolapack;

/**
 * JavaCPP presets for the pixelcnn engine: what the parser reads from
 * {@code native/include/pixelcnn/pixelcnn.h} and how it maps to Java.
 *
 * <p>At build time Maven runs the parser over this class and writes the bindings to
 * {@code target/generated-sources/javacpp}: {@code org.pixelcnn4j.engine.Model},
 * {@code Config}, {@code AdamConfig}, and the enum constants and {@code version()} in
 * {@code org.pixelcnn4j.engine.global.pixelcnn}. The JavaCPP compiler then builds
 * {@code libjnipixelcnn} against {@code libpixelcnn} from the CMake install.
 *
 * <p>Inheriting {@code openblas_nolapack} (not {@code openblas}) makes {@code Loader} load
 * OpenBLAS before the engine and keeps the parser away from LAPACK's huge headers. The generated
 * JNI code excludes OpenBLAS's headers, which the inheritance would otherwise include: the bindings
 * need none of them, and {@code openblas_config.h} declares {@code _Float16}, which GCC 12 for
 * arm64 rejects in C++.
 *
 * <p>The include path below is relative to the project root, where Maven runs; the pom passes
 * the CMake install's folders of the platform being built (a cross build has its own).
 */
@Properties(
        inherit = openblas_nolapack.class,
        target = "org.pixelcnn4j.engine",
        global = "org.pixelcnn4j.engine.global.pixelcnn",
        value = @Platform(
                compiler = "cpp17",
                include = "pixelcnn/pixelcnn.h",
                exclude = {"openblas_config.h", "cblas.h"},
                link = "pixelcnn",
                includepath = "native/include"))
public class pixelcnn implements InfoMapper {

    @Override
    public void map(InfoMap infoMap) {
        infoMap
                // Strings cross as java.lang.String (return values) and String or BytePointer
                // (arguments).
                .put(new Info("std::string").annotations("@StdString")
                        .valueTypes("String", "BytePointer").pointerTypes("BytePointer"))
                // The pimpl is private: Java never sees it.
                .put(new Info("pixelcnn::ModelImpl").skip());
    }
}
