package ai.peft4j.infer.onnx;

import ai.peft4j.core.nn.Module;

/** Writes the ONNX nodes of one module class, mirroring its forward in eval mode. */
@FunctionalInterface
public interface Emitter<M extends Module> {
    /** Emits {@code module} applied to {@code x} and returns its output. */
    Value emit(ExportContext ctx, M module, Value x);
}
