package ai.peft4j.data;

import ai.peft4j.data.image.RgbImage;

/**
 * An image with its class-id mask, in 8 bits per channel as decoded: the form transforms work on, so that they
 * resample exactly as the published code does before scaling to [0, 1].
 *
 * @param id the sample's id in its data set
 * @param image the RGB image
 * @param mask class id per pixel, row-major, the image's size; the ignore label is the class count
 */
public record LabelledImage(String id, RgbImage image, int[] mask) {
    public LabelledImage {
        if (mask.length != image.width() * image.height()) {
            throw new IllegalArgumentException(id + ": mask has " + mask.length + " values for a "
                    + image.width() + "x" + image.height() + " image");
        }
    }

    public int width() {
        return image.width();
    }

    public int height() {
        return image.height();
    }

    /** The sample the model sees: channels first, divided by 255 (the published input has no mean/std). */
    public Sample toSample() {
        return new Sample(id, image.toChannelsFirst(), mask.clone(), image.height(), image.width());
    }
}
