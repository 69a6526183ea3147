/**
 * Text formats that several layers write: rows of CSV, quoted as RFC 4180 says, so that a file or class name with
 * a comma or a quote reads back as written.
 */
package ai.peft4j.core.text;
