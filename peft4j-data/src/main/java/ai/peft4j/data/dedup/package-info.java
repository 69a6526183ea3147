/**
 * Finding copies of a photo in a data set, rotated or flipped ones included: perceptual hashes under the eight
 * rotations and flips, candidate pairs by Hamming distance, a pixel check of each, and groups of copies.
 */
package ai.peft4j.data.dedup;
