/**
 * FastSegFormer (Cai et al. 2024), the real-time citrus-defect segmenters, and the Swin-T-Att-UNet teacher of
 * their distillation, with the module names of the published PyTorch models ({@code common_backbone},
 * {@code global_feature.ppm}, {@code FFM}, {@code classify}, {@code cnn1} ...).
 */
package ai.peft4j.models.fastsegformer;
