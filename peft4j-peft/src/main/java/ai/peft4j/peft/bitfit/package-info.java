/** BitFit: train only the biases (and the head). */
package ai.peft4j.peft.bitfit;
