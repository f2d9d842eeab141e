/**
 * Configuration machinery that knows no stage: reading typed values of a Typesafe Config with an
 * error that names the key ({@link org.convlens.config.ConfigValues},
 * {@link org.convlens.config.InvalidConfigException}), enums spelled by a lower-case code
 * ({@link org.convlens.config.Choice}, {@link org.convlens.config.InputFormat}), the sections
 * every stage shares (spark, input, model, output, progress in {@link
 * org.convlens.config.Settings}), bundled as {@link org.convlens.config.StageContext}, and where
 * the checkout is ({@link org.convlens.config.ConvLensHome}). Layer: just above util, which is
 * the only ConvLens package it may use; each stage's own settings record lives with its stage,
 * and the aggregate of all of them is in {@code org.convlens.pipeline}, so that this package
 * stays a leaf that every layer can depend on without a cycle ({@code LayersTest}).
 */
package org.convlens.config;
