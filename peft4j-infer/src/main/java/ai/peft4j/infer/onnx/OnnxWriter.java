package ai.peft4j.infer.onnx;

import ai.peft4j.core.state.AtomicFiles;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Encodes an {@link OnnxGraph} as an ONNX {@code ModelProto} with protobuf-java's wire encoder. The handful of
 * message types the exporter needs are written by field number from {@code onnx.proto} (IR version 8, which
 * goes with opset 17), so no generated classes or protoc step are needed.
 */
public final class OnnxWriter {
    /** The default operator set: the first with LayerNormalization, read by every ONNX Runtime since 1.14. */
    public static final int OPSET = 17;
    static final long IR_VERSION = 8;
    static final String PRODUCER = "peft4j";

    private OnnxWriter() {}

    /** Writes the model atomically: the file is complete or absent. */
    public static void write(OnnxGraph graph, Path file) throws IOException {
        byte[] bytes = toBytes(graph);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    public static byte[] toBytes(OnnxGraph graph) {
        return message(out -> {
            out.writeInt64(1, IR_VERSION);
            out.writeString(2, PRODUCER);
            out.writeByteArray(7, graph(graph));
            out.writeByteArray(8, message(o -> {
                o.writeString(1, "");
                o.writeInt64(2, OPSET);
            }));
        });
    }

    private static byte[] graph(OnnxGraph g) {
        return message(out -> {
            for (OnnxNode n : g.nodes()) {
                out.writeByteArray(1, node(n));
            }
            out.writeString(2, g.name());
            for (Initializer t : g.initializers().values()) {
                out.writeByteArray(5, tensor(t));
            }
            for (ValueInfo v : g.inputs()) {
                out.writeByteArray(11, valueInfo(v));
            }
            for (ValueInfo v : g.outputs()) {
                out.writeByteArray(12, valueInfo(v));
            }
        });
    }

    private static byte[] node(OnnxNode n) {
        return message(out -> {
            for (String in : n.inputs()) {
                out.writeString(1, in);
            }
            for (String o : n.outputs()) {
                out.writeString(2, o);
            }
            out.writeString(3, n.name());
            out.writeString(4, n.opType());
            for (Map.Entry<String, Object> a : new java.util.TreeMap<>(n.attributes()).entrySet()) {
                out.writeByteArray(5, attribute(a.getKey(), a.getValue()));
            }
        });
    }

    private static byte[] attribute(String name, Object value) {
        return message(out -> {
            out.writeString(1, name);
            if (value instanceof Float f) {
                out.writeFloat(2, f);
                out.writeEnum(20, 1);
            } else if (value instanceof Long || value instanceof Integer) {
                out.writeInt64(3, ((Number) value).longValue());
                out.writeEnum(20, 2);
            } else if (value instanceof String s) {
                out.writeString(4, s);
                out.writeEnum(20, 3);
            } else if (value instanceof float[] fs) {
                for (float f : fs) {
                    out.writeFloat(7, f);
                }
                out.writeEnum(20, 6);
            } else if (value instanceof long[] ls) {
                for (long l : ls) {
                    out.writeInt64(8, l);
                }
                out.writeEnum(20, 7);
            } else {
                throw new IllegalArgumentException("attribute " + name + ": unsupported value type "
                        + (value == null ? "null" : value.getClass().getSimpleName()));
            }
        });
    }

    private static byte[] tensor(Initializer t) {
        return message(out -> {
            for (long d : t.dims()) {
                out.writeInt64(1, d);
            }
            out.writeInt32(2, t.type().code());
            out.writeString(8, t.name());
            out.writeByteArray(9, t.raw());
        });
    }

    private static byte[] valueInfo(ValueInfo v) {
        return message(out -> {
            out.writeString(1, v.name());
            out.writeByteArray(2, message(type -> type.writeByteArray(1, message(tensor -> {
                tensor.writeInt32(1, v.type().code());
                if (v.dims() != null) {
                    tensor.writeByteArray(2, message(shape -> {
                        for (long d : v.dims()) {
                            shape.writeByteArray(1, message(dim -> {
                                if (d < 0) {
                                    dim.writeString(2, "N");
                                } else {
                                    dim.writeInt64(1, d);
                                }
                            }));
                        }
                    }));
                }
            }))));
        });
    }

    @FunctionalInterface
    private interface Body {
        void writeTo(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Body body) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            body.writeTo(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
