/** Initial values of parameters: PyTorch's defaults, truncated normals, and the closed-form fill of the fixtures. */
package ai.peft4j.core.init;
