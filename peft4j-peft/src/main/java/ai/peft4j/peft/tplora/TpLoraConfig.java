package ai.peft4j.peft.tplora;

import ai.peft4j.core.nn.Activation;
import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/**
 * TP-LoRA's options, as the published ablation names them.
 *
 * @param mlpRatio hidden width of the text MLP relative to the rank ({@code int(mlpRatio * rank)} units)
 * @param rank width of the low-rank bottleneck
 * @param act activation between down and up projections: LoRA (none), ReLU or GeLU (QuickGELU)
 * @param in where adapters go inside a block: the attention's query and value, beside the MLP, or both
 * @param out which blocks get adapters: all, the first two of each stage (DEEP), or all but without the adapters
 *     inside the decoder's attention gates (BASE)
 */
public record TpLoraConfig(float mlpRatio, int rank, Act act, In in, Out out) {
    /** The low-rank branch's activation. */
    public enum Act {
        LORA(Activation.Kind.IDENTITY), RELU(Activation.Kind.RELU), GELU(Activation.Kind.QUICK_GELU);

        final Activation.Kind kind;

        Act(Activation.Kind kind) {
            this.kind = kind;
        }

        @JsonCreator
        public static Act parse(String s) {
            switch (s.toUpperCase(Locale.ROOT)) {
                case "LORA": case "IDENTITY": case "NONE": return LORA;
                case "RELU": return RELU;
                case "GELU": case "QUICKGELU": return GELU;
                default: throw new IllegalArgumentException("TP-LoRA act must be LoRA, ReLU or GeLU, got '" + s + "'");
            }
        }
    }

    /** Where in a block. */
    public enum In {
        ATT, MLP, ATT_MLP;

        @JsonCreator
        public static In parse(String s) {
            switch (s.toUpperCase(Locale.ROOT).replace('+', '_').replace('-', '_')) {
                case "ATT": return ATT;
                case "MLP": return MLP;
                case "ATT_MLP": return ATT_MLP;
                default: throw new IllegalArgumentException("TP-LoRA in_location must be ATT, MLP or ATT+MLP, got '"
                        + s + "'");
            }
        }

        boolean attention() {
            return this != MLP;
        }

        boolean mlp() {
            return this != ATT;
        }
    }

    /** Which blocks. */
    public enum Out {
        ALL, DEEP, BASE;

        @JsonCreator
        public static Out parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("TP-LoRA out_location must be ALL, DEEP or BASE, got '" + s + "'");
            }
        }
    }

    public TpLoraConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("TP-LoRA rank must be at least 1, got " + rank);
        }
        if ((int) (mlpRatio * rank) < 1) {
            throw new IllegalArgumentException("TP-LoRA text MLP would have " + (int) (mlpRatio * rank)
                    + " hidden units (mlp_ratio " + mlpRatio + " x rank " + rank + "); it needs at least 1");
        }
    }

    /** The configuration behind the published table: 0.25, rank 8, ReLU, ATT+MLP, DEEP. */
    public static TpLoraConfig paper() {
        return new TpLoraConfig(0.25f, 8, Act.RELU, In.ATT_MLP, Out.DEEP);
    }

    /** The configuration of the published README snippet: as the paper's but in the attention only. */
    public static TpLoraConfig readme() {
        return new TpLoraConfig(0.25f, 8, Act.RELU, In.ATT, Out.DEEP);
    }

    public int textHidden() {
        return (int) (mlpRatio * rank);
    }
}
