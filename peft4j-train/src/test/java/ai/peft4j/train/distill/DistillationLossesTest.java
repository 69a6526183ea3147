package ai.peft4j.train.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.train.loss.CrossEntropyLoss;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Golden values worked out by hand on 2x2 maps. The teacher map used throughout has the channels
 * {@code [1 2; 3 4]} and {@code [0 0; 1 1]}; the student's first channel is {@code [4 3; 2 1]}, the teacher's
 * mirrored, and its second {@code 3 t + 5}, an affine copy that standardisation makes equal to the teacher's.
 * Channel 0 standardised: deviations (-1.5, -0.5, 0.5, 1.5), unbiased variance 5/3, so the two standardised maps
 * are opposite and their difference has squared norm {@code 4 * 5 / (5/3) = 12}: NFD = sqrt(12) / (2 * 2).
 */
class DistillationLossesTest {
    private static final float[] TEACHER = {1, 2, 3, 4, 0, 0, 1, 1};
    private static final float[] STUDENT = {4, 3, 2, 1, 5, 5, 8, 8};
    private static final double NFD = Math.sqrt(12) / 4;
    /** Teacher logits (2 ln 3, 0) at every pixel: at T = 2 the teacher's soft labels are (3/4, 1/4). */
    private static final float LN9 = (float) (2 * Math.log(3));
    /** The student's logits are 0: soft labels (1/2, 1/2). KL per pixel, summed over classes. */
    private static final double KL_PIXEL = 0.75 * Math.log(1.5) + 0.25 * Math.log(0.5);
    /** 4 pixels, batch 1, times T^2 = 4. */
    private static final double KL = 4 * KL_PIXEL * 4;
    /** Half the logits differ by 2 ln 3, the other half by 0. */
    private static final double MSE = LN9 * LN9 / 2;
    /** (k1 KL + (1 - k1) MSE) / (W H) with k1 = 0.5, W H = 4. */
    private static final double PKL = (0.5 * KL + 0.5 * MSE) / 4;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = EngineSetup.newManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray map(float[] values, long... shape) {
        return manager.create(values, new Shape(shape));
    }

    private NormalisedFeatureLoss nfd(int[] teacherChannels, int[] studentChannels, FeaturePair... pairs) {
        return new NormalisedFeatureLoss(manager, List.of(pairs), teacherChannels, studentChannels, 0f);
    }

    @Test
    void nfd_ofMirroredAndAffineChannels_isSqrt12OverWH() {
        NormalisedFeatureLoss loss = nfd(new int[] {2}, new int[] {2}, new FeaturePair(0, 0));
        double v = loss.compute(List.of(map(TEACHER, 1, 2, 2, 2)), List.of(map(STUDENT, 1, 2, 2, 2))).getFloat();
        assertEquals(NFD, v, 1e-5);
        assertEquals(0, loss.children().size(), "equal channel counts need no projection");
    }

