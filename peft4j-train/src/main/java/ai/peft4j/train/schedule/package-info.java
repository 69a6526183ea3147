/**
 * Learning-rate schedules by epoch: the published warm-up cosine ({@code cos}) and step decay ({@code step}) of
 * TP-LoRA's {@code get_lr_scheduler}, and a constant rate; and Hugging Face's schedules per optimiser step
 * ({@code cos-step}, {@code linear-step}: {@link ai.peft4j.train.schedule.PerStepSchedule}).
 */
package ai.peft4j.train.schedule;
