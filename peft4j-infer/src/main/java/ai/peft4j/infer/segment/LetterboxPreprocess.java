package ai.peft4j.infer.segment;

import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.infer.stream.Stage;
import ai.peft4j.infer.video.Frame;

/**
 * The published evaluation preprocessing as a stream stage: letterbox to the model's size (bicubic, grey canvas),
 * channels first, divided by 255.
 */
public final class LetterboxPreprocess implements Stage<RgbImage, ModelInput> {
    private final Letterbox letterbox;

    public LetterboxPreprocess(Letterbox letterbox) {
        this.letterbox = letterbox;
    }

    @Override
    public ModelInput apply(Frame frame, RgbImage image) {
        return prepare(image);
    }

    public ModelInput prepare(RgbImage image) {
        // Letterbox works on image-mask pairs; an empty mask rides along.
        LabelledImage boxed = letterbox.apply(new LabelledImage("frame", image, new int[image.width()
                * image.height()]), null);
        return new ModelInput(boxed.image().toChannelsFirst(), letterbox.width(), letterbox.height(),
                letterbox.placement(image.width(), image.height()), image.width(), image.height());
    }
}
