/**
 * Segment Anything (SAM) for promptable segmentation: the ViT image encoder, the prompt encoder and the two-way mask
 * decoder, with segment-anything's state-dict names, in both published variants (segment-anything's own and the one
 * Medical-SAM-Adapter builds, see {@link ai.peft4j.models.sam.SamVariant}).
 */
package ai.peft4j.models.sam;
