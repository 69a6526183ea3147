/**
 * Frames in and out: a {@link ai.peft4j.infer.video.FrameSource} over a video file (H.264 in MP4/MOV, decoded in
 * pure Java by JCodec) or a folder of images, and an MP4 writer for overlay videos and test clips.
 */
package ai.peft4j.infer.video;
