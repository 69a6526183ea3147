/**
 * Synthetic citrus defect images for the built-in demo, generated from a seed in memory or written in the VOC
 * layout: a source domain (navel oranges) and two target domains (lemons, grapefruit) with other fruit colours,
 * textures and defect classes.
 */
package ai.peft4j.data.synthetic;
