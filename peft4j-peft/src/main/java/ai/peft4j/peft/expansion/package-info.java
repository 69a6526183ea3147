/**
 * Block expansion (LLaMA-Pro, as peft-vit applies it to ViTs): copies of transformer blocks whose output
 * projections are zeroed are inserted into the stack, start as identity maps, and are the only blocks that train.
 */
package ai.peft4j.peft.expansion;
