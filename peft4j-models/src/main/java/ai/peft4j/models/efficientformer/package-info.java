/**
 * EfficientFormerV2 (Li et al.) as the feature backbone of FastSegFormer-E ({@code efficientformerv2_s0_feat}):
 * convolutional FFN stages, then blocks with 4-D multi-head attention (talking heads, learned position biases),
 * with the published module names ({@code network.4.4.token_mixer.q}).
 */
package ai.peft4j.models.efficientformer;
