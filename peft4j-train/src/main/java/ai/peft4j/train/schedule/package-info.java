/**
 * Learning-rate schedules by epoch: the published warm-up cosine ({@code cos}) and step decay ({@code step}) of
 * TP-LoRA's {@code get_lr_scheduler}, and a constant rate.
 */
package ai.peft4j.train.schedule;
