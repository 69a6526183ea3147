package ai.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Parameter;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates named parameters from their gradients, as a {@code torch.optim} optimiser over one parameter group. State
 * (moments, buffers, step counts) is kept per parameter name, so that it saves to and loads from a checkpoint; it
 * is created on a parameter's first update, and a parameter without a gradient is skipped, as in PyTorch.
 */
public abstract class Optimizer {
    private final Map<String, Parameter> parameters;
    private final Map<String, Map<String, NDArray>> state = new HashMap<>();
    private final Map<String, Long> steps = new HashMap<>();
    private double learningRate;

    protected Optimizer(Map<String, Parameter> parameters, double learningRate) {
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        parameters.forEach((name, p) -> {
            if (p.isTrainable()) {
                trainable.put(name, p);
            }
        });
        if (trainable.isEmpty()) {
            throw new IllegalArgumentException("no trainable parameters to optimise (is everything frozen?)");
        }
        this.parameters = Collections.unmodifiableMap(trainable);
        this.learningRate = learningRate;
    }

    /** The optimised parameters by name. */
    public final Map<String, Parameter> parameters() {
        return parameters;
    }

    public final double learningRate() {
        return learningRate;
    }

    /** Sets the rate for the next steps, as a scheduler sets {@code param_group['lr']}. */
    public final void setLearningRate(double learningRate) {
        this.learningRate = learningRate;
    }

    /**
     * Applies one update to every parameter that has a gradient. Each parameter's temporaries are freed before the
     * next one's update, so the step needs a few copies of the largest parameter, not of all of them.
     */
    public final void step() {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray grad = Gradients.of(e.getValue());
                if (grad == null) {
                    continue;
                }
                long t = steps.merge(e.getKey(), 1L, Long::sum);
                update(e.getKey(), e.getValue().data(), grad, learningRate, t);
            }
        }
    }

    /** Zeroes the gradients of the optimised parameters (backward passes add to them otherwise). */
    public final void zeroGrad() {
        for (Parameter p : parameters.values()) {
            Gradients.zero(p);
        }
    }

    /**
     * Updates {@code weight} in place.
     *
     * @param step how many updates this parameter has had, this one included (from 1)
     */
    protected abstract void update(String name, NDArray weight, NDArray grad, double lr, long step);

    /** The names of the per-parameter state tensors this optimiser keeps, e.g. {@code exp_avg}. */
    protected abstract List<String> slots();

    /** The state tensor {@code slot} of a parameter, made of zeros like the weight on first use. */
    protected final NDArray slot(String name, String slot, NDArray weight) {
        return state.computeIfAbsent(name, k -> new HashMap<>()).computeIfAbsent(slot, k -> {
            NDArray z = weight.zerosLike();
            // Outlives the step's scope: it belongs to the parameter's manager.
            NDScope.unregister(z);
            return z;
        });
    }

    /** Bytes the optimiser's state tensors hold (Adam's two moments per trained parameter), for memory profiles. */
    public final long stateBytes() {
        return state.values().stream().flatMap(m -> m.values().stream())
                .mapToLong(a -> a.size() * a.getDataType().getNumOfBytes()).sum();
    }

    /**
     * Frees the state tensors (they belong to the parameters' manager, so they would otherwise live as long as the
     * model); the next step starts from fresh moments, as a new optimiser would.
     */
    public final void clearState() {
        state.values().forEach(m -> m.values().forEach(NDArray::close));
        state.clear();
        steps.clear();
    }

    /** Whether a parameter has state {@code slot} yet (SGD initialises its momentum buffer from the gradient). */
    protected final boolean hasSlot(String name, String slot) {
        return state.containsKey(name) && state.get(name).containsKey(slot);
    }

    /**
     * The state as named tensors ({@code <parameter>.<slot>} and {@code <parameter>.step}), for a checkpoint.
     * Moments are the live tensors; step counts are new scalars in {@code manager}.
     */
    public final Map<String, NDArray> stateDict(NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String name : parameters.keySet()) {
            Long t = steps.get(name);
            if (t == null) {
                continue;
            }
            out.put(name + ".step", manager.create(t));
            Map<String, NDArray> slots = state.getOrDefault(name, Map.of());
            for (String slot : slots()) {
                if (slots.containsKey(slot)) {
                    out.put(name + "." + slot, slots.get(slot));
                }
            }
        }
        return out;
    }

    /**
     * Restores state written by {@link #stateDict}. Every entry must belong to an optimised parameter and fit its
     * shape; the tensors are copied.
     */
    public final void loadStateDict(Map<String, NDArray> saved) {
        Map<String, Map<String, NDArray>> nextState = new HashMap<>();
        Map<String, Long> nextSteps = new HashMap<>();
        for (Map.Entry<String, NDArray> e : saved.entrySet()) {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            String name = dot < 0 ? key : key.substring(0, dot);
            String slot = dot < 0 ? "" : key.substring(dot + 1);
            Parameter p = parameters.get(name);
            if (p == null) {
                throw new IllegalArgumentException("optimiser state '" + key + "' names no optimised parameter; "
                        + "was the checkpoint written with other trainable parameters?");
            }
            if ("step".equals(slot)) {
                nextSteps.put(name, e.getValue().toType(DataType.INT64, false).getLong());
                continue;
            }
            if (!slots().contains(slot)) {
                throw new IllegalArgumentException("optimiser state '" + key + "': " + getClass().getSimpleName()
                        + " keeps no '" + slot + "' (it keeps " + slots() + ")");
            }
            Shape shape = p.data().getShape();
            if (!e.getValue().getShape().equals(shape)) {
                throw new IllegalArgumentException("optimiser state '" + key + "' has shape "
                        + e.getValue().getShape() + ", the parameter " + shape);
            }
            NDArray copy = e.getValue().toType(p.data().getDataType(), false).duplicate();
            NDScope.unregister(copy);
            copy.attach(p.data().getManager());
            nextState.computeIfAbsent(name, k -> new HashMap<>()).put(slot, copy);
        }
        state.values().forEach(m -> m.values().forEach(NDArray::close));
        state.clear();
        state.putAll(nextState);
        steps.clear();
        steps.putAll(nextSteps);
    }

    /** How many updates a parameter has had (0 before the first). */
    public final long steps(String name) {
        return steps.getOrDefault(name, 0L);
    }
}
