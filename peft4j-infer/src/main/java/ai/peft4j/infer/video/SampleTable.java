package ai.peft4j.infer.video;

import org.jcodec.containers.mp4.boxes.ChunkOffsets64Box;
import org.jcodec.containers.mp4.boxes.ChunkOffsetsBox;
import org.jcodec.containers.mp4.boxes.SampleSizesBox;
import org.jcodec.containers.mp4.boxes.SampleToChunkBox;
import org.jcodec.containers.mp4.boxes.TrakBox;

/**
 * Where each sample of an MP4 track lies in the file, from the track's index (stco/co64, stsc, stsz). JCodec
 * reads a sample that runs past the end of the file as a short packet and then stops quietly, so the reader checks
 * here, before decoding, which frame the file ends in.
 */
final class SampleTable {
    private SampleTable() {}

    /**
     * The first sample (from 0) whose bytes do not all lie within {@code fileLength}, or the sample count when
     * every one does.
     */
    static int firstIncomplete(TrakBox track, long fileLength) {
        SampleSizesBox stsz = track.getStsz();
        SampleToChunkBox stsc = track.getStsc();
        long[] chunks = chunkOffsets(track);
        if (stsz == null || stsc == null || chunks == null) {
            return 0;
        }
        int count = stsz.getCount() > 0 ? stsz.getCount() : stsz.getSizes() == null ? 0 : stsz.getSizes().length;
        int[] sizes = stsz.getSizes();
        SampleToChunkBox.SampleToChunkEntry[] runs = stsc.getSampleToChunk();
        int sample = 0;
        int run = 0;
        for (int chunk = 0; chunk < chunks.length && sample < count; chunk++) {
            // Runs are keyed by their first chunk, counted from 1.
            while (run + 1 < runs.length && runs[run + 1].getFirst() - 1 <= chunk) {
                run++;
            }
            long offset = chunks[chunk];
            for (int k = 0; k < runs[run].getCount() && sample < count; k++, sample++) {
                offset += stsz.getDefaultSize() != 0 ? stsz.getDefaultSize() : sizes[sample];
                if (offset > fileLength) {
                    return sample;
                }
            }
        }
        return sample;
    }

    private static long[] chunkOffsets(TrakBox track) {
        ChunkOffsetsBox stco = track.getStco();
        if (stco != null) {
            return stco.getChunkOffsets();
        }
        ChunkOffsets64Box co64 = track.getCo64();
        return co64 == null ? null : co64.getChunkOffsets();
    }
}
