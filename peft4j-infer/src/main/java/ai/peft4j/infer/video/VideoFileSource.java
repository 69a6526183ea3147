package ai.peft4j.infer.video;

import ai.peft4j.data.image.RgbImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.jcodec.common.Codec;
import org.jcodec.common.DemuxerTrack;
import org.jcodec.common.DemuxerTrackMeta;
import org.jcodec.common.Format;
import org.jcodec.common.JCodecUtil;
import org.jcodec.common.VideoDecoder;
import org.jcodec.common.io.FileChannelWrapper;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Packet;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Size;
import org.jcodec.containers.mp4.MP4Util;
import org.jcodec.containers.mp4.demuxer.AbstractMP4DemuxerTrack;
import org.jcodec.containers.mp4.demuxer.MP4Demuxer;
import org.jcodec.scale.AWTUtil;

/**
 * The frames of a video file: H.264 in an MP4 or QuickTime container, decoded by JCodec (pure Java, no native
 * library), in display order (B-frames are put back in place, see {@link #REORDER_DEPTH}). A file that cannot be
 * opened, that ends inside a frame, or that holds another codec fails with a {@link VideoException} naming the
 * file and, where one is at fault, the frame; the frames before a damaged one are still given out first.
 */
public final class VideoFileSource implements FrameSource {
    /**
     * Pictures decoded ahead to put B-frames back in display order: H.264 streams from cameras and encoders
     * reorder by 2 or less; 4 leaves room and holds 4 frames at most.
     */
    static final int REORDER_DEPTH = 4;

    private final Path file;
    private final FileChannelWrapper channel;
    private final DemuxerTrack track;
    private final VideoDecoder decoder;
    private final byte[][] buffer;
    private final int totalFrames;
    private final int completeFrames;
    private final double fps;
    private final Size size;
    private final DisplayOrder<RgbImage> order = new DisplayOrder<>(REORDER_DEPTH);
    private int decoded;
    private VideoException pending;
    private long index;

    private VideoFileSource(Path file, FileChannelWrapper channel, DemuxerTrack track, VideoDecoder decoder,
            Size size, int totalFrames, int completeFrames, double fps) {
        this.file = file;
        this.channel = channel;
        this.track = track;
        this.decoder = decoder;
        this.size = size;
        this.totalFrames = totalFrames;
        this.completeFrames = completeFrames;
        this.fps = fps;
        // The decoder writes whole macroblocks (16x16), so its planes are the size rounded up to them.
        this.buffer = Picture.create(roundUp16(size.getWidth()), roundUp16(size.getHeight()), ColorSpace.YUV444)
                .getData();
    }

