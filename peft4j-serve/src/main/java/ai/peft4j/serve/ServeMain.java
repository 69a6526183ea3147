package ai.peft4j.serve;

import ai.peft4j.app.Main;
import ai.peft4j.core.engine.EngineSetup;

/**
 * Entry point of the launcher: every command of {@code peft4j-app} plus {@code serve} and {@code bench serve}. The
 * app module cannot know this module (it would be a cycle), so these commands are registered here on top of the
 * app's command line, with the app's error handling.
 */
public final class ServeMain {
    private ServeMain() {}

    public static void main(String[] args) {
        EngineSetup.configureOffline();
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (used by tests). */
    public static int run(String... args) {
        return Main.run(new Object[] {new ServeCommand()}, new Object[] {new BenchServeCommand()}, args);
    }
}
