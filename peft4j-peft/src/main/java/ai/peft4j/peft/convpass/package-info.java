/** Convpass: a convolutional bypass (down-projection, 3x3 convolution, up-projection) beside attention and MLP. */
package ai.peft4j.peft.convpass;
