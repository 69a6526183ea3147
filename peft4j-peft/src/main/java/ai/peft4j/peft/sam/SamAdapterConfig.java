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
 */
public record SamAdapterConfig(float mlpRatio, float scale, boolean padBeforeNorm, boolean depthAdapter,
        boolean trainDecoder) {
    public SamAdapterConfig {
        if (!(mlpRatio > 0)) {
            throw new IllegalArgumentException("sam-adapter mlp_ratio must be positive, got " + mlpRatio);
        }
    }

    /** The published settings without the unused depth adapter. */
    public static SamAdapterConfig published() {
        return new SamAdapterConfig(0.25f, 0.5f, true, false, true);
    }

    public SamAdapterConfig withDepthAdapter(boolean on) {
        return new SamAdapterConfig(mlpRatio, scale, padBeforeNorm, on, trainDecoder);
    }
}
