package ai.peft4j.peft.sam;

/**
 * Settings of Medical-SAM-Adapter's AdaLoRA ({@code -mod sam_adalora}, loralib's {@code SVDLinear} and
 * {@code RankAllocator}); the allocator's names in brackets.
 *
 * @param r initial rank of every adapted Linear [{@code lora_r}, 4]
 * @param loraAlpha the update is scaled by {@code alpha / (r + 1e-5)} (loralib's default alpha 1)
 * @param orthRegWeight weight of the orthogonality regulariser added to the loss (published 0.1)
 * @param targetRank average rank per Linear at the end [{@code target_rank}; published 8, above the initial rank,
 *     so that nothing is pruned; 2 by default]
 * @param initWarmup steps at full rank [{@code init_warmup}, 500]
 * @param finalWarmup steps at the end with the pattern fixed [{@code final_warmup}, 1500]
 * @param maskInterval steps between two maskings [{@code mask_interval}, 10]
 * @param totalStep steps of the whole training [{@code total_step}, 3000]
 * @param beta1 EMA factor of the sensitivity [0.85]
 * @param beta2 EMA factor of the uncertainty [0.85]
 * @param allocator whether the allocator lives for the training ({@link AllocatorLife#PERSISTENT}, the default) or
 *     is rebuilt every batch as published
 * @param adaptEncoder false reproduces {@code -net sam -mod sam_adalora}: the published SAM ViT encoder has no AdaLoRA
 *     block, so nothing is adapted there and the decoder trains alone
 * @param trainDecoder train the mask decoder too, as the published {@code train_sam} does
 */
public record SamAdaLoraConfig(int r, double loraAlpha, double orthRegWeight, int targetRank, int initWarmup,
        int finalWarmup, int maskInterval, int totalStep, double beta1, double beta2, AllocatorLife allocator,
        boolean adaptEncoder, boolean trainDecoder) {
    public SamAdaLoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("sam-adalora rank r must be a positive integer, got " + r);
        }
        if (allocator == null) {
            allocator = AllocatorLife.PERSISTENT;
        }
        if (allocator == AllocatorLife.PERSISTENT && (targetRank < 0 || targetRank > r)) {
            throw new IllegalArgumentException("sam-adalora target_rank " + targetRank + " must be between 0 and r "
                    + r + ", or nothing is ever pruned (the published 8 over 4 runs only with allocator PER_BATCH)");
        }
        if (totalStep < 1 || initWarmup < 0 || finalWarmup < 0 || initWarmup >= totalStep - finalWarmup) {
            throw new IllegalArgumentException("sam-adalora init_warmup " + initWarmup + " and final_warmup "
                    + finalWarmup + " leave no steps of total_step " + totalStep + " for pruning");
        }
        if (maskInterval < 1) {
            throw new IllegalArgumentException("sam-adalora mask_interval must be at least 1, got " + maskInterval);
        }
    }

    /** Rank 4 pruned to 2 on average with one allocator over the published schedule. */
    public static SamAdaLoraConfig defaults() {
        return new SamAdaLoraConfig(4, 1, 0.1, 2, 500, 1500, 10, 3000, 0.85, 0.85, AllocatorLife.PERSISTENT, true,
                true);
    }

    /** What the published {@code train_sam} runs: target rank 8 over 4, a new allocator every batch. */
    public static SamAdaLoraConfig published() {
        return new SamAdaLoraConfig(4, 1, 0.1, 8, 500, 1500, 10, 3000, 0.85, 0.85, AllocatorLife.PER_BATCH, true,
                true);
    }

    public SamAdaLoraConfig withAdaptEncoder(boolean on) {
        return new SamAdaLoraConfig(r, loraAlpha, orthRegWeight, targetRank, initWarmup, finalWarmup, maskInterval,
                totalStep, beta1, beta2, allocator, on, trainDecoder);
    }

    /** The budget schedule and betas, with the allocator's life kept. */
    public SamAdaLoraConfig withSchedule(int target, int init, int fin, int interval, int total) {
        return new SamAdaLoraConfig(r, loraAlpha, orthRegWeight, target, init, fin, interval, total, beta1, beta2,
                allocator, adaptEncoder, trainDecoder);
    }

    public SamAdaLoraConfig withAllocator(AllocatorLife life) {
        return new SamAdaLoraConfig(r, loraAlpha, orthRegWeight, targetRank, initWarmup, finalWarmup, maskInterval,
                totalStep, beta1, beta2, life, adaptEncoder, trainDecoder);
    }
}
