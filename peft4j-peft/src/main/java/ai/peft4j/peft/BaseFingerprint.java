package ai.peft4j.peft;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Buffer;
import ai.peft4j.core.nn.Module;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The content fingerprint of a base model: SHA-256 over the name, data type, shape and bytes of every parameter
 * and every floating-point persistent buffer. The buffers count because a base's BatchNorm statistics are part of
 * the network an adapter was trained on; integer counters ({@code num_batches_tracked}) do not change outputs and
 * are left out. Two bases of the same architecture with other weights differ here, unlike in their layout.
 */
public final class BaseFingerprint {
    /** Characters of the fingerprint shown in messages. */
    public static final int SHORT = 12;

    private BaseFingerprint() {}

    /** The fingerprint of {@code model} as it is now, as 64 hexadecimal digits. */
    public static String of(Module model) {
        MessageDigest md = sha256();
        for (Map.Entry<String, ai.peft4j.core.nn.Parameter> e : model.namedParameters().entrySet()) {
            update(md, e.getKey(), e.getValue().data());
        }
        for (Map.Entry<String, Buffer> e : model.namedBuffers().entrySet()) {
            NDArray b = e.getValue().data();
            if (e.getValue().isPersistent() && b.getDataType().isFloating()) {
                update(md, e.getKey(), b);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The first {@link #SHORT} digits, enough to tell bases apart in a message. */
    public static String shorten(String fingerprint) {
        return fingerprint.length() > SHORT ? fingerprint.substring(0, SHORT) : fingerprint;
    }

    private static void update(MessageDigest md, String name, NDArray data) {
        md.update((name + " " + data.getDataType() + " " + data.getShape() + "\n").getBytes(StandardCharsets.UTF_8));
        md.update(data.toByteBuffer());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
