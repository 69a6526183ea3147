package ai.peft4j.infer.stats;

import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.render.Overlay;
import ai.peft4j.infer.stream.FrameSink;
import ai.peft4j.infer.video.Frame;
import ai.peft4j.infer.video.Mp4Writer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The sink of an inspection stream: for each frame's class map, a row of {@code stats.csv}, a line of
 * {@code stats.jsonl}, and the overlay as a frame of {@code overlay.mp4} and/or {@code overlays/NAME.png} under
 * the output folder. Closing finishes every file, so a stream stopped early keeps all it wrote.
 */
public final class InspectionSink implements FrameSink<ClassMap> {
    public static final String CSV = "stats.csv";
    public static final String JSONL = "stats.jsonl";
    public static final String VIDEO = "overlay.mp4";
    public static final String PNG_FOLDER = "overlays";

    /**
     * What to write.
     *
     * @param folder the output folder
     * @param classNames a name per class, background first
     * @param palette class colours of the overlay
     * @param alpha weight of the class colour in the overlay
     * @param video whether to write {@code overlay.mp4}
     * @param pngs whether to write {@code overlays/NAME.png}
     * @param fps frame rate of the video
     */
    public record Config(Path folder, List<String> classNames, Palette palette, double alpha, boolean video,
            boolean pngs, double fps) {
        public Config {
            classNames = List.copyOf(classNames);
            if (classNames.isEmpty()) {
                throw new IllegalArgumentException("at least one class name (the background) is needed");
            }
            if (!(alpha >= 0 && alpha <= 1)) {
                throw new IllegalArgumentException("overlay alpha must lie in [0, 1], got " + alpha);
            }
        }

        /** Both the video and the PNGs, the VOC palette, alpha 0.6. */
        public static Config of(Path folder, List<String> classNames, double fps) {
            return new Config(folder, classNames, Palette.voc(), 0.6, true, true, fps);
        }
    }

    private final Config config;
    private final StatsWriter stats;
    private Mp4Writer video;
    private long frames;

    public InspectionSink(Config config) throws IOException {
        this.config = config;
        this.stats = new StatsWriter(config.classNames(), config.folder().resolve(CSV),
                config.folder().resolve(JSONL));
    }

    @Override
    public void accept(Frame frame, ClassMap map) throws IOException {
        FrameStats s = FrameStats.of(frame.index(), frame.name(), frame.seconds(), map, config.classNames().size());
        stats.write(s);
        if (!config.video() && !config.pngs()) {
            frames++;
            return;
        }
        RgbImage overlay = Overlay.blendDefects(frame.image(), map.classes(), config.palette(), config.alpha());
        if (config.pngs()) {
            // A folder source names frames after its files: the name must stay inside overlays/.
            ImageEncoder.writePng(overlay, ContainedPath.resolve(config.folder().resolve(PNG_FOLDER), frame.name(),
                    ".png", "frame name"));
        }
        if (config.video()) {
            if (video == null) {
                video = Mp4Writer.create(config.folder().resolve(VIDEO), config.fps());
            }
            try {
                video.write(evenSides(overlay));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage() + " (a video needs frames of one size; for a "
                        + "folder of mixed sizes write PNGs only)", e);
            }
        }
        frames++;
    }

    /** Frames written so far. */
    public long frames() {
        return frames;
    }

    @Override
    public void close() throws IOException {
        try {
            stats.close();
        } finally {
            if (video != null) {
                video.close();
            }
        }
    }

    /** H.264 needs even sides: an odd last row or column is left out of the video (the PNGs keep it). */
    static RgbImage evenSides(RgbImage image) {
        int w = image.width() & ~1;
        int h = image.height() & ~1;
        if (w == image.width() && h == image.height()) {
            return image;
        }
        if (w == 0 || h == 0) {
            throw new IllegalArgumentException("a frame of " + image.width() + "x" + image.height()
                    + " is too small for a video");
        }
        byte[] out = new byte[3 * w * h];
        for (int y = 0; y < h; y++) {
            System.arraycopy(image.pixels(), 3 * y * image.width(), out, 3 * y * w, 3 * w);
        }
        return new RgbImage(w, h, out);
    }
}
