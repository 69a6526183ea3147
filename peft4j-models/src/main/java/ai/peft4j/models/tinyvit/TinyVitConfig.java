package ai.peft4j.models.tinyvit;

import java.util.List;

/**
 * The shape of a TinyViT image encoder for SAM.
 *
 * @param imageSize side of the square input; the output is {@code imageSize / 16} on a side
 * @param embedDims channels of the four stages; the last must be 320, 448 or 576, the widths whose patch merging
 *     the published code gives stride 1 (any other last width makes the output 1/32 and the model does not build)
 * @param depths blocks per stage
 * @param heads attention heads of stages 1-3 (stage 0 is convolutional; its entry is unused)
 * @param windowSizes attention windows of stages 1-3 (entry 0 unused)
 * @param mlpRatio MLP hidden width relative to the stage width
 * @param mbconvExpandRatio hidden width of the MBConv blocks relative to their input
 * @param localConvSize kernel of the depthwise convolution between attention and MLP
 * @param numClasses classes of the classification head, which SAM keeps but never runs
 * @param neckChannels channels of the neck (256 in the published code)
 */
public record TinyVitConfig(int imageSize, List<Integer> embedDims, List<Integer> depths, List<Integer> heads,
        List<Integer> windowSizes, float mlpRatio, float mbconvExpandRatio, int localConvSize, int numClasses,
        int neckChannels) {

    public TinyVitConfig {
        embedDims = List.copyOf(embedDims);
        depths = List.copyOf(depths);
        heads = List.copyOf(heads);
        windowSizes = List.copyOf(windowSizes);
        if (embedDims.size() != 4 || depths.size() != 4 || heads.size() != 4 || windowSizes.size() != 4) {
            throw new IllegalArgumentException("TinyViT has four stages: got " + embedDims.size() + " widths, "
                    + depths.size() + " depths, " + heads.size() + " head counts, " + windowSizes.size() + " windows");
        }
        if (!mergesWithStrideOne(embedDims.get(3))) {
            throw new IllegalArgumentException("the last TinyViT width must be 320, 448 or 576 (the published patch "
                    + "merging keeps 1/16 resolution only for these), got " + embedDims.get(3));
        }
        if (imageSize < 1 || imageSize % 16 != 0) {
            throw new IllegalArgumentException("image size " + imageSize + " must be a positive multiple of 16");
        }
    }

    /** MobileSAM's TinyViT-5M ({@code build_sam_vit_t}): widths 64-128-160-320, depths 2-2-6-2, windows 7-7-14-7. */
    public static TinyVitConfig mobileSam(int imageSize) {
        return new TinyVitConfig(imageSize, List.of(64, 128, 160, 320), List.of(2, 2, 6, 2), List.of(2, 4, 5, 10),
                List.of(7, 7, 14, 7), 4f, 4f, 3, 1000, 256);
    }

    /**
     * The reference fixture's small MobileSAM encoder ({@code fixtures/sam}): input 128, widths 16-32-48-320, one
     * block per stage, heads 1-1-2-5, windows 5-5-3-8 (stage 1 padded from 16 to 20, stage 2 from 8 to 9, stage 3
     * unpartitioned), MLP ratio 2, 10 classes.
     */
    public static TinyVitConfig fixture() {
        return new TinyVitConfig(128, List.of(16, 32, 48, 320), List.of(1, 1, 1, 1), List.of(1, 1, 2, 5),
                List.of(5, 5, 3, 8), 2f, 4f, 3, 10, 256);
    }

    /** Side of stage {@code i}'s token grid: 1/4, 1/8, 1/16, and 1/16 again for the last stage. */
    public int resolution(int stage) {
        int base = imageSize / 4;
        return base >> (stage == 3 ? 2 : stage);
    }

    static boolean mergesWithStrideOne(int outDim) {
        return outDim == 320 || outDim == 448 || outDim == 576;
    }
}
