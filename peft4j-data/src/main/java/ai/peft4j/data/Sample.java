package ai.peft4j.data;

/**
 * One labelled image, held as plain arrays so that loader threads need no engine resources.
 *
 * @param id the sample's name in its data set (file stem)
 * @param image RGB pixels, channel-first ({@code [3, height, width]} flattened), scaled to [0, 1]
 * @param mask class id per pixel ({@code [height, width]} flattened); the ignore label is the class count
 * @param height rows
 * @param width columns
 */
public record Sample(String id, float[] image, int[] mask, int height, int width) {
    public Sample {
        if (image.length != 3 * height * width) {
            throw new IllegalArgumentException(id + ": image has " + image.length + " values, expected 3 x "
                    + height + " x " + width);
        }
        if (mask.length != height * width) {
            throw new IllegalArgumentException(id + ": mask has " + mask.length + " values, expected " + height
                    + " x " + width);
        }
    }
}
