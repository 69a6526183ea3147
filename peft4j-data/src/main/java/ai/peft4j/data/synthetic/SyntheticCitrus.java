package ai.peft4j.data.synthetic;

import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.split.DatasetSplit;
import ai.peft4j.data.split.SplitRatios;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A generated data set of one citrus domain: a shaded, textured fruit on a dark conveyor, with zero to three
 * defects of the domain's classes painted on its peel. Defects differ from the peel in colour and texture, so a
 * model can learn them; a pixel is a defect in the mask where the defect covers at least half of it. Pair
 * {@code i} depends only on (seed, domain, i), so it is generated on demand in any order.
 */
public final class SyntheticCitrus implements ImageDataset {
    private final CitrusDomain domain;
    private final int count;
    private final int size;
    private final long seed;

    /**
     * @param domain the fruit and its classes
     * @param count pairs in the data set
     * @param size side of the square images (e.g. 96 or 128)
     * @param seed the generator's seed
     */
    public SyntheticCitrus(CitrusDomain domain, int count, int size, long seed) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        if (size < 32) {
            throw new IllegalArgumentException("images must be at least 32 pixels wide, got " + size);
        }
        this.domain = domain;
        this.count = count;
        this.size = size;
        this.seed = seed;
    }

    public CitrusDomain domain() {
        return domain;
    }

    @Override
    public String name() {
        return "synthetic-" + domain.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<String> classNames() {
        return domain.classNames();
    }

    @Override
    public Palette palette() {
        return domain.palette();
    }

    @Override
    public int size() {
        return count;
    }

    /** The id of pair {@code index}, e.g. {@code lemon_00042}. */
    public String id(int index) {
        return String.format(Locale.ROOT, "%s_%05d", domain.name().toLowerCase(Locale.ROOT), index);
    }

    public List<String> ids() {
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(id(i));
        }
        return ids;
    }

    @Override
    public LabelledImage read(int index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException("pair " + index + " of " + count);
        }
        return new Painter(domain, size, random(index)).paint(id(index));
    }

    /**
     * Writes the set in the VOC layout under {@code root}: {@code JPEGImages/<id>.jpg} (quality 0.95),
     * {@code SegmentationClass/<id>.png} (palette PNG of class ids) and a seeded 6:2:2 split in
     * {@code ImageSets/Segmentation}.
     */
    public DatasetSplit writeVoc(Path root) throws IOException {
        for (int i = 0; i < count; i++) {
            LabelledImage pair = read(i);
            ImageEncoder.writeJpeg(pair.image(), root.resolve("JPEGImages").resolve(pair.id() + ".jpg"), 0.95f);
            ImageEncoder.writeIndexPng(pair.mask(), size, size, domain.palette(),
                    root.resolve("SegmentationClass").resolve(pair.id() + ".png"));
        }
        DatasetSplit split = DatasetSplit.of(ids(), SplitRatios.published(), seed);
        split.write(root.resolve("ImageSets").resolve("Segmentation"));
        return split;
    }

    private SplittableRandom random(int index) {
        long z = seed * 0x9E3779B97F4A7C15L + domain.ordinal() * 0xC2B2AE3D27D4EB4FL + index;
        return new SplittableRandom(new SplittableRandom(z).nextLong());
    }

    /** Paints one pair into float RGB buffers, then quantises. */
    private static final class Painter {
        private final CitrusDomain domain;
        private final int n;
        private final SplittableRandom random;
        private final float[] rgb;
        private final int[] mask;
        /** Fruit coverage per pixel (0 outside, 1 inside, soft at the rim) and its shading. */
        private final float[] fruit;
        private final float[] shade;
        private final long noiseSeed;
        private double cx;
        private double cy;
        private double radius;

        Painter(CitrusDomain domain, int n, SplittableRandom random) {
            this.domain = domain;
            this.n = n;
            this.random = random;
            this.rgb = new float[3 * n * n];
            this.mask = new int[n * n];
            this.fruit = new float[n * n];
            this.shade = new float[n * n];
            this.noiseSeed = random.nextLong();
        }

        LabelledImage paint(String id) {
            backdrop();
            peel();
            int defects = random.nextDouble() < 0.12 ? 0 : 1 + random.nextInt(3);
            boolean stem = false;
            int classes = domain.classNames().size();
            for (int d = 0; d < defects; d++) {
                int cls = 1 + random.nextInt(classes - 1);
                if (domain == CitrusDomain.GRAPEFRUIT && cls == 2) {
                    if (stem) {
                        cls = 1;
                    }
                    stem = true;
                }
                defect(cls);
            }
            byte[] px = new byte[rgb.length];
            for (int i = 0; i < rgb.length; i++) {
                px[i] = (byte) Math.max(0, Math.min(255, Math.round(rgb[i])));
            }
            return new LabelledImage(id, new RgbImage(n, n, px), mask);
        }

        private void backdrop() {
            float[] base = domain.backdrop();
            double exposure = 0.8 + 0.4 * random.nextDouble();
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    double dx = (x - n / 2.0) / n;
                    double dy = (y - n / 2.0) / n;
                    double vignette = 1.0 - 0.9 * (dx * dx + dy * dy);
                    double grain = 14 * (noise(x, y, n / 6.0, 1) - 0.5) + 6 * (noise(x, y, 2, 2) - 0.5);
                    for (int c = 0; c < 3; c++) {
                        rgb[3 * (y * n + x) + c] = (float) (base[c] * exposure * vignette + grain);
                    }
                }
            }
        }

        private void peel() {
            radius = n * (0.30 + 0.07 * random.nextDouble()) * domain.sizeFactor();
            double elong = domain.elongation() * (0.95 + 0.1 * random.nextDouble());
            radius = Math.min(radius, 0.46 * n / elong);
            cx = n / 2.0 + n * 0.07 * (random.nextDouble() * 2 - 1);
            cy = n / 2.0 + n * 0.07 * (random.nextDouble() * 2 - 1);
            double angle = random.nextDouble() * Math.PI;
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            float[] peel = domain.peel();
            double tint = 0.92 + 0.16 * random.nextDouble();
            double greenish = random.nextDouble() * 0.15;
            // Light from the upper left and in front.
            double lx = -0.45;
            double ly = -0.55;
            double lz = Math.sqrt(1 - lx * lx - ly * ly);
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    double ox = x + 0.5 - cx;
                    double oy = y + 0.5 - cy;
                    double u = (ox * cos + oy * sin) / (radius * elong);
                    double v = (-ox * sin + oy * cos) / radius;
                    if (domain == CitrusDomain.LEMON) {
                        // The lemon's pointed ends: the long axis stretches near its middle line.
                        u /= 1 + 0.14 * Math.exp(-v * v * 30);
                    }
                    double d = Math.sqrt(u * u + v * v);
                    int i = y * n + x;
                    float cover = (float) Math.max(0, Math.min(1, (1 - d) * radius));
                    if (cover <= 0) {
                        continue;
                    }
                    double nx = ox / radius / elong;
                    double ny = oy / radius;
                    double nz = Math.sqrt(Math.max(0.02, 1 - Math.min(1, d * d)));
                    double len = Math.sqrt(nx * nx + ny * ny + nz * nz);
                    double lambert = Math.max(0, (nx * lx + ny * ly + nz * lz) / len);
                    double specular = Math.pow(Math.max(0, (nx * lx + ny * ly + nz * (lz + 1)) / len / Math.sqrt(
                            lx * lx + ly * ly + (lz + 1) * (lz + 1))), 40);
                    double s = 0.32 + 0.78 * lambert;
                    specular *= 0.55;
                    shade[i] = (float) s;
                    fruit[i] = cover;
                    double pores = domain.texture() * (noise(x, y, 1.6, 3) - 0.5) * 2
                            + 0.6 * domain.texture() * (noise(x, y, 4, 4) - 0.5) * 2;
                    double mottle = 1 + 0.08 * (noise(x, y, n / 5.0, 5) - 0.5);
                    for (int c = 0; c < 3; c++) {
                        double base = peel[c] * tint * mottle;
                        if (c == 1) {
                            base += greenish * 60 * (noise(x, y, n / 4.0, 6));
                        }
                        double value = base * s + pores * s + 200 * specular;
                        int k = 3 * i + c;
                        rgb[k] = (float) (rgb[k] * (1 - cover) + value * cover);
                    }
                }
            }
        }

        private void defect(int cls) {
            float[] alpha = new float[n * n];
            float[] colour;
            float roughness;
            String kind = domain.classNames().get(cls);
            switch (kind) {
                case "sunburn" -> {
                    blob(alpha, pointOnFruit(0.55), radius * (0.22 + 0.18 * random.nextDouble()), 0.25, 0.35);
                    colour = new float[] {214, 182, 120};
                    roughness = 10;
                }
                case "ulcer" -> {
                    double[] c = pointOnFruit(0.6);
                    int spots = 2 + random.nextInt(5);
                    for (int s = 0; s < spots; s++) {
                        double a = random.nextDouble() * 2 * Math.PI;
                        double r = random.nextDouble() * radius * 0.22;
                        blob(alpha, new double[] {c[0] + r * Math.cos(a), c[1] + r * Math.sin(a)},
                                radius * (0.045 + 0.05 * random.nextDouble()), 0.2, 0.08);
                    }
                    colour = new float[] {92, 48, 22};
                    roughness = 12;
                }
                case "wind scarring" -> {
                    double[] c = pointOnFruit(0.5);
                    int strokes = 1 + random.nextInt(3);
                    double heading = random.nextDouble() * Math.PI;
                    for (int s = 0; s < strokes; s++) {
                        double[] start = {c[0] + (random.nextDouble() - 0.5) * radius * 0.3,
                            c[1] + (random.nextDouble() - 0.5) * radius * 0.3};
                        streak(alpha, start, heading + (random.nextDouble() - 0.5) * 0.6,
                                radius * (0.4 + 0.5 * random.nextDouble()), Math.max(1.2, n / 60.0)
                                        * (1 + random.nextDouble()));
                    }
                    colour = new float[] {186, 164, 130};
                    roughness = 22;
                }
                case "flaw" -> {
                    double[] c = pointOnFruit(0.6);
                    int specks = 4 + random.nextInt(9);
                    for (int s = 0; s < specks; s++) {
                        double a = random.nextDouble() * 2 * Math.PI;
                        double r = Math.sqrt(random.nextDouble()) * radius * 0.3;
                        blob(alpha, new double[] {c[0] + r * Math.cos(a), c[1] + r * Math.sin(a)},
                                Math.max(1.0, n / 110.0) * (1 + 1.3 * random.nextDouble()), 0.15, 0.05);
                    }
                    colour = new float[] {96, 92, 36};
                    roughness = 10;
                }
                case "illness" -> {
                    double[] c = pointOnFruit(0.5);
                    double r = radius * (0.2 + 0.2 * random.nextDouble());
                    blob(alpha, c, r, 0.3, 0.12);
                    colour = new float[] {104, 118, 76};
                    roughness = 26;
                    // A whitish fuzzy rim of spores around the patch, part of the defect.
                    float[] rim = new float[n * n];
                    blob(rim, c, r * 1.18, 0.3, 0.2);
                    composite(rim, new float[] {226, 228, 206}, 18, cls);
                }
                case "defect" -> {
                    blob(alpha, pointOnFruit(0.6), radius * (0.1 + 0.16 * random.nextDouble()), 0.45, 0.1);
                    colour = new float[] {138, 80, 44};
                    roughness = 20;
                }
                case "stem" -> {
                    double[] c = pointOnFruit(0.35);
                    double r = radius * (0.08 + 0.05 * random.nextDouble());
                    blob(alpha, c, r * 1.6, 0.1, 0.1);
                    composite(alpha, new float[] {150, 140, 70}, 8, cls);
                    alpha = new float[n * n];
                    blob(alpha, c, r, 0.12, 0.06);
                    colour = new float[] {58, 84, 30};
                    roughness = 10;
                }
                default -> throw new IllegalStateException("no painter for class " + kind);
            }
            composite(alpha, colour, roughness, cls);
        }

        /** A point on the fruit within {@code reach} of its radius from the centre. */
        private double[] pointOnFruit(double reach) {
            double a = random.nextDouble() * 2 * Math.PI;
            double r = Math.sqrt(random.nextDouble()) * radius * reach;
            return new double[] {cx + r * Math.cos(a), cy + r * Math.sin(a)};
        }

        /** An irregular disc: its radius wobbles with the angle; {@code soft} widens its edge (fraction of r). */
        private void blob(float[] alpha, double[] c, double r, double wobble, double soft) {
            double p1 = random.nextDouble() * 6.3;
            double p2 = random.nextDouble() * 6.3;
            double p3 = random.nextDouble() * 6.3;
            double a1 = wobble * random.nextDouble();
            double a2 = wobble * random.nextDouble() * 0.6;
            double a3 = wobble * random.nextDouble() * 0.3;
            double edge = Math.max(0.7, soft * r);
            int x0 = Math.max(0, (int) (c[0] - 2 * r - 2));
            int x1 = Math.min(n - 1, (int) (c[0] + 2 * r + 2));
            int y0 = Math.max(0, (int) (c[1] - 2 * r - 2));
            int y1 = Math.min(n - 1, (int) (c[1] + 2 * r + 2));
            for (int y = y0; y <= y1; y++) {
                for (int x = x0; x <= x1; x++) {
                    double dx = x + 0.5 - c[0];
                    double dy = y + 0.5 - c[1];
                    double t = Math.atan2(dy, dx);
                    double rr = r * (1 + a1 * Math.sin(2 * t + p1) + a2 * Math.sin(3 * t + p2)
                            + a3 * Math.sin(5 * t + p3));
                    double a = (rr - Math.sqrt(dx * dx + dy * dy)) / edge + 0.5;
                    if (a > 0) {
                        int i = y * n + x;
                        alpha[i] = Math.max(alpha[i], (float) Math.min(1, a));
                    }
                }
            }
        }

        /** A wandering line of width {@code width}, stamped as overlapping discs. */
        private void streak(float[] alpha, double[] start, double heading, double length, double width) {
            double x = start[0];
            double y = start[1];
            double step = 0.7;
            for (double t = 0; t < length; t += step) {
                heading += (random.nextDouble() - 0.5) * 0.25;
                x += step * Math.cos(heading);
                y += step * Math.sin(heading);
                double w = width * (0.7 + 0.5 * noise((int) x, (int) y, 3, 7));
                int r = (int) Math.ceil(w);
                for (int yy = (int) y - r; yy <= (int) y + r; yy++) {
                    for (int xx = (int) x - r; xx <= (int) x + r; xx++) {
                        if (xx < 0 || yy < 0 || xx >= n || yy >= n) {
                            continue;
                        }
                        double dx = xx + 0.5 - x;
                        double dy = yy + 0.5 - y;
                        double a = (w / 2 - Math.sqrt(dx * dx + dy * dy)) / 0.8 + 0.5;
                        if (a > 0) {
                            int i = yy * n + xx;
                            alpha[i] = Math.max(alpha[i], (float) Math.min(1, a));
                        }
                    }
                }
            }
        }

        /** Paints a defect's colour through its coverage, on the fruit only, and labels what it mostly covers. */
        private void composite(float[] alpha, float[] colour, float roughness, int cls) {
            for (int i = 0; i < alpha.length; i++) {
                float a = alpha[i] * Math.min(1f, fruit[i] * 1.2f);
                if (a <= 0) {
                    continue;
                }
                int x = i % n;
                int y = i / n;
                double grain = roughness * (noise(x, y, 1.5, 11) - 0.5) * 2;
                double s = Math.max(shade[i], 0.35);
                for (int c = 0; c < 3; c++) {
                    int k = 3 * i + c;
                    double value = (colour[c] + grain) * s;
                    rgb[k] = (float) (rgb[k] * (1 - a) + value * a);
                }
                if (a >= 0.5 && fruit[i] >= 0.5) {
                    mask[i] = cls;
                }
            }
        }

        /** Smooth value noise in [0, 1] with cells of {@code cell} pixels. */
        private double noise(int x, int y, double cell, int octave) {
            double fx = x / cell;
            double fy = y / cell;
            int ix = (int) Math.floor(fx);
            int iy = (int) Math.floor(fy);
            double tx = fx - ix;
            double ty = fy - iy;
            tx = tx * tx * (3 - 2 * tx);
            ty = ty * ty * (3 - 2 * ty);
            double a = lattice(ix, iy, octave);
            double b = lattice(ix + 1, iy, octave);
            double c = lattice(ix, iy + 1, octave);
            double d = lattice(ix + 1, iy + 1, octave);
            return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
        }

        private double lattice(int x, int y, int octave) {
            long z = noiseSeed + x * 0x9E3779B97F4A7C15L + y * 0xC2B2AE3D27D4EB4FL + octave * 0x165667B19E3779F9L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            return (z >>> 11) * 0x1.0p-53;
        }
    }
}
