/**
 * What a run configuration turns into: the data sets of its splits, the model with its weights (and adapter), the
 * fine-tuning method, and the trainer wired to them. Shared by train, finetune, eval and predict.
 */
package ai.peft4j.app.run;
