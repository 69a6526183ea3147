package ai.peft4j.data.dedup;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds pairs of images that are copies of one photo, in any of the eight rotations and flips: candidates are
 * pairs whose hashes, one of them turned, differ by at most {@code maxHamming} bits; a candidate is kept when the
 * shapes agree once turned and its thumbnails, aligned by the best of the candidate transforms, differ by at most
 * {@code maxDifference} grey levels.
 *
 * <p>Candidates come from a scan of all pairs: a BK-tree (tried first) visited most of its nodes at a radius of 12
 * bits in 64 and took 6.7 s on NEU-Seg's 4470 images, where the scan of all pairs under all eight transforms
 * (80 million XOR-and-count steps) takes under a second. The scan grows with the square of the image count: about
 * a minute at 50,000 images.
 *
 * @param maxHamming most hash bits by which a candidate pair may differ
 * @param maxDifference most mean absolute grey-level difference (each thumbnail less its mean) of a copy
 */
public record CopyFinder(int maxHamming, double maxDifference) {
    /**
     * Default of {@link #maxHamming}. Measured on NEU-Seg against the copies that
     * {@code neu-det/overlap-with-neu-seg.tsv} lists: 99 % of copy pairs hash within 4 bits, a few edited ones up to
     * 20; at 16 every listed copy is found, directly or through another copy of its photo. Unrelated photos hash
     * 24-30 bits apart; the 0.2 % of pairs within 16 are left to the pixel check.
     */
    public static final int MAX_HAMMING = 16;
    /**
     * Default of {@link #maxDifference}, in grey levels at {@value ImageFingerprint#SIDE} x
     * {@value ImageFingerprint#SIDE}. On NEU-Seg, copies (re-encoded, rotated, some with a defect pasted in) differ
     * by at most 1.83 and two different photos of smooth steel by as little as 2.28 (their hashes 18-20 bits apart);
     * random pairs differ by 32 in the median.
     */
    public static final double MAX_DIFFERENCE = 2.0;
    /** Most relative change of the width-to-height ratio of a copy: rounding when a copy was resized. */
    static final double MAX_ASPECT_CHANGE = 0.02;

    public CopyFinder {
        if (maxHamming < 0 || maxHamming > 63 || !(maxDifference >= 0)) {
            throw new IllegalArgumentException("copy thresholds: Hamming distance 0-63 and a difference of at least "
                    + "0; got " + maxHamming + " and " + maxDifference);
        }
    }

    /** The tuned defaults. */
    public static CopyFinder defaults() {
        return new CopyFinder(MAX_HAMMING, MAX_DIFFERENCE);
    }

    /** The copy pairs among {@code prints} (named by {@code ids}, in the same order), ordered by their ids. */
    public List<CopyPair> find(List<String> ids, List<ImageFingerprint> prints) {
        if (ids.size() != prints.size()) {
            throw new IllegalArgumentException(ids.size() + " ids for " + prints.size() + " fingerprints");
        }
        int n = prints.size();
        int transforms = Dihedral.values().length;
        // One flat array, so that the scan below runs through memory in order.
        long[] turned = new long[n * transforms];
        for (int j = 0; j < n; j++) {
            for (Dihedral d : Dihedral.values()) {
                turned[j * transforms + d.ordinal()] = prints.get(j).hash(d);
            }
        }
        // Candidate transforms per pair (i, j), i < j, as a bit set: image i looks like image j turned by each.
        Map<Long, Integer> candidates = new HashMap<>();
        for (int i = 0; i < n; i++) {
            long hi = turned[i * transforms];
            for (int j = i + 1; j < n; j++) {
                int bits = 0;
                for (int d = 0; d < transforms; d++) {
                    if (Long.bitCount(hi ^ turned[j * transforms + d]) <= maxHamming) {
                        bits |= 1 << d;
                    }
                }
                if (bits != 0) {
                    candidates.put((long) i << 32 | j, bits);
                }
            }
        }
        List<CopyPair> pairs = new ArrayList<>();
        for (Map.Entry<Long, Integer> e : candidates.entrySet()) {
            int i = (int) (e.getKey() >>> 32);
            int j = (int) (long) e.getKey();
            CopyPair best = confirm(ids, prints, i, j, e.getValue());
            if (best != null) {
                pairs.add(best);
            }
        }
        pairs.sort(Comparator.comparing(CopyPair::first).thenComparing(CopyPair::second));
        return pairs;
    }

    private CopyPair confirm(List<String> ids, List<ImageFingerprint> prints, int i, int j, int transforms) {
        ImageFingerprint a = prints.get(i);
        ImageFingerprint b = prints.get(j);
        CopyPair best = null;
        for (Dihedral d : Dihedral.values()) {
            if ((transforms & 1 << d.ordinal()) == 0
                    || Math.abs(a.aspect(Dihedral.IDENTITY) / b.aspect(d) - 1) > MAX_ASPECT_CHANGE) {
                continue;
            }
            double diff = a.difference(b, d);
            if (diff <= maxDifference && (best == null || diff < best.difference())) {
                int bits = Long.bitCount(a.hash(Dihedral.IDENTITY) ^ b.hash(d));
                // a looks like b turned by d, so b is a turned back.
                boolean aFirst = ids.get(i).compareTo(ids.get(j)) < 0;
                best = aFirst ? new CopyPair(ids.get(i), ids.get(j), d.inverse(), bits, diff)
                        : new CopyPair(ids.get(j), ids.get(i), d, bits, diff);
            }
        }
        return best;
    }
}
