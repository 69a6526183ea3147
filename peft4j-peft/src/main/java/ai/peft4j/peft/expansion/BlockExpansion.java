package ai.peft4j.peft.expansion;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.NamePattern;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Inserts a copy of block {@code i} after every {@code split}-th block of a stack, with the copy's output projections
 * zeroed, and renumbers the stack ({@code blocks.0, blocks.1 (new), blocks.2, ...}). With pre-norm residual blocks
 * the copies are identity maps, so the expanded model computes what the original did until it trains; only the new
 * blocks (and {@code alsoTrain}) train. The original stack comes back when the attachment is deactivated.
 *
 * <p>The method does not know the block class, so it is given a function that makes a fresh block shaped like a
 * given one (for the ViT: {@code b -> vit.newBlock()}); the weights are then copied in by name.
 */
public final class BlockExpansion extends PeftMethod {
    private final BlockExpansionConfig config;
    private final UnaryOperator<Module> freshBlock;

    public BlockExpansion(BlockExpansionConfig config, UnaryOperator<Module> freshBlock) {
        this.config = config;
        this.freshBlock = freshBlock;
    }

    @Override
    public String name() {
        return "block-expansion";
    }

    @Override
    public BlockExpansionConfig config() {
        return config;
    }

    @Override
    protected List<String> findTargets(Module model) {
        return List.of(findStack(model));
    }

    @Override
    protected void check(Module model, List<String> targets) {
        String path = targets.get(0);
        int n = ((ModuleList<?>) model.module(path)).size();
        if (config.split() > n) {
            throw new IllegalArgumentException("split " + config.split() + " exceeds the " + n + " blocks of '" + path
                    + "': no block would be added");
        }
    }

    @Override
    protected void addTo(Attachment attachment, List<String> targets) {
        String path = targets.get(0);
        ModuleList<?> original = (ModuleList<?>) attachment.model().module(path);
        ModuleList<Module> expanded = new ModuleList<>(Module.class);
        Set<String> added = new HashSet<>();
        for (int i = 0; i < original.size(); i++) {
            Module block = original.get(i);
            expanded.add(block);
            if ((i + 1) % config.split() == 0) {
                added.add(Integer.toString(expanded.size()));
                expanded.add(identityCopy(block, i));
            }
        }
        Predicate<String> newBlock = name -> added.contains(name.substring(0, name.indexOf('.')));
        attachment.swapModule(path, expanded, newBlock);
        if (!config.alsoTrain().isEmpty()) {
            attachment.trainBase(NamePattern.anyOf(config.alsoTrain().toArray(String[]::new)));
        }
    }

    private String findStack(Module model) {
        Predicate<String> pattern = NamePattern.of(config.stack());
        List<String> lists = new ArrayList<>();
        List<String> matches = new ArrayList<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof ModuleList) {
                lists.add(e.getKey());
                if (pattern.test(e.getKey())) {
                    matches.add(e.getKey());
                }
            }
        }
        if (matches.size() != 1) {
            throw new IllegalArgumentException("block expansion needs exactly one block list matching '"
                    + config.stack() + "', found " + (matches.isEmpty() ? "none" : matches) + " (module lists of this "
                    + model.getClass().getSimpleName() + ": " + lists + ")");
        }
        return matches.get(0);
    }

    private Module identityCopy(Module block, int index) {
        Module copy = freshBlock.apply(block);
        copy.loadStateDict(block.stateDict(), true);
        copy.train(block.isTraining());
        Map<String, Parameter> params = copy.namedParameters();
        for (String pattern : config.zeroed()) {
            NamePattern p = NamePattern.of(pattern);
            List<Parameter> hits = new ArrayList<>();
            params.forEach((k, v) -> {
                if (p.test(k)) {
                    hits.add(v);
                }
            });
            if (hits.isEmpty()) {
                throw new IllegalArgumentException("zeroed pattern '" + pattern + "' matches no parameter of block "
                        + index + " (its parameters: " + params.keySet() + ")");
            }
            for (Parameter h : hits) {
                try (NDArray zeros = h.data().zerosLike()) {
                    h.replace(zeros);
                }
            }
        }
        return copy;
    }
}
