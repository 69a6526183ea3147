package ai.peft4j.peft.transfer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import java.util.ArrayList;
import java.util.List;

/**
 * peft-vit's {@code lora} mode on a timm ViT: LoRA on the query and value projections of every block, the head
 * trained. HF's ViT (which peft-vit adapts) has separate {@code query} and {@code value} Linears; timm fuses query,
 * key and value into one {@code attn.qkv} whose output is {@code [q | k | v]}. So each block gets two updates,
 * {@code attn.lora_q} and {@code attn.lora_v}, each {@code D -> r -> D}, added to the query and value thirds of
 * that output and nothing to the key's: the same function and the same parameter count as PEFT's
 * {@code target_modules=["query","value"]}, without splitting timm's Linear.
 *
 * <p>The head trains in place; peft-vit's {@code modules_to_save=["classifier"]} trains a copy of it instead,
 * which is the same thing for one adapter.
 */
public final class FusedQkvLora extends PeftMethod {
    public static final String NAME = "vit-lora";
    private final FusedQkvLoraConfig config;

    public FusedQkvLora(FusedQkvLoraConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public FusedQkvLoraConfig config() {
        return config;
    }

    @Override
    protected List<String> findTargets(Module model) {
        ClassifierLayout.requireHead(model, NAME);
        int depth = ClassifierLayout.depth(model, NAME);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            out.add(ClassifierLayout.BLOCKS + "." + i + ".attn");
        }
        return out;
    }

    @Override
    protected void check(Module model, List<String> targets) {
        for (String attn : targets) {
            Module qkv = model.hasChild(ClassifierLayout.BLOCKS) ? model.module(attn).children().get("qkv") : null;
            if (!(qkv instanceof Linear l) || l.outFeatures() != 3 * l.inFeatures()) {
                throw new IllegalArgumentException(NAME + " adapts a fused query/key/value Linear '" + attn
                        + ".qkv' (D -> 3D); this block has " + model.module(attn).children().keySet());
            }
        }
    }

    @Override
    protected void addTo(Attachment a, List<String> targets) {
        double scaling = config.loraAlpha() / config.r();
        float dropout = (float) config.loraDropout();
        for (String attn : targets) {
            Linear qkv = (Linear) a.model().module(attn + ".qkv");
            int d = qkv.inFeatures();
            NDManager m = qkv.weight().data().getManager();
            LowRankUpdate q = a.addModule(attn, "lora_q", new LowRankUpdate(m, d, d, config.r(), scaling, dropout));
            LowRankUpdate v = a.addModule(attn, "lora_v", new LowRankUpdate(m, d, d, config.r(), scaling, dropout));
            a.addHook(attn + ".qkv", (mod, in, out) -> {
                NDArray x = (NDArray) in[0];
                NDArray dq = q.forward(x);
                NDArray dv = v.forward(x);
                return out.add(dq.concat(dq.zerosLike(), -1).concat(dv, -1));
            });
        }
        a.trainBase(ClassifierLayout::inHead);
    }
}
