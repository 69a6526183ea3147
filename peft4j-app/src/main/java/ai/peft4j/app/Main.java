package ai.peft4j.app;

import ai.djl.engine.EngineException;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.EngineUnavailableException;
import ai.peft4j.core.state.StateDictException;
import ai.peft4j.train.loop.TrainingDivergedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code peft4j <command>}. */
@Command(name = "peft4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Parameter-efficient fine-tuning for visual defect inspection.",
        // batch lives in peft4j-spark (Spark on its class path); the launcher runs it there.
        footer = "%nAlso: batch  Inspect many images on Apache Spark (./peft4j batch --help).",
        subcommands = {TrainCommand.class, FinetuneCommand.class, EvalCommand.class, PredictCommand.class,
            SummaryCommand.class, ConvertCommand.class, DemoCommand.class, BenchCommand.class, SplitCommand.class,
            CheckCommand.class, StreamPredictCommand.class, DistillCommand.class, ExportCommand.class,
            ClipCommand.class, ExplainCommand.class, BoxesCommand.class, MergeCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Option(names = {"-v", "--verbose"}, description = "Show engine messages and stack traces of errors.",
            scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Before any DJL class loads: no downloads, no telemetry.
        EngineSetup.configureOffline();
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (used by tests). */
    public static int run(String... args) {
        return run(new Object[0], args);
    }

    /**
     * Runs a command line with more subcommands than this module's own: integrations in modules above this one
     * (the HTTP service) add theirs, since this module cannot depend on them.
     *
     * @param extra picocli command objects, registered under their {@code @Command} names
     */
    public static int run(Object[] extra, String... args) {
        return run(extra, new Object[0], args);
    }

    /**
     * As {@link #run(Object[], String...)}, with {@code extraBench} registered under {@code bench} (benchmarks of
     * modules above this one: {@code bench serve}).
     */
    public static int run(Object[] extra, Object[] extraBench, String... args) {
        EngineSetup.configureOffline();
        for (String a : args) {
            if ("-v".equals(a) || "--verbose".equals(a)) {
                System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
            }
        }
        CommandLine cli = new CommandLine(new Main());
        for (Object command : extra) {
            cli.addSubcommand(command);
        }
        for (Object command : extraBench) {
            cli.getSubcommands().get("bench").addSubcommand(command);
        }
        cli.setExecutionExceptionHandler(Main::handle);
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli passes Errors through. Loading names the file itself (a DataException); this is the rest:
            // the model, its activations or an evaluation outgrew the heap, which settings, not code, decide.
            cli.getErr().println(cli.getColorScheme().errorText("error: " + outOfMemory(e.getMessage())));
            cli.getErr().flush();
            return 2;
        }
    }

    /** Running out of memory, said as what to change. */
    static String outOfMemory(String detail) {
        return "out of memory (" + detail + "); lower training.batch (--batch), model.image_size (--size) or "
                + "training.workers, or give Java more memory (e.g. JAVA_TOOL_OPTIONS=-Xmx8g)";
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Expected failures print one clear message; stack traces only with --verbose. Public for the commands that live
     * in modules above this one (peft4j-spark's batch), so every command fails the same way.
     */
    public static int handle(Exception ex, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        boolean verbose = parsed.hasMatchedOption("--verbose") || parsed.subcommands().stream()
                .anyMatch(p -> p.hasMatchedOption("--verbose"));
        boolean expected = expected(ex);
        err.println(cli.getColorScheme().errorText("error: " + message(ex)));
        if (verbose || !expected) {
            ex.printStackTrace(err);
        }
        return expected ? 2 : 1;
    }

    /** Whether {@code ex} is the input's or the machine's fault (exit 2, no stack trace), not the program's. */
    static boolean expected(Throwable ex) {
        return ex instanceof IllegalArgumentException || ex instanceof IOException
                || ex instanceof UncheckedIOException || ex instanceof EngineUnavailableException
                || ex instanceof StateDictException || ex instanceof IllegalStateException
                || ex instanceof TrainingDivergedException || engineOutOfMemory(ex) != null;
    }

    /** PyTorch's message when its CPU allocator fails ("... not enough memory: you tried to allocate N bytes"). */
    private static String engineOutOfMemory(Throwable ex) {
        String m = ex instanceof EngineException ? ex.getMessage() : null;
        int at = m == null ? -1 : m.indexOf("not enough memory");
        return at < 0 ? null : m.substring(at).strip();
    }

    /**
     * What went wrong in one line: a file-system failure names its file and the reason, which the JDK leaves out
     * for some (a file where a folder should be reads as just the path).
     */
    static String message(Throwable ex) {
        Throwable e = ex instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : ex;
        if (e instanceof FileSystemException f && f.getFile() != null) {
            String reason = f.getReason() != null ? f.getReason()
                    : f instanceof NoSuchFileException ? "no such file or folder"
                    : f instanceof FileAlreadyExistsException ? "already exists (a file where a folder is needed?)"
                    : f instanceof NotDirectoryException ? "not a folder"
                    : f instanceof AccessDeniedException ? "permission denied"
                    : f.getClass().getSimpleName();
            return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + reason;
        }
        String engine = engineOutOfMemory(ex);
        if (engine != null) {
            return outOfMemory(engine);
        }
        return ex.getMessage() == null ? ex.toString() : ex.getMessage();
    }

    /** The version from the jar manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"peft4j " + (v == null ? "dev" : v) + " (DJL 0.35.1, PyTorch 2.7.1 CPU)"};
        }
    }
}
