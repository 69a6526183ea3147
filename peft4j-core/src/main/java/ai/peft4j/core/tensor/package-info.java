/**
 * Tensor operations DJL's PyTorch engine lacks or gets differently from PyTorch: roll, multi-axis reductions,
 * bilinear resizing with an explicit {@code align_corners}, adaptive average pooling.
 */
package ai.peft4j.core.tensor;
