/** Counting multiply-accumulates of a forward pass, for model summaries and benchmark ratios. */
package ai.peft4j.core.flops;
