/**
 * Scoring a model on a test split as the published {@code get_miou.py} does (predictions at each image's own size,
 * metrics from the pixel confusion matrix) and the report a person reads: JSON, Markdown, HTML and pictures.
 */
package ai.peft4j.app.eval;
