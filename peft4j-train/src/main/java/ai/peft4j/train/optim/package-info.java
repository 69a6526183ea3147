/**
 * Optimisers with PyTorch's update rules (Adam, AdamW, SGD with momentum and Nesterov) over named trainable
 * parameters, with state that saves and loads for resuming, and gradient clipping by global norm.
 */
package ai.peft4j.train.optim;
