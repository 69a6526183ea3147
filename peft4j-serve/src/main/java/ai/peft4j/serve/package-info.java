/**
 * The inspection service, {@code peft4j serve}: an HTTP API and a web page over one base model with an adapter per
 * product line, switched per request on a single model worker.
 */
package ai.peft4j.serve;
