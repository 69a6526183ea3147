package ai.peft4j.peft.transfer;

import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;

/**
 * The names the modes rely on, timm's ViT ones: a block list {@code blocks} and a task head {@code head}. A model
 * with other names (an HF checkpoint) is loaded under these names first.
 */
public final class ClassifierLayout {
    public static final String BLOCKS = "blocks";
    public static final String HEAD = "head";

    private ClassifierLayout() {}

    /** The number of blocks; fails naming the model's top-level modules when there is no block list. */
    public static int depth(Module model, String method) {
        if (!model.hasChild(BLOCKS) || !(model.child(BLOCKS) instanceof ModuleList<?> list)) {
            throw new IllegalArgumentException(method + " needs a ViT with a block list '" + BLOCKS + "'; this "
                    + model.getClass().getSimpleName() + " has " + model.children().keySet());
        }
        return list.size();
    }

    /** Fails when the model has no task head to train. */
    public static void requireHead(Module model, String method) {
        if (!model.hasChild(HEAD)) {
            throw new IllegalArgumentException(method + " trains the task head '" + HEAD + "', which this "
                    + model.getClass().getSimpleName() + " lacks (top-level modules: " + model.children().keySet()
                    + "); build the model with a class count");
        }
    }

    /** Whether {@code name} is a parameter of the head. */
    public static boolean inHead(String name) {
        return name.startsWith(HEAD + ".");
    }
}
