package ai.peft4j.data.dedup;

/**
 * Two images found to be copies of one photo: {@code second} is {@code first} turned by {@code transform}.
 *
 * @param first the id first in id order
 * @param second the other id
 * @param transform what turns {@code first} into {@code second}
 * @param hammingDistance bits by which their hashes differ once aligned
 * @param difference mean absolute grey-level difference of their aligned thumbnails, each less its mean
 */
public record CopyPair(String first, String second, Dihedral transform, int hammingDistance, double difference) {}
