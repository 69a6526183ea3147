package ai.peft4j.peft.tplora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The TP-LoRA adapter on tokens {@code [B, L, C]}:
 * {@code up(dropout1(act(down(x)))) + dropout2(text_L)}, where {@code text_L} is an MLP of the prompt's token
 * embeddings {@code [seq, 768]}, cut to the first L tokens or tiled to L. The text term does not depend on the
 * image, so the MLP runs on the {@code seq} prompt tokens and the result is tiled (the published code tiles first
 * and runs the MLP on all L positions: the same numbers at up to 1000 times the cost), and in eval mode it is
 * cached per L until the weights change.
 */
public class TextPromptedLora extends Module implements Layer {
    private final NDArray prompt;
    private final Map<Long, NDArray> cache = new ConcurrentHashMap<>();
    private NDArray cachedFor0;
    private NDArray cachedFor2;

    /**
     * @param prompt token embeddings {@code [1, seq, width]}
     * @param rank the low-rank width
     * @param hidden hidden width of the text MLP ({@code int(mlp_ratio * rank)})
     */
    public TextPromptedLora(NDManager manager, int in, int rank, int hidden, Activation.Kind act, NDArray prompt) {
        this.prompt = prompt;
        registerModule("adapter_down", new Linear(manager, in, rank, false));
        Linear up = registerModule("adapter_up", new Linear(manager, rank, in, false));
        Initializers.constant(up.weight(), 0f);
        registerModule("act", Activation.of(act));
        registerModule("dropout1", new Dropout(0.1f));
        registerModule("dropout2", new Dropout(0.1f));
        int width = (int) prompt.getShape().get(prompt.getShape().dimension() - 1);
        registerModule("mlp", new Sequential(new Linear(manager, width, hidden, true), Activation.relu(),
                new Linear(manager, hidden, in, true)));
    }

    @Override
    public NDArray forward(NDArray x) {
        long l = x.getShape().get(1);
        NDArray low = call("adapter_up", call("dropout1", call("act", call("adapter_down", x))));
        return low.add(call("dropout2", textTerm(l, x)));
    }

    /** The text term {@code [1, L, C]}, computed in the manager of {@code like}. */
    NDArray textTerm(long l, NDArray like) {
        if (isTraining()) {
            cache.clear();
            return tiled(l, like);
        }
        Sequential mlp = (Sequential) child("mlp");
        NDArray w0 = ((Linear) mlp.get(0)).weight().data();
        NDArray w2 = ((Linear) mlp.get(2)).weight().data();
        if (w0 != cachedFor0 || w2 != cachedFor2) {
            cache.clear();
            cachedFor0 = w0;
            cachedFor2 = w2;
        }
        return cache.computeIfAbsent(l, k -> {
            NDArray t = tiled(k, like);
            // Kept across steps: owned by the weights' manager and out of any per-step scope.
            t.attach(w0.getManager());
            NDScope.unregister(t);
            return t;
        });
    }

    private NDArray tiled(long l, NDArray like) {
        // A copy in the activation's manager, so that the MLP's intermediates die with the step.
        NDArray p = prompt.toType(like.getDataType(), true);
        p.attach(like.getManager());
        NDArray tokens = call("mlp", p);
        long seq = tokens.getShape().get(1);
        if (l <= seq) {
            return tokens.get(":, :" + l + ", :");
        }
        long reps = (l + seq - 1) / seq;
        return tokens.tile(new long[] {1, reps, 1}).get(":, :" + l + ", :");
    }
}
