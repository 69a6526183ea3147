/**
 * What a training run shows and leaves behind: a console progress bar with loss and ETA, the per-epoch CSV log and
 * a PNG of the training curves.
 */
package ai.peft4j.train.report;
