/** The {@code peft4j} command line: one subcommand per task, each with {@code --help}. */
package ai.peft4j.app;
