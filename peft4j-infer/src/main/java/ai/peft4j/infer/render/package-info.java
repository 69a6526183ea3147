/** Pictures of predictions for a person: class colours blended over the image. */
package ai.peft4j.infer.render;
