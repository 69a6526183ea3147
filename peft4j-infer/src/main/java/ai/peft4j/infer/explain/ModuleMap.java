package ai.peft4j.infer.explain;

/**
 * One module's class activation map.
 *
 * @param module the module's dotted path
 * @param layout how its output was read as a map
 * @param raw the map at the module's own grid ({@code layout.height() x layout.width()}, row-major), before
 *     normalisation; all zeros when the target does not depend on this module
 * @param map the map scaled to [0, 1] (minus its minimum, over its maximum, as pytorch-grad-cam scales), then
 *     resized bilinearly to the network input ({@code inputHeight x inputWidth})
 */
public record ModuleMap(String module, FeatureLayout layout, float[] raw, int inputHeight, int inputWidth,
        float[] map) {

    /** The largest value of the raw map: zero when the class's target does not reach this module. */
    public float peak() {
        float max = 0;
        for (float v : raw) {
            max = Math.max(max, v);
        }
        return max;
    }
}
