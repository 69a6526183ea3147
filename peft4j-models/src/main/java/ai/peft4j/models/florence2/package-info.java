/**
 * Florence-2: the DaViT image encoder, image token pooling and projection, and the BART-style encoder-decoder that
 * reads image and prompt tokens and writes answers as text (boxes as {@code <loc_N>} tokens), with the published
 * state-dict names; its tokeniser, generation and the processor's post-processing.
 */
package ai.peft4j.models.florence2;
