package ai.peft4j.app;

import ai.peft4j.core.testing.ConsoleRun;

/** One run of the command line in this JVM, with what it printed. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        ConsoleRun r = ConsoleRun.of(Main::run, args);
        return new CliRun(r.code(), r.out(), r.err());
    }
}
