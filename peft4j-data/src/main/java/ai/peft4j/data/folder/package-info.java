/**
 * Data sets kept as one folder per class (as the magnetic tile set: {@code MT_<Class>/Imgs/<name>.jpg} with a grey
 * mask {@code <name>.png}); the class of a defect pixel comes from its folder's name.
 */
package ai.peft4j.data.folder;
