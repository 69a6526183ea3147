/**
 * TP-LoRA's Swin-Att-UNet: a Swin encoder and a two-stage CNN stem feeding an Attention U-Net decoder, with the
 * module names of the published PyTorch model ({@code Att4}, {@code up4}, {@code conv4}, {@code final_conv}, ...).
 */
package ai.peft4j.models.unet;
