/**
 * BERT as Hugging Face's {@code BertModel} builds it, under its state-dict names so a {@code bert-base-uncased}
 * checkpoint loads by name, and its WordPiece tokeniser: the text encoder behind TP-LoRA's prompts.
 */
package ai.peft4j.models.bert;
