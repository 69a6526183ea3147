/** The LoRA row of the TP-LoRA comparison (PETL-ViT style): low-rank updates of query and value, decoder adapters. */
package ai.peft4j.peft.qvlora;
