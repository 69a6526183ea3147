package ai.peft4j.app;

import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.EngineUnavailableException;
import ai.peft4j.core.state.StateDictException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code peft4j <command>}. */
@Command(name = "peft4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Parameter-efficient fine-tuning for visual defect inspection.",
        subcommands = {TrainCommand.class, FinetuneCommand.class, EvalCommand.class, PredictCommand.class,
            SummaryCommand.class, ConvertCommand.class, DemoCommand.class, BenchCommand.class, SplitCommand.class,
            StreamPredictCommand.class, DistillCommand.class, ExportCommand.class, ClipCommand.class,
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
        EngineSetup.configureOffline();
        for (String a : args) {
            if ("-v".equals(a) || "--verbose".equals(a)) {
                System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
            }
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::handle);
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Expected failures print one clear message; stack traces only with --verbose. */
    private static int handle(Exception ex, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        boolean verbose = parsed.hasMatchedOption("--verbose") || parsed.subcommands().stream()
                .anyMatch(p -> p.hasMatchedOption("--verbose"));
        boolean expected = ex instanceof IllegalArgumentException || ex instanceof IOException
                || ex instanceof UncheckedIOException || ex instanceof EngineUnavailableException
                || ex instanceof StateDictException || ex instanceof IllegalStateException;
        err.println(cli.getColorScheme().errorText("error: " + (ex.getMessage() == null ? ex.toString()
                : ex.getMessage())));
        if (verbose || !expected) {
            ex.printStackTrace(err);
        }
        return expected ? 2 : 1;
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
