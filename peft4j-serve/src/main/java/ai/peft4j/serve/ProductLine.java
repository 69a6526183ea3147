package ai.peft4j.serve;

import java.util.List;

/**
 * A product line the service knows: its adapter as loaded on the base model.
 *
 * @param name the line, which is its adapter's folder name
 * @param method the adapter's method (its registry name)
 * @param trainable parameters the adapter trains
 * @param baseFingerprint the content fingerprint of the base the adapter sits on
 * @param classNames the line's classes, background first
 * @param loadMs how long loading took
 */
record ProductLine(String name, String method, long trainable, String baseFingerprint, List<String> classNames,
        double loadMs) {
    int classes() {
        return classNames.size();
    }
}
