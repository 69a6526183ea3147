package ai.peft4j.serve;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ModelSection;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A tiny service to test against, built in closed form in seconds: a random Swin-Att-UNet fixture model as the base
 * checkpoint, two BitFit adapters with random biases (lines {@code line-a} and {@code line-b}, which segment the
 * same image differently), and an adapter made on another base.
 */
final class ServiceFixture {
    static final int SIZE = 32;
    static final List<String> CLASSES = List.of("background", "scratch", "patch");

    final Path root;
    final Path checkpoint;
    final Path runFile;
    final Path adapters;
    /** An adapter trained on another base model (refused). */
    final Path foreignAdapter;

    ServiceFixture(Path root) throws IOException {
        this.root = root;
        checkpoint = root.resolve("base.safetensors");
        runFile = root.resolve("run.yaml");
        adapters = root.resolve("adapters");
        foreignAdapter = root.resolve("foreign/line-x");
        Files.createDirectories(root);
        Files.writeString(runFile, """
                model:
                  name: swin-att-unet
                  backbone: swin-fixture
                  classes: 3
                  image_size: %d
                data:
                  layout: voc
                  root: %s
                  class_names: [background, scratch, patch]
                output: %s
                """.formatted(SIZE, root.resolve("data"), root.resolve("runs")));
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(1);
            Module base = SegmentationNet.build(section(), 3, m);
            SafetensorsFile.write(checkpoint, base.stateDict(), Map.of());
            adapter(base, adapters.resolve("line-a"), 11, m);
            // line-b as a finetune run folder holds it: in adapter/.
            adapter(base, adapters.resolve("line-b").resolve("adapter"), 25, m);
            EngineSetup.seed(2);
            Module other = SegmentationNet.build(section(), 3, m);
            adapter(other, foreignAdapter, 13, m);
        }
    }

    static ModelSection section() {
        return new ModelSection("swin-att-unet", "swin-fixture", 3, SIZE, null);
    }

    /**
     * BitFit with every trained bias drawn at random: a line that segments differently from the others. A random
     * network mostly paints one class everywhere; seeds 11 and 25 give maps of two classes (background with
     * scratch, background with patch) on noise and on NEU-Seg images.
     */
    static void adapter(Module base, Path dir, long seed, NDManager m) throws IOException {
        Attachment a = MethodRegistry.create("bitfit", MethodInputs.none()).attach(base);
        Random r = new Random(seed);
        a.stateDict().forEach((k, t) -> {
            float[] v = new float[(int) t.size()];
            // The head's biases stay 0, so that no class wins everywhere: the features decide, pixel by pixel.
            boolean head = t.getShape().dimension() == 1 && t.getShape().get(0) == CLASSES.size();
            for (int i = 0; i < v.length && !head; i++) {
                v[i] = (float) (r.nextGaussian() * 0.05);
            }
            base.namedParameters().get(k).replace(m.create(v, t.getShape()));
        });
        AdapterFiles.save(a, dir);
        a.deactivate();
    }

    ServeSettings settings() {
        return new ServeSettings(checkpoint, runFile, adapters, null, 0, 8, 20_000L, null, null, null, null, null);
    }

    /** What {@code predict --adapter} gives for {@code image} on line {@code line}: the offline class map. */
    int[] offlineMask(String line, RgbImage image) throws IOException {
        return offlineMasks(line, List.of(image)).get(0);
    }

    /** The offline class maps of {@code images} on line {@code line}, from a model of their own. */
    List<int[]> offlineMasks(String line, List<RgbImage> images) throws IOException {
        try (NDManager m = EngineSetup.newManager()) {
            Module model = SegmentationNet.build(section(), 3, m);
            SegmentationNet.loadStrict(model, Weights.read(checkpoint, m));
            AdapterFiles.load(InspectionEngine.adapterIn(adapters.resolve(line)), model, m);
            try (Predictor p = Predictor.builder().setModel(SegmentationNet.layer(model)).setInputSize(SIZE)
                    .build()) {
                List<int[]> out = new java.util.ArrayList<>();
                for (RgbImage image : images) {
                    out.add(p.predict(image).mask());
                }
                return out;
            }
        }
    }

    /** A random RGB image as PNG bytes. */
    static byte[] noisePng(int width, int height, long seed) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Random r = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static RgbImage decode(byte[] png) {
        return ImageDecoder.readRgb(png, Path.of("test.png"));
    }

    /** The class ids of an index PNG. */
    static int[] indexPng(byte[] png) throws IOException {
        BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(png));
        return img.getRaster().getSamples(0, 0, img.getWidth(), img.getHeight(), 0, (int[]) null);
    }

    static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest.Builder request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    }

    static HttpRequest.Builder postImage(int port, String path, byte[] body, String type) {
        return request(port, path).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }
}
