/**
 * PyTorch checkpoints ({@code .pth}/{@code .pt}, zip and legacy formats) read without Python: a restricted unpickler
 * that builds only tensors and plain containers and refuses every other global before anything runs.
 */
package ai.peft4j.core.pickle;
