package ai.peft4j.models.sam;

/**
 * Which published code a SAM follows. The two agree on the image encoder and the prompt encoder and differ in
 * three places that change names or numbers:
 * <ul>
 *   <li>relative position tables: {@code attn.rel_pos_h/rel_pos_w} (segment-anything) or {@code attn.rel_h/rel_w}
 *       (Medical-SAM-Adapter);
 *   <li>the two-way transformer: segment-anything's first layer replaces the tokens with their self-attention and
 *       later layers use the tokens without position as values; Medical-SAM-Adapter's (EfficientSAM's) adds the
 *       self-attention to the tokens in layer 0 and uses {@code tokens + pe} as query, key, value and residual
 *       later; its MLP is {@code mlp.layers.0.0 / mlp.fc} instead of {@code mlp.lin1 / mlp.lin2};
 *   <li>mask selection: segment-anything returns token 0, or tokens 1.. for multimask output; Medical-SAM-Adapter
 *       returns the first {@code multimask_output} tokens (token 0 by default, tokens 0 and 1 for REFUGE).
 * </ul>
 * Because of the renamed tensors, Medical-SAM-Adapter's name-and-shape loader silently skips 32 tensors of
 * {@code sam_vit_b_01ec64.pth} (all relative positions and the transformer MLPs).
 */
public enum SamVariant {
    /** facebookresearch/segment-anything (and MobileSAM's decoder). */
    ORIGINAL,
    /** MedicineToken/Medical-SAM-Adapter at commit 4dcdc63, {@code -net sam}. */
    MSA;

    /** The names of the relative position tables in the encoder's attention. */
    String relPosHeightName() {
        return this == ORIGINAL ? "rel_pos_h" : "rel_h";
    }

    String relPosWidthName() {
        return this == ORIGINAL ? "rel_pos_w" : "rel_w";
    }
}
