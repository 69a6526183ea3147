/**
 * A module system on DJL tensors with PyTorch's naming: modules own named parameters, buffers and children, so a
 * PyTorch {@code state_dict} maps onto them key by key, and a method can find and replace a module by its name.
 */
package ai.peft4j.core.nn;
