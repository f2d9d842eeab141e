package org.convlens.audit;

import java.util.Arrays;
import java.util.List;

/**
 * The kind of cue a shortcut finding names: what, in the images, the model relies on instead of
 * the object. Each {@link ShortcutDetector} maps its own evidence (a region, an edit that flips
 * predictions, a statistic that separates a class's predictions, an attribution strategy) to one
 * of these, so findings of different detectors can be compared, diffed between audits and scored
 * against a benchmark's ground truth (the generator's {@code shortcuts.json} uses the same codes).
 */
public enum Cue {
  /** Something at a fixed place: a corner tag, a border, a stamp that does not move. */
  MARKER("marker", "a marker at a fixed place"),
  /** Global brightness or contrast: the "overcast sky" of the tank story. */
  ILLUMINATION("illumination", "illumination (brightness or contrast)"),
  /** A global colour cast. */
  TINT("tint", "a colour cast"),
  /** The texture or content of the background rather than the object. */
  BACKGROUND("background", "the background texture"),
  /** A small logo or text whose position and size vary from image to image. */
  WATERMARK("watermark", "a watermark (a small logo or text anywhere in the image)"),
  /**
   * Where the image came from, as its file shows it: its size or shape, its file size, its JPEG
   * compression (a class whose photos came from another camera, site or pipeline). Found by the
   * statistics detector; no pixel region holds it.
   */
  SOURCE("source", "the image's source (its size, format or compression)"),

  /**
   * A cue the audit could not name: the slice detector found a group of other classes' images
   * the model confidently calls one class, but neither their statistics nor their attention
   * differ clearly from other images'. The group and its images are the evidence.
   */
  UNKNOWN("unknown", "a cue the audit could not name");

  private final String code;
  private final String words;

  Cue(String code, String words) {
    this.code = code;
    this.words = words;
  }

  /** The code written to {@code audit.json} and Parquet, e.g. {@code illumination}. */
  public String code() {
    return code;
  }

  /** The cue in plain words, for a finding's sentence. */
  public String words() {
    return words;
  }

  public static List<String> codes() {
    return Arrays.stream(values()).map(Cue::code).toList();
  }

  /** The cue of {@code code}; an unknown code names the allowed ones. */
  public static Cue of(String code) {
    for (Cue c : values()) {
      if (c.code.equals(code)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown cue kind '" + code + "': allowed kinds are " + codes());
  }
}
