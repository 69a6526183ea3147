/**
 * TP-LoRA: low-rank adapters (optionally non-linear) plus a text-prompt term, an MLP of BERT token embeddings of a
 * sentence describing the product line, added by token position.
 */
package ai.peft4j.peft.tplora;
