package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.peft4j.core.engine.NoGradient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * How a training step's forward keeps memory low on DJL, whose arrays all live until the step's manager closes
 * (PyTorch frees an intermediate as soon as nothing refers to it). While a step is open on this thread, every child
 * a parent runs through {@link Module#call} runs in a manager of its own that closes when the child returns, so
 * only its output stays with the step; what autograd saved for backward stays alive through the graph. Three
 * things follow from the module tree:
 *
 * <ul>
 *   <li>a child with no trainable parameter below it whose input carries no gradient (a frozen prefix: the encoder
 *       of a decoder-only or head-only run, the stages before the first LoRA) runs without recording a graph;
 *   <li>a child whose name matches a checkpoint pattern runs without a graph too, keeping only its input, and is
 *       run again with gradients during {@link #backward} (activation checkpointing, as
 *       {@code torch.utils.checkpoint}); its running statistics, if any, are updated twice, as there. Its
 *       output array is closed once it has been recomputed (with the gradient that arrived at it), so read a
 *       checkpointed module's output before {@link #backward}, not after;
 *   <li>a child with forward hooks or prefix tokens anywhere below it runs as it always did, since a hook may keep
 *       an intermediate (features for distillation) or feed a trainable tensor in.
 * </ul>
 *
 * <p>A unit (several children run together, see {@link Module#registerUnit}) is checkpointed the same way when its
 * dotted name matches a pattern, with all its inputs kept: one U-Net decoder level then keeps its two small inputs
 * instead of every full-resolution map between its children. Checkpoints inside a checkpointed unit are part of
 * it.
 *
 * <pre>{@code
 * try (StepMemory memory = StepMemory.open(model, StepMemory.Options.DEFAULT);
 *         GradientCollector gc = engine.newGradientCollector()) {
 *     memory.backward(loss.compute(model.forward(x), y));
 * }
 * }</pre>
 */
public final class StepMemory implements AutoCloseable {
    private static final ThreadLocal<StepMemory> CURRENT = new ThreadLocal<>();

    /**
     * @param skipFrozen run frozen prefixes without a graph (gradients unchanged)
     * @param freeIntermediates close each child's intermediates when it returns (gradients bit-identical)
     * @param checkpoint module name patterns (see {@link NamePattern}) to recompute during backward
     */
    public record Options(boolean skipFrozen, boolean freeIntermediates, List<String> checkpoint) {
        /** What a step uses unless told otherwise: both savings that change no number, no checkpointing. */
        public static final Options DEFAULT = new Options(true, true, List.of());
        /** A step exactly as DJL runs it: every array lives until the step ends. */
        public static final Options PLAIN = new Options(false, false, List.of());

        public Options {
            checkpoint = List.copyOf(checkpoint);
        }

        public Options withCheckpoint(List<String> patterns) {
            return new Options(skipFrozen, freeIntermediates, patterns);
        }
    }

    /** What a step does with one module, decided once per step from the tree. */
    private record Plan(boolean frozen, boolean opaque, boolean checkpoint) {}

    /**
     * A checkpointed child's or unit's forward: its name, inputs, how to run it again, its output and the seed it ran
     * with.
     */
    private record Recompute(String name, List<NDArray> inputs, Function<List<NDArray>, NDArray> forward,
            NDArray output, Long seed) {}

    /** Told where a step is, for memory profiles: after a module's forward returns, and during backward. */
    public interface Probe {
        /**
         * @param event the module's dotted name after its forward, {@code backward} after the loss's backward
         *     pass, {@code recompute <name>} after a checkpointed module's recomputation and its backward
         */
        void at(String event);
    }

    private final Options options;
    private final Map<Module, Plan> plans = new IdentityHashMap<>();
    private final Map<Module, String> names = new IdentityHashMap<>();
    private final Map<Module, Map<String, Plan>> unitPlans = new IdentityHashMap<>();
    private Predicate<String> probed = n -> false;
    private Probe probe;
    private final List<Recompute> tape = new ArrayList<>();
    /** Outputs computed without a graph (frozen prefixes and what frozen children made of them) in this step. */
    private final Set<NDArray> noGraph = Collections.newSetFromMap(new IdentityHashMap<>());
    private final StepMemory outer;
    private boolean recomputing;
    /**
     * Whether anything that can carry a gradient has run in this step's forward. DJL cannot say whether an array
     * needs a gradient (it reports false for every array computed from one), so a frozen child counts as a prefix
     * only while every child run before it was frozen too.
     */
    private boolean gradientSeen;

    private StepMemory(Module root, Options options) {
        this.options = options;
        Predicate<String> checkpointed = options.checkpoint().isEmpty() ? n -> false
                : NamePattern.anyOf(options.checkpoint().toArray(String[]::new));
        plan(root, "", checkpointed);
        // Trainable parameters a module reads in its own code (a class token, a bias table) rather than through
        // a child may meet the activations before any child runs; then no child counts as a prefix.
        this.gradientSeen = root.namedModules().values().stream().anyMatch(m -> !m.children().isEmpty()
                && m.ownParameters().stream().anyMatch(Parameter::isTrainable));
        this.outer = CURRENT.get();
    }

    /** Opens a step's memory plan for {@code root}'s tree on this thread; close it when the step ends. */
    public static StepMemory open(Module root, Options options) {
        StepMemory s = new StepMemory(root, options);
        CURRENT.set(s);
        return s;
    }

    /**
     * Reports to {@code probe} after the forward of each module whose name {@code which} accepts (in the plain
     * order, inner modules first) and at the points of {@link #backward}; for memory profiles.
     */
    public StepMemory observe(Predicate<String> which, Probe probe) {
        this.probed = which;
        this.probe = probe;
        return this;
    }

    /** How many checkpointed forwards the step has recorded so far. */
    public int checkpointed() {
        return tape.size();
    }

    /**
     * Back-propagates {@code loss}, then runs each checkpointed child again with gradients, last first, and
     * back-propagates the gradient its output received into it. The graph is kept while checkpoints remain,
     * since a recomputed child's input may hang off a part of the graph that the first pass went through.
     */
    public void backward(NDArray loss) {
        boolean keep = !tape.isEmpty();
        try (NDArray ones = loss.onesLike()) {
            JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, keep, false);
        }
        report("backward");
        recomputing = true;
        try {
            for (int i = tape.size() - 1; i >= 0; i--) {
                Recompute r = tape.get(i);
                PtNDArray grad = JniUtils.getGradient((PtNDArray) r.output());
                if (grad == null) {
                    continue; // nothing downstream reached the loss
                }
                try (NDManager sub = r.inputs().get(0).getManager().newSubManager()) {
                    grad.attach(sub);
                    distinct(r.inputs()).forEach(x -> x.tempAttach(sub));
                    if (r.seed() != null) {
                        JniUtils.setSeed(r.seed());
                    }
                    NDArray again = r.forward().apply(r.inputs());
                    JniUtils.backward((PtNDArray) again, grad, i > 0, false);
                }
                // The output is a leaf whose gradient autograd keeps until the leaf is freed; nothing needs either
                // any more (what came after it has been through backward), so free both now, not at the step's end.
                r.output().close();
                report("recompute " + r.name());
            }
        } finally {
            recomputing = false;
            tape.clear();
        }
    }

    @Override
    public void close() {
        tape.clear();
        noGraph.clear();
        if (outer == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(outer);
        }
    }

    private void report(String event) {
        if (probe != null) {
            probe.at(event);
        }
    }

    /** Runs {@code forward} of {@code module} on {@code x} as the open step's plan says (plainly without one). */
    static NDArray run(Module module, NDArray x, UnaryOperator<NDArray> forward) {
        StepMemory s = CURRENT.get();
        if (s == null) {
            return forward.apply(x);
        }
        if (s.probe == null || s.recomputing) {
            return s.planned(module, x, forward);
        }
        NDArray out = s.planned(module, x, forward);
        String name = s.names.get(module);
        if (name != null && s.probed.test(name)) {
            s.probe.at(name);
        }
        return out;
    }

    /** Runs the unit {@code unit} of {@code owner} on {@code inputs} as the open step's plan says. */
    static NDArray runUnit(Module owner, String unit, List<NDArray> inputs, Function<List<NDArray>, NDArray> forward) {
        StepMemory s = CURRENT.get();
        if (s == null) {
            return forward.apply(inputs);
        }
        Plan p = s.unitPlans.getOrDefault(owner, Map.of()).get(unit);
        boolean grad = JniUtils.isGradMode();
        if (p == null || p.opaque() || !p.checkpoint() || !grad || s.recomputing) {
            // Its children are freed, skipped or checkpointed one by one.
            return forward.apply(inputs);
        }
        if (p.frozen() && s.options.skipFrozen()
                && (!s.gradientSeen || inputs.stream().allMatch(s.noGraph::contains))) {
            return forward.apply(inputs); // its frozen children run without a graph on their own
        }
        s.gradientSeen |= !p.frozen();
        String owned = s.names.getOrDefault(owner, "?");
        String name = owned.isEmpty() ? unit : owned + "." + unit;
        NDArray out = s.checkpoint(name, owner, inputs, forward);
        if (s.probe != null && s.probed.test(name)) {
            s.probe.at(name);
        }
        return out;
    }

    /** By identity: DJL's {@code equals} compares contents. */
    private static boolean isOneOf(NDArray x, List<NDArray> xs) {
        return xs.stream().anyMatch(y -> y == x);
    }

    /** The inputs without repeats, to attach each to a scope once (a second attach would lose its owner). */
    private static List<NDArray> distinct(List<NDArray> inputs) {
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<NDArray> out = new ArrayList<>();
        for (NDArray x : inputs) {
            if (seen.add(x)) {
                out.add(x);
            }
        }
        return out.size() == inputs.size() ? inputs : out;
    }

    private NDArray planned(Module module, NDArray x, UnaryOperator<NDArray> forward) {
        boolean grad = JniUtils.isGradMode();
        Plan p = plans.get(module);
        if (p == null) {
            // A module outside the tree (an objective's projection) may carry gradients into it.
            gradientSeen |= grad;
            return forward.apply(x);
        }
        if (grad && !p.frozen()) {
            gradientSeen = true;
        }
        if (p.opaque()) {
            return forward.apply(x);
        }
        if (grad && p.frozen() && options.skipFrozen() && (!gradientSeen || noGraph.contains(x))) {
            // A frozen prefix, or a frozen child fed only by one (a skip connection from a frozen stem): nothing
            // upstream trains, so no graph is needed, and a recomputation would have none to go back through.
            NDArray out = scoped(x, forward, true);
            noGraph.add(out);
            return out;
        }
        if (grad && p.checkpoint() && !recomputing) {
            return checkpoint(names.getOrDefault(module, "?"), module, List.of(x), in -> forward.apply(in.get(0)));
        }
        return options.freeIntermediates() ? scoped(x, forward, false) : forward.apply(x);
    }

    private NDArray checkpoint(String name, Module module, List<NDArray> xs, Function<List<NDArray>, NDArray> forward) {
        NDArray x = xs.get(0);
        // Dropout and drop path must draw the same numbers when the forward runs again: reseed both times.
        Long seed = null;
        if (module.isTraining()) {
            // Drawn from the engine's generator, so a seeded run stays reproducible.
            try (NDArray draw = x.getManager().randomInteger(0, Integer.MAX_VALUE, new Shape(), DataType.INT64)) {
                seed = draw.getLong();
            }
        }
        if (seed != null) {
            JniUtils.setSeed(seed);
        }
        NDArray out = scoped(xs, forward, true);
        if (isOneOf(out, xs)) {
            return out;
        }
        // A leaf that collects the gradient arriving from downstream, for the recomputation to carry on.
        out.setRequiresGradient(true);
        tape.add(new Recompute(name, xs, forward, out, seed));
        return out;
    }

    /**
     * Runs {@code forward} with its intermediates in a manager of their own, closed on return; the output moves to
     * the input's manager.
     */
    private static NDArray scoped(NDArray x, UnaryOperator<NDArray> forward, boolean noGrad) {
        return scoped(List.of(x), in -> forward.apply(in.get(0)), noGrad);
    }

    /** As {@link #scoped(NDArray, UnaryOperator, boolean)} for several inputs; the output joins the first's manager. */
    private static NDArray scoped(List<NDArray> xs, Function<List<NDArray>, NDArray> forward, boolean noGrad) {
        NDManager parent = xs.get(0).getManager();
        try (NDManager sub = parent.newSubManager()) {
            distinct(xs).forEach(x -> x.tempAttach(sub));
            NDArray out = noGrad ? NoGradient.run(() -> forward.apply(xs)) : forward.apply(xs);
            if (!isOneOf(out, xs) && out.getManager() == sub) {
                out.attach(parent);
            }
            return out;
        }
    }

    /** Plans {@code m}'s subtree bottom-up, in one walk. */
    private Plan plan(Module m, String name, Predicate<String> checkpointed) {
        // A hook may read trainable arrays of its own, so a hooked module is never a frozen prefix; only a hook
        // that may keep what it sees (features for distillation) stops the step from freeing or recomputing.
        boolean frozen = !m.hasForwardHooks() && !m.hasForwardPreHooks() && !m.readsOutsideParameters();
        boolean opaque = m.hasStatefulHooks();
        for (Map.Entry<String, Module> e : m.children().entrySet()) {
            Plan c = plan(e.getValue(), name.isEmpty() ? e.getKey() : name + "." + e.getKey(), checkpointed);
            frozen &= c.frozen();
            opaque |= c.opaque();
        }
        for (Parameter p : m.ownParameters()) {
            frozen &= !p.isTrainable();
        }
        Plan p = new Plan(frozen, opaque, !name.isEmpty() && checkpointed.test(name));
        for (Map.Entry<String, List<String>> u : m.units().entrySet()) {
            boolean uFrozen = true;
            boolean uOpaque = false;
            for (String member : u.getValue()) {
                Plan c = plans.get(m.children().get(member));
                uFrozen &= c == null || c.frozen();
                uOpaque |= c != null && c.opaque();
            }
            String unit = name.isEmpty() ? u.getKey() : name + "." + u.getKey();
            unitPlans.computeIfAbsent(m, k -> new java.util.HashMap<>()).putIfAbsent(u.getKey(),
                    new Plan(uFrozen, uOpaque, checkpointed.test(unit)));
        }
        plans.putIfAbsent(m, p);
        names.putIfAbsent(m, name);
        return p;
    }
}
