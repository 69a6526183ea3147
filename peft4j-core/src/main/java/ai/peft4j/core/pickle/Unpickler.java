package ai.peft4j.core.pickle;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted unpickler for the opcodes of pickle protocols 0 to 5 that {@code torch.save} writes. It builds Python
 * values as Java ones (str as String, int as Long or BigInteger, float as Double, bool as Boolean, None as null,
 * list as List, dict as a LinkedHashMap in file order, tuple as {@link Tuple}, bytes as byte[], set as Set) and
 * resolves only the globals of tensor data; any other global ({@code GLOBAL}, {@code STACK_GLOBAL}, {@code INST})
 * fails with {@link ForbiddenGlobalException} the moment its name is read, so nothing it names is called or built.
 */
final class Unpickler {
    /** Turns a persistent id ({@code BINPERSID}) into the object it stands for: a storage in torch files. */
    @FunctionalInterface
    interface PersistentLoader {
        Object load(Object pid) throws IOException;
    }

    /** The callables a checkpoint may name, besides the storage classes. */
    enum Callable {
        ORDERED_DICT("collections.OrderedDict"),
        REBUILD_TENSOR("torch._utils._rebuild_tensor"),
        REBUILD_TENSOR_V2("torch._utils._rebuild_tensor_v2"),
        REBUILD_PARAMETER("torch._utils._rebuild_parameter"),
        REBUILD_PARAMETER_WITH_STATE("torch._utils._rebuild_parameter_with_state");

        final String qualified;

        Callable(String qualified) {
            this.qualified = qualified;
        }
    }

    /** A storage class global such as {@code torch.FloatStorage}: only a tag in a persistent id. */
    record StorageType(TorchDtype dtype) {}

    private static final Object MARK = new Object();

    private final PickleInput in;
    private final PersistentLoader persistent;
    private final List<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();

    Unpickler(PickleInput in, PersistentLoader persistent) {
        this.in = in;
        this.persistent = persistent;
    }

    /** The global for {@code module.name}, or {@link ForbiddenGlobalException} for anything but tensor data. */
    static Object resolve(String source, String module, String name) throws ForbiddenGlobalException {
        String qualified = module + "." + name;
        for (Callable c : Callable.values()) {
            if (c.qualified.equals(qualified)) {
                return c;
            }
        }
        if ("torch".equals(module)) {
            TorchDtype t = TorchDtype.ofStorageClass(name);
            if (t != null) {
                return new StorageType(t);
            }
        }
        throw new ForbiddenGlobalException(source, qualified);
    }