    /** Opens a video file and reads its index; nothing is decoded yet. */
    public static VideoFileSource open(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new VideoException(file, "file not found");
        }
        if (Files.isDirectory(file)) {
            throw new VideoException(file, "is a folder, not a video file (give a folder of images with --folder)");
        }
        long length = Files.size(file);
        if (length == 0) {
            throw new VideoException(file, "file is empty");
        }
        FileChannelWrapper ch = NIOUtils.readableChannel(file.toFile());
        try {
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(length, 1 << 16));
            ch.read(head);
            head.flip();
            Format format = JCodecUtil.detectFormatBuffer(head);
            if (format == null) {
                throw new VideoException(file, "not a video file that can be read: expected H.264 in an MP4 or MOV "
                        + "container");
            }
            if (format != Format.MOV) {
                throw new VideoException(file, "the " + format + " container is not supported: only MP4 and MOV "
                        + "(H.264) are read; remux it, e.g. ffmpeg -i IN -c copy OUT.mp4");
            }
            ch.setPosition(0);
            MP4Demuxer demuxer = demuxer(file, ch);
            DemuxerTrack track = demuxer.getVideoTrack();
            if (track == null) {
                throw new VideoException(file, "holds no video track");
            }
            DemuxerTrackMeta meta = track.getMeta();
            Codec codec = meta.getCodec();
            if (codec != Codec.H264) {
                String fourcc = track instanceof AbstractMP4DemuxerTrack t ? t.getFourcc() : "?";
                throw new VideoException(file, "video codec " + (codec == null ? "'" + fourcc + "'" : codec)
                        + " is not supported: only H.264 decodes here; re-encode it, e.g. ffmpeg -i IN -c:v "
                        + "libx264 OUT.mp4");
            }
            Size size = meta.getVideoCodecMeta() == null ? null : meta.getVideoCodecMeta().getSize();
            if (size == null || size.getWidth() < 1 || size.getHeight() < 1) {
                throw new VideoException(file, "the video track does not state its frame size");
            }
            int total = meta.getTotalFrames();
            int complete = track instanceof AbstractMP4DemuxerTrack t
                    ? SampleTable.firstIncomplete(t.getBox(), length) : total;
            double fps = meta.getTotalDuration() > 0 && total > 0 ? total / meta.getTotalDuration() : 25;
            VideoDecoder decoder = JCodecUtil.createVideoDecoder(codec, meta.getCodecPrivate());
            return new VideoFileSource(file, ch, track, decoder, size, total, complete, fps);
        } catch (IOException | RuntimeException e) {
            NIOUtils.closeQuietly(ch);
            throw e;
        }
    }

    private static MP4Demuxer demuxer(Path file, FileChannelWrapper ch) throws IOException {
        try {
            return MP4Demuxer.createMP4Demuxer(ch);
        } catch (IOException | RuntimeException e) {
            boolean hasIndex = false;
            try {
                ch.setPosition(0);
                hasIndex = MP4Util.findFirstAtom("moov", ch) != null;
            } catch (IOException | RuntimeException ignored) {
                // The atom walk fails on the same damage; the message below covers both.
            }
            if (!hasIndex) {
                throw new VideoException(file, "the file ends before its index (the MP4 'moov' box): the recording "
                        + "was cut off or is still being written", e);
            }
            throw new VideoException(file, "cannot be opened as MP4, it may be damaged: " + e.getMessage(), e);
        }
    }

    @Override
    public Frame next() {
        while (!order.ready() && pending == null && decoded < totalFrames) {
            try {
                decodeOne();
            } catch (VideoException e) {
                pending = e;
            }
        }
        if (order.isEmpty()) {
            if (pending != null) {
                VideoException e = pending;
                pending = null;
                throw e;
            }
            return null;
        }
        double seconds = order.nextPts();
        Frame frame = new Frame(index, Frame.videoName(index), seconds, order.release());
        index++;
        return frame;
    }

    /** Reads and decodes the next packet in file order into the reordering buffer. */
    private void decodeOne() {
        if (decoded >= completeFrames) {
            throw new VideoException(file, decoded, "the file ends inside this frame: it holds " + completeFrames
                    + " complete frames of the " + totalFrames + " its index lists (truncated, or still being "
                    + "written)", null);
        }
        Picture picture;
        double seconds;
        try {
            Packet packet = track.nextFrame();
            if (packet == null) {
                throw new VideoException(file, decoded, "the file ends here although its index lists "
                        + totalFrames + " frames", null);
            }
            seconds = packet.getPtsD();
            picture = decoder.decodeFrame(packet.getData(), buffer);
        } catch (IOException | RuntimeException e) {
            if (e instanceof VideoException v) {
                throw v;
            }
            throw new VideoException(file, decoded, "cannot be decoded, the file may be damaged: " + e, e);
        }
        if (picture == null) {
            throw new VideoException(file, decoded, "the decoder returned no picture; the frame may be damaged",
                    null);
        }
        // Copied out at once: the decoder writes the next picture into the same buffer.
        order.add(seconds, AwtImages.fromBgr(AWTUtil.toBufferedImage(picture)));
        decoded++;
    }

    /** The frame size as the file states it. */
    public int width() {
        return size.getWidth();
    }

    public int height() {
        return size.getHeight();
    }

    @Override
    public long frameCount() {
        return totalFrames;
    }

    @Override
    public double fps() {
        return fps;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s (H.264 %dx%d, %d frames at %.2f fps)", file.getFileName(),
                size.getWidth(), size.getHeight(), totalFrames, fps);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static int roundUp16(int v) {
        return (v + 15) & ~15;
    }
}
