package org.pixelcnn4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CancellationException;
import org.pixelcnn4j.InvalidDataException;
import org.pixelcnn4j.MalformedModelException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Entry point of the {@code pixelcnn4j} command-line tool: {@code train}, {@code eval},
 * {@code sample}, {@code complete} and {@code info}.
 *
 * <p>Errors are printed as one line ({@code pixelcnn4j: error: ...}) and mapped to the exit codes
 * of {@link ExitCodes}; {@code --debug} adds the stack trace.
 *
 * <pre>{@code
 * int exitCode = Main.commandLine().execute("info", "--model", "model.safetensors");
 * }</pre>
 */
public final class Main {
    private Main() {
    }

    /**
     * Runs the tool and exits the JVM with its exit code.
     *
     * @param args the command line, e.g. {@code train --steps 100}
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * Builds the command line with the tool's error handling, for running it in-process (tests,
     * embedding): call {@link CommandLine#execute}, redirect output with
     * {@link CommandLine#setOut} and {@link CommandLine#setErr}.
     *
     * @return a new command line
     */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new PixelCnnCli());
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins
        commandLine.setExecutionExceptionHandler(Main::onExecutionException);
        commandLine.setParameterExceptionHandler(Main::onParameterException);
        addExitCodes(commandLine);
        return commandLine;
    }

    private static void addExitCodes(CommandLine commandLine) {
        commandLine.getCommandSpec().usageMessage()
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(ExitCodes.HELP_LIST);
        for (CommandLine sub : commandLine.getSubcommands().values()) {
            addExitCodes(sub);
        }
    }

    /** A usage error: one line, a suggestion where picocli has one, and where to find help. */
    private static int onParameterException(ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        PrintWriter err = commandLine.getErr();
        String name = commandLine.getCommandSpec().qualifiedName();
        String message = oneLine(e.getMessage());
        if (message.startsWith("Error: ")) {
            message = message.substring("Error: ".length());
        }
        err.println(name + ": usage error: " + message);
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + name + " --help' for the options.");
        err.flush();
        return ExitCodes.USAGE;
    }

    /** Any failure while a command runs: one line, the stack trace only with --debug. */
    private static int onExecutionException(Exception e, CommandLine commandLine, ParseResult parsed) {
        PrintWriter err = commandLine.getErr();
        int code = exitCode(e);
        err.println("pixelcnn4j: error: " + message(e));
        if (debug(parsed)) {
            e.printStackTrace(err);
        } else if (code == ExitCodes.FAILURE && !(e instanceof CliException)) {
            err.println("(run again with --debug for the stack trace)");
        }
        err.flush();
        return code;
    }

    private static boolean debug(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }

    /** The exit code of an exception that escaped a command. */
    static int exitCode(Throwable e) {
        if (e instanceof CliException cli) {
            return cli.exitCode();
        }
        if (e instanceof MalformedModelException) {
            return ExitCodes.BAD_CHECKPOINT;
        }
        if (e instanceof InvalidDataException) {
            return ExitCodes.BAD_DATA;
        }
        if (e instanceof CancellationException || e instanceof InterruptedException) {
            return ExitCodes.INTERRUPTED;
        }
        if (e instanceof IllegalArgumentException) {
            return ExitCodes.USAGE;
        }
        return ExitCodes.FAILURE;
    }

    /** A one-line message for an exception, naming files for I/O errors. */
    static String message(Throwable e) {
        if (e instanceof CancellationException) {
            return "interrupted";
        }
        if (e instanceof IOException io) {
            return oneLine(describe(io));
        }
        String m = e.getMessage();
        return oneLine(m == null || m.isBlank() ? e.getClass().getSimpleName() : m);
    }

    /** Describes an I/O error: what happened to which file. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException f) {
            return f.getFile() + ": " + (f.getReason() == null ? "no such file or folder" : f.getReason());
        }
        if (e instanceof AccessDeniedException f) {
            return f.getFile() + ": permission denied" + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
        }
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + ": already exists";
        }
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + (f.getReason() == null ? e.getClass().getSimpleName() : f.getReason());
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ').strip();
    }
}