    /** Reads one pickle, up to and including its STOP opcode. */
    Object load() throws IOException {
        while (true) {
            long at = in.position();
            int op = in.readByte();
            switch (op) {
                case 0x80: // PROTO
                    int proto = in.readByte();
                    if (proto > 5) {
                        throw damaged("pickle protocol " + proto + " is newer than 5", at);
                    }
                    break;
                case 0x95: // FRAME: a length hint only
                    in.readBytes(8);
                    break;
                case '.': // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw damaged("STOP with " + stack.size() + " values on the stack", at);
                    }
                    return stack.get(0);
                case '(':
                    marks.push(stack.size());
                    stack.add(MARK);
                    break;
                case '0':
                    pop(at);
                    break;
                case '1':
                    popMark(at);
                    break;
                case '2':
                    push(peek(at));
                    break;
                case 'N':
                    push(null);
                    break;
                case 0x88:
                    push(Boolean.TRUE);
                    break;
                case 0x89:
                    push(Boolean.FALSE);
                    break;
                case 'J':
                    push((long) (int) in.readLittleEndian(4));
                    break;
                case 'K':
                    push((long) in.readByte());
                    break;
                case 'M':
                    push(in.readLittleEndian(2));
                    break;
                case 0x8a: // LONG1
                    push(longOf(in.readBytes(in.readByte())));
                    break;
                case 0x8b: // LONG4
                    push(longOf(in.readBytes(signedLength4())));
                    break;
                case 'I':
                    push(textInt(in.readLine(), at));
                    break;
                case 'L': {
                    String s = in.readLine();
                    push(textInt(s.endsWith("L") ? s.substring(0, s.length() - 1) : s, at));
                    break;
                }
                case 'G': // BINFLOAT is big-endian
                    push(Double.longBitsToDouble(Long.reverseBytes(in.readLittleEndian(8))));
                    break;
                case 'F':
                    push(textFloat(in.readLine(), at));
                    break;
                case 'X':
                    push(utf8(in.readBytes(signedLength4())));
                    break;
                case 0x8c:
                    push(utf8(in.readBytes(in.readByte())));
                    break;
                case 0x8d:
                    push(utf8(in.readBytes(in.readLittleEndian(8))));
                    break;
                case 'V':
                    push(in.readLine());
                    break;
                case 'T':
                    push(utf8(in.readBytes(signedLength4())));
                    break;
                case 'U':
                    push(utf8(in.readBytes(in.readByte())));
                    break;
                case 'S':
                    push(unquote(in.readLine(), at));
                    break;
                case 'B':
                    push(in.readBytes(signedLength4()));
                    break;
                case 'C':
                    push(in.readBytes(in.readByte()));
                    break;
                case 0x8e:
                case 0x96:
                    push(in.readBytes(in.readLittleEndian(8)));
                    break;
                case ')':
                    push(new Tuple(List.of()));
                    break;
                case 't':
                    push(new Tuple(popMark(at)));
                    break;
                case 0x85:
                    push(new Tuple(popN(1, at)));
                    break;
                case 0x86:
                    push(new Tuple(popN(2, at)));
                    break;
                case 0x87:
                    push(new Tuple(popN(3, at)));
                    break;
                case ']':
                    push(new ArrayList<>());
                    break;
                case 'l':
                    push(new ArrayList<>(popMark(at)));
                    break;
                case 'a': {
                    Object v = pop(at);
                    list(peek(at), at).add(v);
                    break;
                }
                case 'e': {
                    List<Object> items = popMark(at);
                    list(peek(at), at).addAll(items);
                    break;
                }
                case '}':
                    push(new LinkedHashMap<>());
                    break;
                case 'd': {
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putPairs(m, popMark(at), at);
                    push(m);
                    break;
                }
                case 's': {
                    Object v = pop(at);
                    Object k = pop(at);
                    dict(peek(at), at).put(k, v);
                    break;
                }
                case 'u': {
                    List<Object> items = popMark(at);
                    putPairs(dict(peek(at), at), items, at);
                    break;
                }
                case 0x8f:
                    push(new LinkedHashSet<>());
                    break;
                case 0x90: {
                    List<Object> items = popMark(at);
                    set(peek(at), at).addAll(items);
                    break;
                }
                case 0x91:
                    push(Collections.unmodifiableSet(new LinkedHashSet<>(popMark(at))));
                    break;
                case 'p':
                    memo.put(textInt(in.readLine(), at).longValue(), peek(at));
                    break;
                case 'q':
                    memo.put((long) in.readByte(), peek(at));
                    break;
                case 'r':
                    memo.put(in.readLittleEndian(4), peek(at));
                    break;
                case 0x94:
                    memo.put((long) memo.size(), peek(at));
                    break;
                case 'g':
                    push(memoGet(textInt(in.readLine(), at).longValue(), at));
                    break;
                case 'h':
                    push(memoGet(in.readByte(), at));
                    break;
                case 'j':
                    push(memoGet(in.readLittleEndian(4), at));
                    break;
                case 'c': {
                    String module = in.readLine();
                    String name = in.readLine();
                    push(resolve(in.source(), module, name));
                    break;
                }
                case 0x93: { // STACK_GLOBAL
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String) || !(name instanceof String)) {
                        throw damaged("STACK_GLOBAL without two strings", at);
                    }
                    push(resolve(in.source(), (String) module, (String) name));
                    break;
                }
                case 'i': { // INST: a class named inline, instantiated with the values since the mark
                    Object cls = resolve(in.source(), in.readLine(), in.readLine());
                    push(instantiate(cls, new Tuple(popMark(at)), at));
                    break;
                }
                case 'o': {
                    List<Object> items = popMark(at);
                    if (items.isEmpty()) {
                        throw damaged("OBJ without a class", at);
                    }
                    push(instantiate(items.get(0), new Tuple(items.subList(1, items.size())), at));
                    break;
                }
                case 0x81: { // NEWOBJ
                    Object args = pop(at);
                    push(instantiate(pop(at), tuple(args, at), at));
                    break;
                }
                case 0x92: { // NEWOBJ_EX
                    pop(at);
                    Object args = pop(at);
                    push(instantiate(pop(at), tuple(args, at), at));
                    break;
                }
                case 'R': {
                    Object args = pop(at);
                    Object fn = pop(at);
                    push(call(fn, tuple(args, at), at));
                    break;
                }
                case 'b': { // BUILD: sets attributes, e.g. the _metadata of a state dict; nothing to keep
                    pop(at);
                    Object target = peek(at);
                    if (!(target instanceof Map) && !(target instanceof TorchTensor)) {
                        throw damaged("BUILD on " + typeName(target), at);
                    }
                    break;
                }
                case 'Q':
                    push(persistent.load(pop(at)));
                    break;
                case 'P':
                    push(persistent.load(in.readLine()));
                    break;
                case 0x82:
                    throw new ForbiddenGlobalException(in.source(), "copyreg extension " + in.readByte());
                case 0x83:
                    throw new ForbiddenGlobalException(in.source(), "copyreg extension " + in.readLittleEndian(2));
                case 0x84:
                    throw new ForbiddenGlobalException(in.source(), "copyreg extension " + in.readLittleEndian(4));
                case 0x97:
                case 0x98:
                    throw damaged("out-of-band buffers (pickle protocol 5) are not used by torch.save", at);
                default:
                    throw damaged(String.format("unknown opcode 0x%02x", op), at);
            }
        }
    }

    private Object call(Object fn, Tuple args, long at) throws IOException {
        if (fn == Callable.ORDERED_DICT) {
            return instantiate(fn, args, at);
        }
        if (fn == Callable.REBUILD_TENSOR || fn == Callable.REBUILD_TENSOR_V2) {
            if (args.size() < 4 || !(args.get(0) instanceof TorchStorage)) {
                throw damaged("a tensor is rebuilt from " + args.size() + " arguments without a storage", at);
            }
            return new TorchTensor((TorchStorage) args.get(0), number(args.get(1), at), longs(args.get(2), at),
                    longs(args.get(3), at));
        }
        if (fn == Callable.REBUILD_PARAMETER || fn == Callable.REBUILD_PARAMETER_WITH_STATE) {
            if (args.size() < 1 || !(args.get(0) instanceof TorchTensor)) {
                throw damaged("a parameter is rebuilt from something other than a tensor", at);
            }
            return args.get(0);
        }
        throw damaged("REDUCE calls " + typeName(fn) + ", which is not callable here", at);
    }

    private Object instantiate(Object cls, Tuple args, long at) throws IOException {
        if (cls != Callable.ORDERED_DICT) {
            throw damaged(typeName(cls) + " is not a class that may be instantiated here", at);
        }
        Map<Object, Object> m = new LinkedHashMap<>();
        if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
            for (Object p : pairs) {
                Tuple kv = tuple(p, at);
                if (kv.size() != 2) {
                    throw damaged("OrderedDict item is not a pair", at);
                }
                m.put(kv.get(0), kv.get(1));
            }
        } else if (args.size() != 0) {
            throw damaged("OrderedDict built from " + args.size() + " arguments", at);
        }
        return m;
    }

    private static String typeName(Object o) {
        if (o instanceof Callable c) {
            return c.qualified;
        }
        if (o instanceof StorageType s) {
            return "torch." + s.dtype().storageClass();
        }
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    private long number(Object o, long at) throws IOException {
        if (o instanceof Long l) {
            return l;
        }
        throw damaged("expected an integer, found " + typeName(o), at);
    }

    private long[] longs(Object o, long at) throws IOException {
        Tuple t = tuple(o, at);
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = number(t.get(i), at);
        }
        return out;
    }

    private Tuple tuple(Object o, long at) throws IOException {
        if (o instanceof Tuple t) {
            return t;
        }
        throw damaged("expected a tuple, found " + typeName(o), at);
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, long at) throws IOException {
        if (o instanceof ArrayList<?>) {
            return (List<Object>) o;
        }
        throw damaged("APPEND to " + typeName(o), at);
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, long at) throws IOException {
        if (o instanceof Map<?, ?>) {
            return (Map<Object, Object>) o;
        }
        throw damaged("SETITEM on " + typeName(o), at);
    }

    @SuppressWarnings("unchecked")
    private Set<Object> set(Object o, long at) throws IOException {
        if (o instanceof LinkedHashSet<?>) {
            return (Set<Object>) o;
        }
        throw damaged("ADDITEMS on " + typeName(o), at);
    }

    private void putPairs(Map<Object, Object> m, List<Object> items, long at) throws IOException {
        if (items.size() % 2 != 0) {
            throw damaged("odd number of dict items", at);
        }
        for (int i = 0; i < items.size(); i += 2) {
            m.put(items.get(i), items.get(i + 1));
        }
    }

    private Object memoGet(long key, long at) throws IOException {
        if (!memo.containsKey(key)) {
            throw damaged("memo entry " + key + " was never stored", at);
        }
        return memo.get(key);
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object peek(long at) throws IOException {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw damaged("stack is empty", at);
        }
        return stack.get(stack.size() - 1);
    }

    private Object pop(long at) throws IOException {
        Object o = peek(at);
        stack.remove(stack.size() - 1);
        return o;
    }

    private List<Object> popN(int n, long at) throws IOException {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(0, pop(at));
        }
        return out;
    }

    private List<Object> popMark(long at) throws IOException {
        if (marks.isEmpty()) {
            throw damaged("no MARK on the stack", at);
        }
        int m = marks.pop();
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private long signedLength4() throws IOException {
        return (int) in.readLittleEndian(4);
    }

    /** Python's little-endian two's-complement long, as Long when it fits. */
    private static Object longOf(byte[] b) {
        if (b.length == 0) {
            return 0L;
        }
        byte[] be = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            be[i] = b[b.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private Long textInt(String s, long at) throws IOException {
        if ("01".equals(s)) {
            return 1L;
        }
        if ("00".equals(s)) {
            return 0L;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw damaged("integer text '" + s + "'", at);
        }
    }

    private Double textFloat(String s, long at) throws IOException {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw damaged("float text '" + s + "'", at);
        }
    }

    private String unquote(String s, long at) throws IOException {
        if (s.length() >= 2 && (s.charAt(0) == '\'' || s.charAt(0) == '"') && s.charAt(s.length() - 1) == s.charAt(0)) {
            return s.substring(1, s.length() - 1);
        }
        throw damaged("STRING without quotes", at);
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private IOException damaged(String what, long at) {
        return new IOException(in.source() + ": damaged or unsupported pickle: " + what + " (at byte " + at + ")");
    }
}
