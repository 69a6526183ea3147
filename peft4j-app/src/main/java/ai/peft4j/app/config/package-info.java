/**
 * Run configurations: YAML files that map one to one onto immutable sections (model, data, training, method,
 * output), with built-in defaults, {@code --set key=value} overrides and the resolved file written into the run.
 */
package ai.peft4j.app.config;
