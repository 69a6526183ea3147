/**
 * Paths built from names found in data (split lists, input file names), kept inside their folders, and the guard
 * that keeps a command's writers off its own inputs.
 */
package ai.peft4j.core.io;
