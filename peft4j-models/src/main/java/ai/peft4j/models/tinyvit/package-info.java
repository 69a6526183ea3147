/**
 * TinyViT as MobileSAM's image encoder (the copy in Medical-SAM-Adapter): a convolutional stem and MBConv stage,
 * then windowed attention stages with per-offset attention biases and a depthwise local convolution, and SAM's neck.
 */
package ai.peft4j.models.tinyvit;
