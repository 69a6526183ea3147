/**
 * Loading the PyTorch engine of Deep Java Library: offline, without telemetry, with one clear message when the
 * native library cannot load.
 */
package ai.peft4j.core.engine;
