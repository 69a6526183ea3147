package ai.peft4j.core.pickle;

import java.io.IOException;

/**
 * A pickle asked for a Python global that is not tensor data (such as {@code posix.system}); nothing was built or
 * called. Loading such a file with {@code torch.load(weights_only=False)} would run that code.
 */
public class ForbiddenGlobalException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String global;

    public ForbiddenGlobalException(String source, String global) {
        super(source + ": refused to load: the pickle asks for the Python global '" + global + "', which is not "
                + "tensor data (only tensors, storages, OrderedDict and plain values are read, and no code is run). "
                + "Do not open this file with torch.load(weights_only=False); if it comes from a source you trust, "
                + "re-save its state dict alone (torch.save(model.state_dict(), ...)) or as safetensors.");
        this.global = global;
    }

    /** The global as {@code module.name}. */
    public String global() {
        return global;
    }
}
