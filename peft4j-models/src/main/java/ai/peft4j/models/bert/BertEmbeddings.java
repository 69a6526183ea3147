package ai.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Module;

/**
 * Word, absolute-position and token-type embeddings summed, then {@code LayerNorm} and dropout, as
 * {@code BertEmbeddings}. The three tables are modules holding one {@code weight} each, as {@code nn.Embedding}.
 */
public class BertEmbeddings extends Module {
    private final BertConfig config;

    public BertEmbeddings(NDManager manager, BertConfig config) {
        this.config = config;
        registerModule("word_embeddings", new Table(manager, config.vocabSize(), config.hidden()));
        registerModule("position_embeddings", new Table(manager, config.maxPositions(), config.hidden()));
        registerModule("token_type_embeddings", new Table(manager, config.typeVocabSize(), config.hidden()));
        registerModule("LayerNorm", new LayerNorm(manager, config.hidden(), config.layerNormEps()));
        registerModule("dropout", new Dropout(0.1f));
    }

    /**
     * Embeds {@code ids} {@code [B, S]} (int64); {@code tokenTypes} of the same shape, or null for segment 0
     * everywhere, as {@code BertModel} does without {@code token_type_ids}.
     */
    public NDArray forward(NDArray ids, NDArray tokenTypes) {
        Shape s = ids.getShape();
        long seq = s.get(1);
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException(seq + " tokens exceed BERT's " + config.maxPositions()
                    + " positions");
        }
        NDArray x = lookup("word_embeddings", ids);
        NDArray positions = ids.getManager().arange(0, seq, 1, DataType.INT64).expandDims(0);
        x = x.add(lookup("position_embeddings", positions));
        NDArray types = tokenTypes != null ? tokenTypes : ids.zerosLike();
        x = x.add(lookup("token_type_embeddings", types));
        x = call("LayerNorm", x);
        return runHooks(call("dropout", x), ids);
    }

    private NDArray lookup(String table, NDArray ids) {
        NDArray w = child(table).parameter("weight").data();
        Shape s = ids.getShape();
        NDArray rows = w.get(ids.toType(DataType.INT64, false).flatten());
        return rows.reshape(s.addAll(new Shape(w.getShape().get(1))));
    }

    /** An embedding table: {@code weight [rows, dim]}, looked up by index. */
    static final class Table extends Module {
        Table(NDManager manager, int rows, int dim) {
            registerParameter("weight", Initializers.truncNormal(manager, new Shape(rows, dim), 0.02f));
        }
    }
}
