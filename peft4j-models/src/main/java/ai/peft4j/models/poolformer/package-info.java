/**
 * PoolFormer (Yu et al., MetaFormer): blocks whose token mixer is plain average pooling, as the feature backbone
 * of FastSegFormer-P ({@code poolformer_s12_feat}), with the published module names ({@code network.0.0.mlp.fc1}).
 */
package ai.peft4j.models.poolformer;
