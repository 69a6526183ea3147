/** The Houlsby-style adapter of the TP-LoRA comparison: residual GELU bottlenecks after attention and decoder blocks. */
package ai.peft4j.peft.houlsby;
