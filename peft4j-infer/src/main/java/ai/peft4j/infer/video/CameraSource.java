package ai.peft4j.infer.video;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A live camera, captured by ffmpeg (which speaks each platform's camera interface: V4L2 on Linux, AVFoundation on
 * macOS) and read as the motion-JPEG stream it writes to its standard output. peft4j itself stays free of native
 * code; where ffmpeg is missing or cannot open the camera, the error says so with ffmpeg's own message.
 */
public final class CameraSource implements FrameSource {
    private final Process process;
    private final Path device;
    private final Path log;
    private final MjpegSource frames;

    private CameraSource(Process process, Path device, Path log, double fps) {
        this.process = process;
        this.device = device;
        this.log = log;
        this.frames = MjpegSource.of(process.getInputStream(), device, fps);
    }

    /** Camera {@code index} of this machine at {@code fps} frames per second. */
    public static CameraSource open(int index, double fps) throws IOException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String rate = fps == Math.rint(fps) ? Long.toString((long) fps) : Double.toString(fps);
        List<String> input;
        Path device;
        if (os.contains("mac")) {
            device = Path.of("avfoundation:" + index);
            input = List.of("-f", "avfoundation", "-framerate", rate, "-i", Integer.toString(index));
        } else if (os.contains("linux")) {
            device = Path.of("/dev/video" + index);
            if (!Files.exists(device)) {
                throw new VideoException(device, "no such camera on this machine");
            }
            input = List.of("-f", "v4l2", "-framerate", rate, "-i", device.toString());
        } else {
            throw new VideoException(Path.of("camera " + index), "live capture is supported on Linux and macOS; "
                    + "elsewhere pipe the camera through ffmpeg into --mjpeg - (ffmpeg -f dshow -i video=NAME -f "
                    + "mjpeg -)");
        }
        List<String> command = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error"));
        command.addAll(input);
        command.addAll(List.of("-f", "mjpeg", "-q:v", "3", "-"));
        return start(command, device, fps);
    }

    /** Runs {@code command}, which must write motion JPEG to its standard output; {@code device} names it. */
    static CameraSource start(List<String> command, Path device, double fps) throws IOException {
        Path log = Files.createTempFile("peft4j-camera", ".log");
        Process process;
        try {
            process = new ProcessBuilder(command).redirectError(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            Files.deleteIfExists(log);
            throw new VideoException(device, "cannot start " + command.get(0) + " to capture it (" + e.getMessage()
                    + "); install ffmpeg, or pipe motion JPEG from another tool into --mjpeg -", e);
        }
        process.getOutputStream().close();
        return new CameraSource(process, device, log, fps);
    }

    @Override
    public Frame next() throws IOException {
        Frame frame;
        try {
            frame = frames.next();
        } catch (VideoException e) {
            if (interrupted()) {
                return null; // stopped by Ctrl-C while writing a frame: the frames before it are the stream
            }
            throw failure().orElse(e);
        }
        if (frame == null) {
            Optional<VideoException> failure = failure();
            if (failure.isPresent()) {
                throw failure.get();
            }
        }
        return frame;
    }

    /** The capture's exit code once its output has ended, or -1 if it is still running after a grace period. */
    private int exitCode() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Whether the capture ended on a signal (Ctrl-C reaches ffmpeg too; it then exits with 255). */
    private boolean interrupted() {
        int code = exitCode();
        return code == 255 || code == 128 + 2 || code == 128 + 15;
    }

    /** The capture's own error, when the stream ended because ffmpeg failed. */
    private Optional<VideoException> failure() throws IOException {
        int code = exitCode();
        if (code <= 0 || interrupted()) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank())
                .toList();
        String said = lines.isEmpty() ? "no message" : lines.get(lines.size() - 1).strip();
        return Optional.of(new VideoException(device, "capture stopped (exit " + code + "): " + said));
    }

    @Override
    public long frameCount() {
        return -1;
    }

    @Override
    public double fps() {
        return frames.fps();
    }

    @Override
    public String describe() {
        return device + " (live camera through ffmpeg, motion JPEG)";
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            frames.close();
            Files.deleteIfExists(log);
        }
    }
}
