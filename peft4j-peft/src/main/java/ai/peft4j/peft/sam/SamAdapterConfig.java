package ai.peft4j.peft.sam;

/**
 * Settings of Medical-SAM-Adapter's Adapter ({@code -mod sam_adpt}).
 *
 * @param mlpRatio adapter width relative to the block width (published 0.25)
 * @param scale factor of the MLP adapter beside the MLP (published 0.5)
 * @param padBeforeNorm ViT windowed blocks: pad the map before {@code norm1}, so padded tokens enter attention as
 *     LayerNorm(0) = its bias, as the published {@code AdapterBlock} does (false: zeros, as SAM's own block)
 * @param depthAdapter also add the {@code Depth_Adapter} the published block builds for 3-D input; it never runs
 *     on images and only makes the adapter file match the published key set
 * @param trainDecoder train the mask decoder too, as the published {@code train_sam} does
 * @param torch113BnGrad TinyViT adapter blocks: reproduce the gradient the reference fixture got from PyTorch 1.13's
 *     CPU BatchNorm backward, which reads the token-major gradient reaching {@code local_conv}'s BatchNorm as if it
 *     were NCHW (a bug of that runtime, not of the published code; forward values are unchanged). False: the true
 *     gradient
 */
public record SamAdapterConfig(float mlpRatio, float scale, boolean padBeforeNorm, boolean depthAdapter,
        boolean trainDecoder, boolean torch113BnGrad) {
    public SamAdapterConfig {
        if (!(mlpRatio > 0)) {
            throw new IllegalArgumentException("sam-adapter mlp_ratio must be positive, got " + mlpRatio);
        }
    }

    public SamAdapterConfig(float mlpRatio, float scale, boolean padBeforeNorm, boolean depthAdapter,
            boolean trainDecoder) {
        this(mlpRatio, scale, padBeforeNorm, depthAdapter, trainDecoder, false);
    }

    /** The published settings without the unused depth adapter, with true gradients. */
    public static SamAdapterConfig published() {
        return new SamAdapterConfig(0.25f, 0.5f, true, false, true, false);
    }

    public SamAdapterConfig withDepthAdapter(boolean on) {
        return new SamAdapterConfig(mlpRatio, scale, padBeforeNorm, on, trainDecoder, torch113BnGrad);
    }

    public SamAdapterConfig withTorch113BnGrad(boolean on) {
        return new SamAdapterConfig(mlpRatio, scale, padBeforeNorm, depthAdapter, trainDecoder, on);
    }
}
