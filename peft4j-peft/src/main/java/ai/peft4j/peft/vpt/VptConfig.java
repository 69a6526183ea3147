package ai.peft4j.peft.vpt;

/**
 * VPT's settings ({@code nets/VPT/model_config.yaml} and {@code nets/VPT/vpt.py} of the published code).
 *
 * @param tokens prompt tokens per block in the backbone, and the channel unit of the decoder's prompt maps
 *     ({@code tokens * 2^(k-1)} channels at decoder level k)
 * @param dropout dropout on the backbone prompts
 * @param inputSize side of the square input the decoder prompt maps are made for (level k:
 *     {@code inputSize / 2^(k-1)}); the published code fixes 224
 */
public record VptConfig(int tokens, float dropout, int inputSize) {
    public VptConfig {
        if (tokens < 1) {
            throw new IllegalArgumentException("VPT needs at least one prompt token, got " + tokens);
        }
        if (dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("VPT prompt dropout must be in [0, 1), got " + dropout);
        }
        if (inputSize < 16 || inputSize % 16 != 0) {
            throw new IllegalArgumentException("VPT input size must be a multiple of 16, got " + inputSize);
        }
    }

    /** 10 tokens, dropout 0.1, 224x224 inputs. */
    public static VptConfig published() {
        return new VptConfig(10, 0.1f, 224);
    }
}
