/**
 * Small seeded helpers that several layers share: {@link org.convlens.util.Gaussian} (normal
 * draws from a {@code SplittableRandom}) and {@link org.convlens.util.Shuffle} (seeded
 * shuffles for the sample generator, the trainer and the embedding samples). The lowest layer:
 * it uses no other ConvLens package, so that every seeded choice in the project draws its
 * numbers the same way whichever layer makes it ({@code LayersTest} checks the layering).
 */
package org.convlens.util;
