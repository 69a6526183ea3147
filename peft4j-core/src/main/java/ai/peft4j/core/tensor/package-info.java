/** Tensor operations DJL's PyTorch engine lacks or gets differently from PyTorch, written from DJL primitives. */
package ai.peft4j.core.tensor;
