package org.convlens.sampledata;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/**
 * One kind of planted shortcut: something painted on an image that is not the class's object but
 * that a model can learn to read as the class. Each kind is one class ({@link Marker},
 * {@link Illumination}, {@link Tint}, {@link BackgroundTexture}, {@link Watermark}), registered
 * by name in {@link CueKinds}; a {@link Shortcut} ties one to a class and to rates.
 *
 * <p>A cue draws whatever it randomises (a watermark's place and size, a texture's cells) from
 * the generator it is given, which the sample generator seeds per image and per shortcut, apart
 * from the scene's own: an image rendered with and without a cue is otherwise the same image.
 */
public sealed interface ShortcutCue
    permits Marker, Illumination, Tint, BackgroundTexture, Watermark {

  /** When a cue is painted, in this order. */
  enum Stage {
    /** Over the scene's background, before the clutter and the object (in unit coordinates). */
    BACKGROUND,
    /** Over the finished image, noise included: a change of every pixel. */
    FILTER,
    /** Over the filtered image: something small drawn on top. */
    OVERLAY,
    /** Last, so its pixels are exact (in lossless files) whatever else the image carries. */
    EXACT
  }

  /** The kind's name in configurations and ground truth, e.g. {@code marker}. */
  String kind();

  Stage stage();

  /** Every parameter, resolved, in the form {@link CueKinds#parse} reads back. */
  ObjectNode params();

  /** What is painted, in words, with the parameters: a line of the dataset's README. */
  String description();

  /**
   * Paints a {@link Stage#BACKGROUND} cue: {@code g} is scaled so the image is the unit square,
   * and {@code background} is the mean colour of the background it replaces.
   */
  default void paintBackground(Graphics2D g, Color background, SplittableRandom r) {
    throw new UnsupportedOperationException(kind() + " is not a background cue");
  }

  /**
   * Paints a {@link Stage#FILTER}, {@link Stage#OVERLAY} or {@link Stage#EXACT} cue onto
   * {@code image}.
   *
   * @return where the cue lies, in pixels, or null for a cue that changes the whole image
   */
  default Rectangle paint(BufferedImage image, SplittableRandom r) {
    throw new UnsupportedOperationException(kind() + " is painted with the background");
  }
}
