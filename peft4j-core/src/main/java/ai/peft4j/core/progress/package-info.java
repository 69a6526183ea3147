/**
 * A console progress bar with ETA, shared by training and long inference jobs.
 */
package ai.peft4j.core.progress;
