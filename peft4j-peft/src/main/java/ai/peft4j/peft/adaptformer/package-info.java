/** AdaptFormer: a scaled ReLU bottleneck beside the MLP of each block, and beside decoder blocks and gates. */
package ai.peft4j.peft.adaptformer;
