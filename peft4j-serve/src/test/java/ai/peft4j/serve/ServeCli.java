package ai.peft4j.serve;

import ai.peft4j.core.testing.ConsoleRun;

/** One command line through {@link ServeMain}, in this JVM, with its exit code and what it printed. */
record ServeCli(int code, String out, String err) {
    static ServeCli run(String... args) {
        ConsoleRun r = ConsoleRun.of(ServeMain::run, args);
        return new ServeCli(r.code(), r.out(), r.err());
    }
}
