/**
 * Medical-SAM-Adapter's methods on the segment-anything encoders (SAM's ViT, EfficientSAM's ViT, MobileSAM's
 * TinyViT): its Adapter, loralib LoRA and AdaLoRA blocks, found by module name, with the published quirks as options.
 */
package ai.peft4j.peft.sam;
