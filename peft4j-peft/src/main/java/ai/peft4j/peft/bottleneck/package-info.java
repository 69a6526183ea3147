/** Small adapter modules shared by several methods: down-projection, activation, up-projection, on tokens or maps. */
package ai.peft4j.peft.bottleneck;
