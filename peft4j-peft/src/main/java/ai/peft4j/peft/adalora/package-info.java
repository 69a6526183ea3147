/**
 * AdaLoRA: LoRA in SVD form {@code W + B (A * E) * scaling / ranknum} whose singular values E are pruned during
 * training to a shrinking budget by importance (sensitivity and uncertainty EMAs), with an orthogonality penalty.
 */
package ai.peft4j.peft.adalora;
