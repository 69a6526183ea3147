/**
 * Images and masks as plain arrays: decoding any file by its content (not its extension) to RGB, reading mask
 * rasters with their checks, class colour palettes, and writing JPEG and palette PNG files.
 */
package ai.peft4j.data.image;