    @Test
    void standardise_usesTheUnbiasedDeviationPerChannel() {
        float[] got = NormalisedFeatureLoss.standardise(map(TEACHER, 1, 2, 2, 2), 0f).toFloatArray();
        double s0 = Math.sqrt(5.0 / 3);
        double s1 = Math.sqrt(1.0 / 3);
        double[] want = {-1.5 / s0, -0.5 / s0, 0.5 / s0, 1.5 / s0, -0.5 / s1, -0.5 / s1, 0.5 / s1, 0.5 / s1};
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5, "element " + i);
        }
    }

    @Test
    void nfd_resizesTheTeacherMapToTheStudentsWithAlignedCorners() {
        // Aligned corners take rows and columns 0 and 3 of a 4x4 map down to 2x2: only the corners matter.
        float[] big = new float[2 * 16];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < big.length; i++) {
            big[i] = r.nextFloat() * 9;
        }
        int[] corners = {0, 3, 12, 15};
        for (int c = 0; c < 2; c++) {
            for (int k = 0; k < 4; k++) {
                big[c * 16 + corners[k]] = TEACHER[c * 4 + k];
            }
        }
        NormalisedFeatureLoss loss = nfd(new int[] {2}, new int[] {2}, new FeaturePair(0, 0));
        double v = loss.compute(List.of(map(big, 1, 2, 4, 4)), List.of(map(STUDENT, 1, 2, 2, 2))).getFloat();
        assertEquals(NFD, v, 1e-5);
    }

    @Test
    void nfd_projectsStudentChannelsWithItsTrainable1x1Conv() {
        NormalisedFeatureLoss loss = nfd(new int[] {2}, new int[] {1}, new FeaturePair(0, 0));
        Module proj = loss.child("0");
        // Projected channels s and 2 s + 1 standardise to the same map, the mirror of both teacher channels
        // [1 2; 3 4]: each channel's difference has squared norm 12.
        proj.parameter("weight").replace(map(new float[] {1, 2}, 2, 1, 1, 1));
        proj.parameter("bias").replace(map(new float[] {0, 1}, 2));
        float[] teacher = {1, 2, 3, 4, 1, 2, 3, 4};
        double v = loss.compute(List.of(map(teacher, 1, 2, 2, 2)), List.of(map(new float[] {4, 3, 2, 1}, 1, 1, 2,
                2))).getFloat();
        assertEquals(Math.sqrt(24) / 4, v, 1e-5);
        assertEquals(List.of("0.weight", "0.bias"), new ArrayList<>(loss.stateDict().keySet()));
    }

    @Test
    void nfd_sumsOverPairs() {
        NDArray t = map(TEACHER, 1, 2, 2, 2);
        NDArray s = map(STUDENT, 1, 2, 2, 2);
        NDArray same = map(TEACHER, 1, 2, 2, 2);
        NormalisedFeatureLoss loss = nfd(new int[] {2, 2, 2}, new int[] {2, 2, 2}, new FeaturePair(0, 1),
                new FeaturePair(0, 1), new FeaturePair(0, 0));
        // Pairs (0, 1) twice compare the teacher with the student map: NFD each; (0, 0) compares it with itself.
        double v = loss.compute(List.of(t), List.of(same, s)).getFloat();
        assertEquals(2 * NFD, v, 1e-5);
    }

    @Test
    void nfd_namesAPairBeyondTheFeatureList() {
        NormalisedFeatureLoss loss = nfd(new int[] {2}, new int[] {2}, new FeaturePair(0, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loss.compute(
                List.of(map(TEACHER, 1, 2, 2, 2)), List.of(map(STUDENT, 1, 2, 2, 2))));
        assertEquals("feature pair 0:3: the student has only 1 feature maps (indices 0-0)", e.getMessage());
    }

    private NDArray teacherLogits(int side) {
        float[] v = new float[2 * side * side];
        java.util.Arrays.fill(v, 0, side * side, LN9);
        return map(v, 1, 2, side, side);
    }

    @Test
    void pkl_isHalfKlAtT2PlusHalfMseOverWH() {
        PixelKlLoss loss = new PixelKlLoss(2f, 0.5f);
        double v = loss.compute(teacherLogits(2), manager.zeros(new Shape(1, 2, 2, 2))).getFloat();
        assertEquals(PKL, v, 1e-5);
    }

    @Test
    void pkl_k1WeighsKlAgainstMse_andTemperatureSquaredScalesKl() {
        NDArray s = manager.zeros(new Shape(1, 2, 2, 2));
        assertEquals(KL / 4, new PixelKlLoss(2f, 1f).compute(teacherLogits(2), s).getFloat(), 1e-5);
        assertEquals(MSE / 4, new PixelKlLoss(2f, 0f).compute(teacherLogits(2), s).getFloat(), 1e-5);
        // At T = 1 the teacher's soft labels are (9/10, 1/10), and T^2 = 1.
        double kl1 = 4 * (0.9 * Math.log(1.8) + 0.1 * Math.log(0.2));
        assertEquals(kl1 / 4, new PixelKlLoss(1f, 1f).compute(teacherLogits(2), s).getFloat(), 1e-5);
    }

    @Test
    void pkl_dividesByTheStudentsWH_afterResizingTheTeacher() {
        // Constant teacher logits stay constant when resized; a 4x4 student has 16 pixels, four times the KL sum
        // and the same MSE, divided by 16.
        PixelKlLoss loss = new PixelKlLoss(2f, 0.5f);
        double v = loss.compute(teacherLogits(8), manager.zeros(new Shape(1, 2, 4, 4))).getFloat();
        assertEquals((0.5 * 4 * KL + 0.5 * MSE) / 16, v, 1e-5);
        // Batchmean: two identical samples give the same value as one.
        NDArray two = teacherLogits(2).concat(teacherLogits(2), 0);
        assertEquals(PKL, loss.compute(two, manager.zeros(new Shape(2, 2, 2, 2))).getFloat(), 1e-5);
    }

    /** A model with no parameters whose features are fixed arrays, whatever the input. */
    private static final class Fixed extends Module {}

    @Test
    void objective_totalIsCePlus5NfdPlusHalfPkl() {
        NDArray t = map(TEACHER, 1, 2, 2, 2);
        NDArray s = map(STUDENT, 1, 2, 2, 2);
        NDArray tLogits = teacherLogits(2);
        NDArray sLogits = manager.zeros(new Shape(1, 2, 2, 2));
        DistillationObjective kd = DistillationObjective.builder()
                .setTeacher(new Fixed(), x -> List.of(t, tLogits))
                .setStudent(new Fixed(), x -> List.of(s, sLogits))
                .setLoss(new CrossEntropyLoss(2))
                .optConfig(DistillationConfig.published().withPairs(List.of(new FeaturePair(0, 0))))
                .build(manager, 2);
        NDArray labels = manager.create(new int[] {0, 1, 1, 0}, new Shape(1, 2, 2));
        DistillationObjective.Terms terms = kd.terms(manager.zeros(new Shape(1, 3, 2, 2)), labels);
        // Zero logits: cross-entropy ln 2 at every pixel. NFD's epsilon (1e-5) moves it by well under 1e-4.
        assertEquals(Math.log(2), terms.labelLoss().getFloat(), 1e-6);
        assertEquals(NFD, terms.featureLoss().getFloat(), 1e-4);
        assertEquals(PKL, terms.logitLoss().getFloat(), 1e-5);
        assertEquals(Math.log(2) + 5 * NFD + 0.5 * PKL, terms.total().getFloat(), 1e-4);
        DistillationObjective ceOnly = DistillationObjective.builder()
                .setTeacher(new Fixed(), x -> List.of(t, tLogits))
                .setStudent(new Fixed(), x -> List.of(s, sLogits))
                .setLoss(new CrossEntropyLoss(2))
                .optConfig(DistillationConfig.published().withWeights(0, 0))
                .build(manager, 2);
        assertEquals(Math.log(2), ceOnly.loss(manager.zeros(new Shape(1, 3, 2, 2)), labels).getFloat(), 1e-6);
    }

    @Test
    void multiResolution_studentSeesTheBatchResizedWithAlignedCorners_andLogitsComeBackAtLabelSize() {
        List<Shape> seen = new ArrayList<>();
        float[] img = new float[3 * 16];
        for (int i = 0; i < img.length; i++) {
            img[i] = i;
        }
        NDArray images = map(img, 1, 3, 4, 4);
        List<NDArray> studentInputs = new ArrayList<>();
        DistillationObjective kd = DistillationObjective.builder()
                .setTeacher(new Fixed(), x -> {
                    seen.add(x.getShape());
                    return List.of(x, x.get(":, :2, :, :"));
                })
                .setStudent(new Fixed(), x -> {
                    studentInputs.add(x);
                    return List.of(x, x.get(":, :2, :, :"));
                })
                .setLoss(new CrossEntropyLoss(2))
                .optConfig(DistillationConfig.published().withPairs(List.of(new FeaturePair(0, 0)))
                        .withStudentSize(2))
                .build(manager, 4);
        NDArray labels = manager.create(new int[16], new Shape(1, 4, 4));
        seen.clear();
        studentInputs.clear();
        kd.terms(images, labels);
        assertEquals(List.of(new Shape(1, 3, 4, 4)), seen, "the teacher sees the full-size batch");
        // Aligned corners keep rows and columns 0 and 3: channel c holds 16 c + {0, 3, 12, 15}.
        assertArrayEquals(new float[] {0, 3, 12, 15, 16, 19, 28, 31, 32, 35, 44, 47},
                studentInputs.get(0).toFloatArray(), 1e-5f);
        NDArray logits = kd.logits(images);
        assertEquals(new Shape(1, 2, 4, 4), logits.getShape());
        // The 2x2 logits [0 3; 12 15] enlarged back with aligned corners are the plane 0..15 again.
        float[] want = new float[16];
        for (int i = 0; i < 16; i++) {
            want[i] = i;
        }
        assertArrayEquals(want, java.util.Arrays.copyOf(logits.toFloatArray(), 16), 1e-4f);
        assertEquals(DataType.FLOAT32, logits.getDataType());
    }
}
