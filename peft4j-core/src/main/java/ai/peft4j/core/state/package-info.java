/** Weight files: safetensors reading and atomic writing, and the report of a state-dict load. */
package ai.peft4j.core.state;
