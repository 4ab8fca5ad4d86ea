package org.pixelcnn4j.cli;

import java.util.concurrent.Callable;
import org.pixelcnn4j.EngineInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The top-level {@code pixelcnn4j} command: holds the subcommands and the global options. */
@Command(name = "pixelcnn4j",
        mixinStandardHelpOptions = true,
        versionProvider = PixelCnnCli.Version.class,
        description = {"Train PixelCNN models, score images by exact log-likelihood, draw samples and "
                + "complete images.", ""},
        subcommands = {TrainCommand.class, EvalCommand.class, OodCommand.class, SampleCommand.class, CompleteCommand.class,
                InfoCommand.class},
        commandListHeading = "%nCommands:%n",
        footer = {"", "Run 'pixelcnn4j COMMAND --help' for the options of a command."})
public final class PixelCnnCli implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** Inherited by every subcommand: print stack traces of errors. */
    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Print the stack trace of an error, not only its message.")
    boolean debug;

    /** Creates the command; picocli fills in the options. */
    public PixelCnnCli() {
    }

    /** Without a subcommand: a usage error that lists the commands. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(),
                "missing command: expected one of train, eval, sample, complete, info");
    }

    /** {@code --version}: the tool's version, the engine's and the JVM's. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = PixelCnnCli.class.getPackage().getImplementationVersion();
            String engine;
            try {
                engine = EngineInfo.version() + ", " + EngineInfo.blas();
            } catch (RuntimeException | LinkageError e) {
                engine = "not loadable (" + e.getMessage() + ")";
            }
            return new String[] {
                "pixelcnn4j " + (version == null ? "(development build)" : version),
                "engine: " + engine,
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
